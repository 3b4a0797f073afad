"""How each deadline rule of ``cases.rules`` computes its deadlines from the facts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

from django.utils.translation import gettext_noop

from cases.rules.facts import (
    EPOC_APPLIES_FROM,
    MAX_PRESERVATION_EXTENSIONS,
    Clock,
    ComputedDeadline,
    D,
    K,
    ProcessFacts,
    Rule,
)


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
