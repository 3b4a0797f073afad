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

from django.utils.translation import gettext_noop

from cases.rules.compute import (
    _backup,
    _brazil,
    _canada_preservation,
    _confidentiality,
    _cybertip,
    _emergency,
    _emergency_sla,
    _epoc,
    _epoc_pr,
    _kind_is,
    _ndo,
    _prospective,
    _sla_response,
    _us_preservation,
)
from cases.rules.facts import (
    AU,
    BR,
    CA,
    DEFAULT_SLAS,
    EPOC_APPLIES_FROM,
    EU,
    KIND_ORDER,
    MAX_PRESERVATION_EXTENSIONS,
    NON_US_ORDERS,
    OWN_EMERGENCY_CLOCK,
    PRESERVATION_KINDS,
    TREATY,
    UK,
    US,
    Clock,
    ComputedDeadline,
    D,
    K,
    ProcessFacts,
    Rule,
)

# What the rest of Liaison imports from here (the rules' facts live in cases.rules.facts,
# how each rule computes in cases.rules.compute).
__all__ = [
    "CASE_WORK_KINDS",
    "DEFAULT_SLAS",
    "DUTY_KINDS",
    "EPOC_APPLIES_FROM",
    "KIND_ORDER",
    "MAX_PRESERVATION_EXTENSIONS",
    "PRESERVATION_KINDS",
    "RULES",
    "RULES_BY_ID",
    "Clock",
    "ComputedDeadline",
    "ProcessFacts",
    "Rule",
    "deadlines_compute",
]


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
