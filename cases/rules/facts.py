"""The facts a deadline rule reads, what it computes, and the clock it computes with
(``cases.rules``: the rules themselves; ``cases.rules.compute``: how each is computed)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings

from cases.models import DeadlineKind, ProcessKind

K = ProcessKind
D = DeadlineKind

# Internal service levels: the provider's own promises where the law states no clock.
DEFAULT_SLAS: dict[str, int] = {
    "subpoena_days": 14,  # 2703(c)(2) subpoena without a return date
    "court_order_days": 14,  # 2703(d) order without a return date
    "search_warrant_days": 10,  # warrant without a return date
    "emergency_first_decision_hours": 1,  # first decision on any emergency request
    "cybertip_report_hours": 24,  # "as soon as reasonably possible" (2258A(a)(1))
    "prospective_start_days": 2,  # pen/trap and wiretap: install "forthwith"
    "uk_opo_days": 7,  # COPO Act 2019 s. 5(5) default when the order states none
    "order_default_days": 14,  # "as the order states" but it states nothing
    "mlat_days": 30,  # MLAT: no statutory clock
    "ndo_review_days": 2,  # legal review of an NDO without end date or over a year
}

EPOC_APPLIES_FROM = date(2026, 8, 18)  # Regulation (EU) 2023/1543, Art. 34(2)

# How many extensions each preservation may receive (None: no preservation of that kind).
MAX_PRESERVATION_EXTENSIONS: dict[str, int] = {
    K.US_PRESERVATION: 1,  # 2703(f)(2): one renewal of 90 days
    K.EU_EPOC_PR: 1,  # Art. 11(1): extendable by 30 days
    K.CA_PRESERVATION_ORDER: 0,
    K.CA_PRESERVATION_DEMAND: 0,
    K.BR_RETENTION_DEMAND: 0,
    K.CYBERTIPLINE: 0,
}
PRESERVATION_KINDS = frozenset(MAX_PRESERVATION_EXTENSIONS)

# The legal order each kind of process belongs to. A rule applies only to process of its
# own order (LEGAL.md): a US statute never sets the clock of an EU order, whatever flags the
# process carries. Intake checks that the issuing country fits the kind (``KIND_COUNTRIES``
# in the intake service), so the kind alone decides the order here.
US, EU, UK, CA, AU, BR, TREATY = "us", "eu", "uk", "ca", "au", "br", "treaty"
KIND_ORDER: dict[str, str] = {
    K.US_SUBPOENA: US,
    K.US_2703D_ORDER: US,
    K.US_SEARCH_WARRANT: US,
    K.US_PRESERVATION: US,
    K.US_EMERGENCY: US,  # 2702(b)(8) governs the provider's disclosure, whoever asks
    K.US_PEN_TRAP: US,
    K.US_WIRETAP: US,
    K.US_BACKUP_PRESERVATION: US,
    K.CYBERTIPLINE: US,
    K.EU_EPOC: EU,
    K.EU_EPOC_PR: EU,
    K.UK_OPO: UK,
    K.CA_PRESERVATION_ORDER: CA,
    K.CA_PRESERVATION_DEMAND: CA,
    K.CA_PRODUCTION_ORDER: CA,
    K.AU_IPO: AU,
    K.MLAT: TREATY,
    K.BR_COURT_ORDER: BR,
    K.BR_RETENTION_DEMAND: BR,
}
NON_US_ORDERS = frozenset({EU, UK, CA, AU, BR, TREATY})
# Kinds whose own law sets an emergency clock, so no internal first-decision SLA is added.
OWN_EMERGENCY_CLOCK = frozenset({K.US_EMERGENCY, K.EU_EPOC})


@dataclass(frozen=True)
class ProcessFacts:
    """Everything a rule may look at, taken from one ``LegalProcess`` (and its hold)."""

    kind: str
    received_at: datetime
    country: str = ""
    subdivision: str = ""
    return_date: date | None = None
    period_ends_on: date | None = None
    extensions: int = 0  # preservation extensions, or renewals of a prospective order
    emergency: bool = False
    ndo: bool = False
    ndo_expires_on: date | None = None
    foreign_offence: bool = False
    enforcing_state_notified: bool = False
    reported_at: datetime | None = None


@dataclass(frozen=True)
class ComputedDeadline:
    """One deadline as a rule computed it; ``explanation`` is a message id for gettext."""

    kind: str
    due_at: datetime
    rule_id: str
    citation: str
    explanation: str
    params: dict[str, Any] = field(default_factory=dict)
    needs_legal_review: bool = False


@dataclass(frozen=True)
class Clock:
    """Business time zone, internal SLAs and holidays: the configurable part of the rules."""

    zone: zoneinfo.ZoneInfo
    slas: Mapping[str, int]
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_settings(cls) -> Clock:
        slas = {**DEFAULT_SLAS, **getattr(settings, "LIAISON_DEADLINE_SLAS", {})}
        holidays = frozenset(
            date.fromisoformat(str(d)) for d in getattr(settings, "LIAISON_BUSINESS_HOLIDAYS", [])
        )
        return cls(zoneinfo.ZoneInfo(settings.LIAISON_BUSINESS_TIME_ZONE), slas, holidays)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def end_of_day(self, day: date) -> datetime:
        """23:59:59 of ``day`` in the business zone, as UTC (never inside a DST gap)."""
        local = datetime.combine(day, time(23, 59, 59), tzinfo=self.zone)
        return local.astimezone(UTC)

    def days_after(self, instant: datetime, days: int) -> datetime:
        return self.end_of_day(self.local_date(instant) + timedelta(days=days))

    def hours_after(self, instant: datetime, hours: int) -> datetime:
        # in UTC: Python adds to an aware local time on the wall clock, not elapsed time
        return instant.astimezone(UTC) + timedelta(hours=hours)

    def business_days_after(self, instant: datetime, days: int) -> datetime:
        day = self.local_date(instant)
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if day.weekday() < 5 and day not in self.holidays:
                counted += 1
        return self.end_of_day(day)

    def years_after(self, instant: datetime, years: int) -> datetime:
        start = self.local_date(instant)
        try:
            day = start.replace(year=start.year + years)
        except ValueError:  # 29 February -> 28 February
            day = start.replace(year=start.year + years, day=28)
        return self.end_of_day(day)


def _param(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


@dataclass(frozen=True)
class Rule:
    """One row of LEGAL.md: what it applies to, its citation and how it computes."""

    id: str
    citation: str
    summary: str  # one line for staff (a message id)
    applies: Callable[[ProcessFacts], bool]
    compute: Callable[[Rule, ProcessFacts, Clock], list[ComputedDeadline]]
    orders: frozenset[str]  # the legal orders (``KIND_ORDER``) whose process it governs

    def applies_to(self, facts: ProcessFacts) -> bool:
        """Process of another legal order never gets this rule, whatever its flags say."""
        return KIND_ORDER.get(facts.kind) in self.orders and self.applies(facts)

    def deadline(
        self,
        kind: str,
        due_at: datetime,
        explanation: str,
        needs_legal_review: bool = False,
        **params: Any,
    ) -> ComputedDeadline:
        return ComputedDeadline(
            kind=kind,
            due_at=due_at,
            rule_id=self.id,
            citation=self.citation,
            explanation=explanation,
            params={k: _param(v) for k, v in params.items()},
            needs_legal_review=needs_legal_review,
        )
