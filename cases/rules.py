"""The deadline rules: LEGAL.md as code, one rule per row, each citing its source.

``deadlines_compute(facts)`` is pure: it reads no database and no clock, only the facts of
one process and a ``Clock`` (business time zone, internal SLAs, holidays). The services turn
its output into ``Deadline`` rows and call it again whenever an input changes.

Conventions, the same for every rule (see docs/deadlines.md):
- A stated date (return date, end of an authorised period, NDO expiry) means the end of that
  day (23:59:59) in the business time zone ``settings.LIAISON_BUSINESS_TIME_ZONE``.
- "N days" counts calendar days from the day of receipt in the business zone and ends at
  the end of the last day (as FRCP 6(a)(1) counts: exclude the trigger day, include the
  last), so a 90-day hold received 1 March at 10:00 runs to 30 May 23:59:59.
- "N hours" is elapsed time from the instant of receipt (a DST change does not stretch it).
- "N business days" skips Saturdays, Sundays and ``LIAISON_BUSINESS_HOLIDAYS``.
- Where the process states its own return date, that date wins over the rule's default.
- Internal SLAs (not law) come from ``settings.LIAISON_DEADLINE_SLAS`` over ``DEFAULT_SLAS``.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_noop

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


def _param(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _kind_is(*kinds: str) -> Callable[[ProcessFacts], bool]:
    return lambda facts: facts.kind in kinds


def _response_or_return_date(
    rule: Rule, facts: ProcessFacts, clock: Clock, *, days: int, default_text: str
) -> list[ComputedDeadline]:
    """The common shape: the stated return date wins, else the default number of days."""
    if facts.return_date is not None:
        return [
            rule.deadline(
                D.RESPONSE,
                clock.end_of_day(facts.return_date),
                gettext_noop("Return date stated on the process: end of %(date)s."),
                date=facts.return_date,
            )
        ]
    return [
        rule.deadline(
            D.RESPONSE, clock.days_after(facts.received_at, days), default_text, days=days
        )
    ]


def _sla_response(sla: str, text: str) -> Callable[[Rule, ProcessFacts, Clock], list]:
    def compute(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
        return _response_or_return_date(rule, facts, clock, days=clock.slas[sla], default_text=text)

    return compute


def _preservation(
    rule: Rule,
    facts: ProcessFacts,
    clock: Clock,
    *,
    days: int,
    extension_days: int,
    text: str,
) -> ComputedDeadline:
    allowed = MAX_PRESERVATION_EXTENSIONS.get(facts.kind, 0)
    extensions = min(max(facts.extensions, 0), allowed)
    total = days + extensions * extension_days
    return rule.deadline(
        D.PRESERVATION_EXPIRY,
        clock.days_after(facts.received_at, total),
        text,
        days=days,
        extensions=extensions,
        extension_days=extension_days,
        total=total,
    )


def _us_preservation(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    text = gettext_noop(
        "Preserved for %(days)s days from receipt, plus %(extensions)s extension(s) of "
        "%(extension_days)s days on a renewed request (%(total)s days; 180 at most). "
        "Release on expiry unless superseded by legal process."
    )
    return [_preservation(rule, facts, clock, days=90, extension_days=90, text=text)]


def _emergency(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    hours = clock.slas["emergency_first_decision_hours"]
    return [
        rule.deadline(
            D.FIRST_DECISION,
            clock.hours_after(facts.received_at, hours),
            gettext_noop(
                "Emergency: first decision within %(hours)s hour(s) of receipt (internal SLA); "
                "disclosure needs two staff approvals."
            ),
            hours=hours,
        )
    ]


def _ndo(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    review_days = clock.slas["ndo_review_days"]
    if facts.ndo_expires_on is None:
        return [
            rule.deadline(
                D.NDO_REVIEW,
                clock.days_after(facts.received_at, review_days),
                gettext_noop(
                    "The non-disclosure order states no end date: legal must review it "
                    "(DOJ policy since 2017: at most one year)."
                ),
                needs_legal_review=True,
            )
        ]
    found = [
        rule.deadline(
            D.USER_NOTICE,
            clock.end_of_day(facts.ndo_expires_on),
            gettext_noop(
                "The non-disclosure order expires on %(date)s: the user notice becomes due "
                "unless another reason to withhold it applies."
            ),
            date=facts.ndo_expires_on,
        )
    ]
    received_on = clock.local_date(facts.received_at)
    if facts.ndo_expires_on > _add_years(received_on, 1):
        found.append(
            rule.deadline(
                D.NDO_REVIEW,
                clock.days_after(facts.received_at, review_days),
                gettext_noop(
                    "The non-disclosure order runs past one year (to %(date)s): legal must "
                    "review it (DOJ policy since 2017: at most one year)."
                ),
                needs_legal_review=True,
                date=facts.ndo_expires_on,
            )
        )
    return found


def _emergency_sla(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    hours = clock.slas["emergency_first_decision_hours"]
    return [
        rule.deadline(
            D.FIRST_DECISION,
            clock.hours_after(facts.received_at, hours),
            gettext_noop(
                "Emergency under the issuing state's law: first decision within %(hours)s "
                "hour(s) of receipt (internal SLA; that law sets no clock of its own)."
            ),
            hours=hours,
        )
    ]


def _confidentiality(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    if facts.ndo_expires_on is None:
        return [
            rule.deadline(
                D.NDO_REVIEW,
                clock.days_after(facts.received_at, clock.slas["ndo_review_days"]),
                gettext_noop(
                    "The order's confidentiality term states no end date: legal must review "
                    "it under the issuing state's law."
                ),
                needs_legal_review=True,
            )
        ]
    return [
        rule.deadline(
            D.USER_NOTICE,
            clock.end_of_day(facts.ndo_expires_on),
            gettext_noop(
                "The order's confidentiality term ends on %(date)s: the user notice becomes "
                "due unless another reason to withhold it applies."
            ),
            date=facts.ndo_expires_on,
        )
    ]


def _prospective(days: int) -> Callable[[Rule, ProcessFacts, Clock], list[ComputedDeadline]]:
    def compute(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
        start_days = clock.slas["prospective_start_days"]
        found = [
            rule.deadline(
                D.RESPONSE,
                clock.days_after(facts.received_at, start_days),
                gettext_noop(
                    "Prospective order: start collection forthwith (internal SLA: %(days)s days)."
                ),
                days=start_days,
            )
        ]
        if facts.period_ends_on is not None:
            found.append(
                rule.deadline(
                    D.AUTHORISATION_END,
                    clock.end_of_day(facts.period_ends_on),
                    gettext_noop("The order authorises collection until %(date)s."),
                    date=facts.period_ends_on,
                )
            )
        else:
            total = days * (1 + max(facts.extensions, 0))
            found.append(
                rule.deadline(
                    D.AUTHORISATION_END,
                    clock.days_after(facts.received_at, total),
                    gettext_noop(
                        "Authorised for %(days)s days, plus %(extensions)s extension(s) of "
                        "%(days)s days (%(total)s days): stop collecting when it ends."
                    ),
                    days=days,
                    extensions=max(facts.extensions, 0),
                    total=total,
                )
            )
        return found

    return compute


def _backup(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    return [
        rule.deadline(
            D.BACKUP_COPY,
            clock.business_days_after(facts.received_at, 2),
            gettext_noop("Create the backup copy within 2 business days of receipt."),
        ),
        rule.deadline(
            D.BACKUP_HOLD,
            clock.days_after(facts.received_at, 14),
            gettext_noop(
                "Keep the backup copy at least 14 days after notice (counted from receipt); "
                "release only if no challenge is pending."
            ),
        ),
    ]


def _cybertip(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    hours = clock.slas["cybertip_report_hours"]
    found = [
        rule.deadline(
            D.REPORT,
            clock.hours_after(facts.received_at, hours),
            gettext_noop(
                "Report to the CyberTipline as soon as reasonably possible after actual "
                "knowledge (internal SLA: %(hours)s hours)."
            ),
            hours=hours,
        )
    ]
    if facts.reported_at is not None:
        due = clock.years_after(facts.reported_at, 1)
        text = gettext_noop(
            "The completed report is a preservation request: keep the reported content for "
            "one year from the report (%(date)s)."
        )
        found.append(rule.deadline(D.PRESERVATION_EXPIRY, due, text, date=facts.reported_at))
    else:
        due = clock.years_after(facts.received_at, 1)
        text = gettext_noop(
            "Keep the reported content for one year; counted from knowledge until the "
            "report's submission time is recorded."
        )
        found.append(rule.deadline(D.PRESERVATION_EXPIRY, due, text))
    return found


def _epoc(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    early = clock.local_date(facts.received_at) < EPOC_APPLIES_FROM
    found: list[ComputedDeadline] = []
    if facts.return_date is not None:
        found += _response_or_return_date(rule, facts, clock, days=10, default_text="")
    elif facts.emergency:
        found.append(
            rule.deadline(
                D.RESPONSE,
                clock.hours_after(facts.received_at, 8),
                gettext_noop("Emergency EPOC: produce within 8 hours of receipt (Art. 10(4))."),
            )
        )
    else:
        found.append(
            rule.deadline(
                D.RESPONSE,
                clock.days_after(facts.received_at, 10),
                gettext_noop("EPOC: produce within 10 days of receipt (Art. 10(2))."),
            )
        )
    if facts.enforcing_state_notified:
        if facts.emergency:
            due = clock.hours_after(facts.received_at, 96)
            text = gettext_noop(
                "The enforcing state was notified: it has 96 hours to raise grounds for "
                "refusal (Art. 10(4), 12); do not transmit before unless it confirms."
            )
        else:
            due = clock.days_after(facts.received_at, 10)
            text = gettext_noop(
                "The enforcing state was notified: it has 10 days to raise grounds for "
                "refusal (Art. 10(2), 12); do not transmit before unless it confirms."
            )
        found.append(rule.deadline(D.REFUSAL_WINDOW, due, text))
    if early:
        # Before 18 August 2026 the Regulation does not apply yet: legal decides.
        found = [dataclasses.replace(d, needs_legal_review=True) for d in found]
    return found


def _epoc_pr(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    text = gettext_noop(
        "EPOC-PR: preserve %(days)s days, plus %(extensions)s extension(s) of "
        "%(extension_days)s days (%(total)s days); the hold continues while a confirmed "
        "production request is pending."
    )
    return [_preservation(rule, facts, clock, days=60, extension_days=30, text=text)]


def _canada_preservation(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    if facts.kind == K.CA_PRESERVATION_ORDER:
        text = gettext_noop("Preservation order (487.013): expires %(days)s days after it is made.")
        days = 90
    elif facts.foreign_offence:
        text = gettext_noop(
            "Preservation demand for a foreign offence (487.012(3)(b)): expires after "
            "%(days)s days."
        )
        days = 90
    else:
        text = gettext_noop("Preservation demand (487.012(3)(a)): expires after %(days)s days.")
        days = 21
    return [_preservation(rule, facts, clock, days=days, extension_days=0, text=text)]


def _brazil(rule: Rule, facts: ProcessFacts, clock: Clock) -> list[ComputedDeadline]:
    if facts.kind == K.BR_COURT_ORDER:
        return _response_or_return_date(
            rule,
            facts,
            clock,
            days=clock.slas["order_default_days"],
            default_text=gettext_noop(
                "The court order states no date: internal SLA of %(days)s days."
            ),
        )
    return [
        _preservation(
            rule,
            facts,
            clock,
            days=60,
            extension_days=0,
            text=gettext_noop(
                "Retention demand: keep the records %(days)s days; it lapses unless a court "
                "order follows within that time."
            ),
        ),
        rule.deadline(
            D.COURT_ORDER_DUE,
            clock.days_after(facts.received_at, 60),
            gettext_noop(
                "The requesting authority must obtain a court order within 60 days of the "
                "retention demand (Arts. 13 §4, 15 §2)."
            ),
        ),
    ]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


RULES: tuple[Rule, ...] = (
    Rule(
        id="us.subpoena",
        citation="18 USC 2703(c)(2)",
        summary=gettext_noop(
            "Subpoena for basic subscriber information: the return date, else 14 days."
        ),
        applies=_kind_is(K.US_SUBPOENA),
        orders=frozenset({US}),
        compute=_sla_response(
            "subpoena_days",
            gettext_noop("No return date on the subpoena: internal SLA of %(days)s days."),
        ),
    ),
    Rule(
        id="us.2703d_order",
        citation="18 USC 2703(d)",
        summary=gettext_noop("Court order for non-content records: the return date, else 14 days."),
        applies=_kind_is(K.US_2703D_ORDER),
        orders=frozenset({US}),
        compute=_sla_response(
            "court_order_days",
            gettext_noop("No return date on the order: internal SLA of %(days)s days."),
        ),
    ),
    Rule(
        id="us.search_warrant",
        citation="18 USC 2703(a)/(b); FRCP 41",
        summary=gettext_noop("Search warrant for content: the return date, else 10 days."),
        applies=_kind_is(K.US_SEARCH_WARRANT),
        orders=frozenset({US}),
        compute=_sla_response(
            "search_warrant_days",
            gettext_noop("No return date on the warrant: internal SLA of %(days)s days."),
        ),
    ),
    Rule(
        id="us.2703f_preservation",
        citation="18 USC 2703(f)",
        summary=gettext_noop(
            "Preservation request: 90 days from receipt, one 90-day extension (180 at most)."
        ),
        applies=_kind_is(K.US_PRESERVATION),
        orders=frozenset({US}),
        compute=_us_preservation,
    ),
    Rule(
        id="us.emergency",
        citation="18 USC 2702(b)(8), (c)(4)",
        summary=gettext_noop(
            "Emergency request: first decision within 1 hour; two approvals before disclosure."
        ),
        applies=lambda f: f.kind == K.US_EMERGENCY or f.emergency,
        orders=frozenset({US}),
        compute=_emergency,
    ),
    Rule(
        id="us.ndo",
        citation="18 USC 2705(b)",
        summary=gettext_noop(
            "Non-disclosure order: notice due when it expires; no end date or over a year "
            "goes to legal review."
        ),
        applies=lambda f: f.ndo,
        orders=frozenset({US}),
        compute=_ndo,
    ),
    Rule(
        id="intl.emergency",
        citation="Internal SLA (no statutory emergency clock in the issuing state's law)",
        summary=gettext_noop(
            "Emergency order outside US law without a clock of its own: first decision "
            "within 1 hour (internal SLA)."
        ),
        applies=lambda f: f.emergency and f.kind not in OWN_EMERGENCY_CLOCK,
        orders=NON_US_ORDERS,
        compute=_emergency_sla,
    ),
    Rule(
        id="intl.confidentiality",
        citation="Confidentiality term of the order (law of the issuing state)",
        summary=gettext_noop(
            "Confidentiality term of a non-US order: notice due when it ends; no end date "
            "goes to legal review."
        ),
        applies=lambda f: f.ndo,
        orders=NON_US_ORDERS,
        compute=_confidentiality,
    ),
    Rule(
        id="us.pen_trap",
        citation="18 USC 3123(c)",
        summary=gettext_noop("Pen register / trap and trace: up to 60 days, extensions of 60."),
        applies=_kind_is(K.US_PEN_TRAP),
        orders=frozenset({US}),
        compute=_prospective(60),
    ),
    Rule(
        id="us.wiretap",
        citation="18 USC 2518(5)",
        summary=gettext_noop("Wiretap: up to 30 days, extensions of 30."),
        applies=_kind_is(K.US_WIRETAP),
        orders=frozenset({US}),
        compute=_prospective(30),
    ),
    Rule(
        id="us.2704_backup",
        citation="18 USC 2704(a)",
        summary=gettext_noop(
            "Backup preservation: copy within 2 business days; keep at least 14 days."
        ),
        applies=_kind_is(K.US_BACKUP_PRESERVATION),
        orders=frozenset({US}),
        compute=_backup,
    ),
    Rule(
        id="us.cybertipline",
        citation="18 USC 2258A(a), (h) (REPORT Act 2024)",
        summary=gettext_noop(
            "CyberTipline: report within 24 hours (internal SLA); preserve 1 year."
        ),
        applies=_kind_is(K.CYBERTIPLINE),
        orders=frozenset({US}),
        compute=_cybertip,
    ),
    Rule(
        id="eu.epoc",
        citation="Regulation (EU) 2023/1543, Art. 10",
        summary=gettext_noop(
            "European Production Order: 10 days, 8 hours in emergencies; refusal window when "
            "the enforcing state is notified."
        ),
        applies=_kind_is(K.EU_EPOC),
        orders=frozenset({EU}),
        compute=_epoc,
    ),
    Rule(
        id="eu.epoc_pr",
        citation="Regulation (EU) 2023/1543, Art. 11",
        summary=gettext_noop("European Preservation Order: 60 days, extendable by 30."),
        applies=_kind_is(K.EU_EPOC_PR),
        orders=frozenset({EU}),
        compute=_epoc_pr,
    ),
    Rule(
        id="uk.opo",
        citation="Crime (Overseas Production Orders) Act 2019, s. 5(5)",
        summary=gettext_noop("Overseas Production Order: as the order states, else 7 days."),
        applies=_kind_is(K.UK_OPO),
        orders=frozenset({UK}),
        compute=_sla_response(
            "uk_opo_days",
            gettext_noop("The order states no period: %(days)s days (the Act's default)."),
        ),
    ),
    Rule(
        id="ca.preservation",
        citation="Criminal Code (Canada) 487.012, 487.013",
        summary=gettext_noop(
            "Preservation order: 90 days; demand: 21 days (90 for a foreign offence)."
        ),
        applies=_kind_is(K.CA_PRESERVATION_ORDER, K.CA_PRESERVATION_DEMAND),
        orders=frozenset({CA}),
        compute=_canada_preservation,
    ),
    Rule(
        id="ca.production_order",
        citation="Criminal Code (Canada) 487.014-487.018",
        summary=gettext_noop("Production order: as the order states."),
        applies=_kind_is(K.CA_PRODUCTION_ORDER),
        orders=frozenset({CA}),
        compute=_sla_response(
            "order_default_days",
            gettext_noop("The order states no date: internal SLA of %(days)s days."),
        ),
    ),
    Rule(
        id="au.ipo",
        citation="Telecommunications Legislation Amendment (International Production "
        "Orders) Act 2021",
        summary=gettext_noop("International production order: as the order states."),
        applies=_kind_is(K.AU_IPO),
        orders=frozenset({AU}),
        compute=_sla_response(
            "order_default_days",
            gettext_noop("The order states no date: internal SLA of %(days)s days."),
        ),
    ),
    Rule(
        id="intl.mlat",
        citation="Bilateral mutual legal assistance treaty",
        summary=gettext_noop("MLAT request: no statutory clock; internal SLA."),
        applies=_kind_is(K.MLAT),
        orders=frozenset({TREATY}),
        compute=_sla_response(
            "mlat_days",
            gettext_noop("No statutory clock: internal SLA of %(days)s days."),
        ),
    ),
    Rule(
        id="br.marco_civil",
        citation="Marco Civil da Internet (Lei 12.965/2014), Arts. 13, 15, 22",
        summary=gettext_noop(
            "Court order: as it states; a retention demand lapses unless a court order "
            "follows within 60 days."
        ),
        applies=_kind_is(K.BR_COURT_ORDER, K.BR_RETENTION_DEMAND),
        orders=frozenset({BR}),
        compute=_brazil,
    ),
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def deadlines_compute(facts: ProcessFacts, *, clock: Clock | None = None) -> list[ComputedDeadline]:
    """All deadlines one process creates, at most one per deadline kind.

    When two rules produce the same kind (an emergency EPOC has both a response and a first
    decision, which differ in kind; an NDO can add a review), the earlier due time wins, so
    nobody is told a later time than some rule demands.
    """
    if facts.received_at.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    clock = clock or Clock.from_settings()
    by_kind: dict[str, ComputedDeadline] = {}
    for rule in RULES:
        if not rule.applies_to(facts):
            continue
        for computed in rule.compute(rule, facts, clock):
            current = by_kind.get(computed.kind)
            if current is None or computed.due_at < current.due_at:
                by_kind[computed.kind] = computed
    return sorted(by_kind.values(), key=lambda d: (d.due_at, d.kind))


# Deadlines about working the request: they end with the case (met on disclosure or
# rejection, cancelled on withdrawal or closure). The others are duties that outlive the
# case's work (a hold, a notice, a legal review) and stay open after it closes.
CASE_WORK_KINDS = frozenset(
    {
        D.RESPONSE,
        D.FIRST_DECISION,
        D.REPORT,
        D.REFUSAL_WINDOW,
        D.AUTHORISATION_END,
        D.BACKUP_COPY,
        D.COURT_ORDER_DUE,
    }
)
DUTY_KINDS = frozenset(D.values) - CASE_WORK_KINDS
