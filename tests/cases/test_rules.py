"""Every deadline rule of LEGAL.md, table-driven, plus the time conventions.

Times are given in the business zone where that is what a person would check by hand
("the end of the return date in New York"), and compared as instants.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest

from cases.models import DeadlineKind as D
from cases.models import ProcessKind as K
from cases.rules import (
    DEFAULT_SLAS,
    KIND_ORDER,
    RULES,
    RULES_BY_ID,
    Clock,
    ProcessFacts,
    deadlines_compute,
)

NY = zoneinfo.ZoneInfo("America/New_York")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def clock(zone=UTC, **slas) -> Clock:
    return Clock(
        zone=zone if zone is not UTC else zoneinfo.ZoneInfo("UTC"), slas={**DEFAULT_SLAS, **slas}
    )


RECEIVED = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)  # a Tuesday, after the EPOC start date


UTC_ZONE = zoneinfo.ZoneInfo("UTC")


def eod(day: date, zone=UTC_ZONE) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=zone)


def compute(**facts) -> dict[str, tuple[datetime, str]]:
    zone = facts.pop("zone", UTC)
    slas = facts.pop("slas", {})
    facts.setdefault("received_at", RECEIVED)
    found = deadlines_compute(ProcessFacts(**facts), clock=clock(zone, **slas))
    return {d.kind: (d.due_at, d.rule_id) for d in found}


# (case id, facts, expected {deadline kind: (due, rule id)}) — one or more rows per rule.
CASES = [
    (
        "subpoena SLA",
        {"kind": K.US_SUBPOENA},
        {D.RESPONSE: (eod(date(2026, 9, 15)), "us.subpoena")},
    ),
    (
        "subpoena return date wins",
        {"kind": K.US_SUBPOENA, "return_date": date(2026, 9, 4)},
        {D.RESPONSE: (eod(date(2026, 9, 4)), "us.subpoena")},
    ),
    (
        "subpoena later return date wins too",
        {"kind": K.US_SUBPOENA, "return_date": date(2026, 10, 30)},
        {D.RESPONSE: (eod(date(2026, 10, 30)), "us.subpoena")},
    ),
    (
        "2703(d) SLA",
        {"kind": K.US_2703D_ORDER},
        {D.RESPONSE: (eod(date(2026, 9, 15)), "us.2703d_order")},
    ),
    (
        "2703(d) return date",
        {"kind": K.US_2703D_ORDER, "return_date": date(2026, 9, 10)},
        {D.RESPONSE: (eod(date(2026, 9, 10)), "us.2703d_order")},
    ),
    (
        "warrant SLA",
        {"kind": K.US_SEARCH_WARRANT},
        {D.RESPONSE: (eod(date(2026, 9, 11)), "us.search_warrant")},
    ),
    (
        "warrant return date",
        {"kind": K.US_SEARCH_WARRANT, "return_date": date(2026, 9, 3)},
        {D.RESPONSE: (eod(date(2026, 9, 3)), "us.search_warrant")},
    ),
    (
        "2703(f) 90 days",
        {"kind": K.US_PRESERVATION},
        {D.PRESERVATION_EXPIRY: (eod(date(2026, 11, 30)), "us.2703f_preservation")},
    ),
    (
        "2703(f) one extension: 180",
        {"kind": K.US_PRESERVATION, "extensions": 1},
        {D.PRESERVATION_EXPIRY: (eod(date(2027, 2, 28)), "us.2703f_preservation")},
    ),
    (
        "2703(f) never beyond 180",
        {"kind": K.US_PRESERVATION, "extensions": 5},
        {D.PRESERVATION_EXPIRY: (eod(date(2027, 2, 28)), "us.2703f_preservation")},
    ),
    (
        "emergency request: 1 hour",
        {"kind": K.US_EMERGENCY, "emergency": True},
        {D.FIRST_DECISION: (RECEIVED + timedelta(hours=1), "us.emergency")},
    ),
    (
        "emergency SLA configurable",
        {"kind": K.US_EMERGENCY, "slas": {"emergency_first_decision_hours": 2}},
        {D.FIRST_DECISION: (RECEIVED + timedelta(hours=2), "us.emergency")},
    ),
    (
        "emergency flag on a warrant",
        {"kind": K.US_SEARCH_WARRANT, "emergency": True},
        {
            D.FIRST_DECISION: (RECEIVED + timedelta(hours=1), "us.emergency"),
            D.RESPONSE: (eod(date(2026, 9, 11)), "us.search_warrant"),
        },
    ),
    (
        "NDO with expiry: user notice",
        {"kind": K.US_SUBPOENA, "ndo": True, "ndo_expires_on": date(2027, 3, 1)},
        {
            D.RESPONSE: (eod(date(2026, 9, 15)), "us.subpoena"),
            D.USER_NOTICE: (eod(date(2027, 3, 1)), "us.ndo"),
        },
    ),
    (
        "NDO without end: legal review",
        {"kind": K.US_SUBPOENA, "ndo": True},
        {
            D.RESPONSE: (eod(date(2026, 9, 15)), "us.subpoena"),
            D.NDO_REVIEW: (eod(date(2026, 9, 3)), "us.ndo"),
        },
    ),
    (
        "NDO over a year: notice and review",
        {"kind": K.US_SUBPOENA, "ndo": True, "ndo_expires_on": date(2027, 12, 1)},
        {
            D.RESPONSE: (eod(date(2026, 9, 15)), "us.subpoena"),
            D.USER_NOTICE: (eod(date(2027, 12, 1)), "us.ndo"),
            D.NDO_REVIEW: (eod(date(2026, 9, 3)), "us.ndo"),
        },
    ),
    (
        "pen/trap 60 days",
        {"kind": K.US_PEN_TRAP},
        {
            D.RESPONSE: (eod(date(2026, 9, 3)), "us.pen_trap"),
            D.AUTHORISATION_END: (eod(date(2026, 10, 31)), "us.pen_trap"),
        },
    ),
    (
        "pen/trap extended once: 120",
        {"kind": K.US_PEN_TRAP, "extensions": 1},
        {
            D.RESPONSE: (eod(date(2026, 9, 3)), "us.pen_trap"),
            D.AUTHORISATION_END: (eod(date(2026, 12, 30)), "us.pen_trap"),
        },
    ),
    (
        "pen/trap stated end wins",
        {"kind": K.US_PEN_TRAP, "period_ends_on": date(2026, 9, 30)},
        {
            D.RESPONSE: (eod(date(2026, 9, 3)), "us.pen_trap"),
            D.AUTHORISATION_END: (eod(date(2026, 9, 30)), "us.pen_trap"),
        },
    ),
    (
        "wiretap 30 days",
        {"kind": K.US_WIRETAP},
        {
            D.RESPONSE: (eod(date(2026, 9, 3)), "us.wiretap"),
            D.AUTHORISATION_END: (eod(date(2026, 10, 1)), "us.wiretap"),
        },
    ),
    (
        "wiretap extended once: 60",
        {"kind": K.US_WIRETAP, "extensions": 1},
        {
            D.RESPONSE: (eod(date(2026, 9, 3)), "us.wiretap"),
            D.AUTHORISATION_END: (eod(date(2026, 10, 31)), "us.wiretap"),
        },
    ),
    (
        "2704 backup: 2 business days, 14-day hold",
        {"kind": K.US_BACKUP_PRESERVATION},
        {
            D.BACKUP_COPY: (eod(date(2026, 9, 3)), "us.2704_backup"),
            D.BACKUP_HOLD: (eod(date(2026, 9, 15)), "us.2704_backup"),
        },
    ),
    (
        "2704 over a weekend",
        {
            "kind": K.US_BACKUP_PRESERVATION,
            "received_at": datetime(2026, 9, 4, 16, 0, tzinfo=UTC),
        },  # Friday
        {
            D.BACKUP_COPY: (eod(date(2026, 9, 8)), "us.2704_backup"),
            D.BACKUP_HOLD: (eod(date(2026, 9, 18)), "us.2704_backup"),
        },
    ),
    (
        "CyberTipline: 24 h, 1 year from knowledge",
        {"kind": K.CYBERTIPLINE},
        {
            D.REPORT: (RECEIVED + timedelta(hours=24), "us.cybertipline"),
            D.PRESERVATION_EXPIRY: (eod(date(2027, 9, 1)), "us.cybertipline"),
        },
    ),
    (
        "CyberTipline: 1 year from the report",
        {"kind": K.CYBERTIPLINE, "reported_at": datetime(2026, 9, 1, 20, 0, tzinfo=UTC)},
        {
            D.REPORT: (RECEIVED + timedelta(hours=24), "us.cybertipline"),
            D.PRESERVATION_EXPIRY: (eod(date(2027, 9, 1)), "us.cybertipline"),
        },
    ),
    (
        "EPOC 10 days",
        {"kind": K.EU_EPOC, "country": "DE"},
        {D.RESPONSE: (eod(date(2026, 9, 11)), "eu.epoc")},
    ),
    (
        "EPOC emergency 8 hours",
        {"kind": K.EU_EPOC, "country": "DE", "subdivision": "DE-BE", "emergency": True},
        # Art. 10(4) governs an emergency EPOC; the US emergency rule never applies to it
        {D.RESPONSE: (RECEIVED + timedelta(hours=8), "eu.epoc")},
    ),
    (
        "EPOC notified: 10-day refusal window",
        {"kind": K.EU_EPOC, "enforcing_state_notified": True},
        {
            D.RESPONSE: (eod(date(2026, 9, 11)), "eu.epoc"),
            D.REFUSAL_WINDOW: (eod(date(2026, 9, 11)), "eu.epoc"),
        },
    ),
    (
        "EPOC emergency notified: 96 hours",
        {"kind": K.EU_EPOC, "emergency": True, "enforcing_state_notified": True},
        {
            D.RESPONSE: (RECEIVED + timedelta(hours=8), "eu.epoc"),
            D.REFUSAL_WINDOW: (RECEIVED + timedelta(hours=96), "eu.epoc"),
        },
    ),
    (
        "emergency UK order: internal SLA, no US citation",
        {"kind": K.UK_OPO, "country": "GB", "emergency": True},
        {
            D.RESPONSE: (eod(date(2026, 9, 8)), "uk.opo"),
            D.FIRST_DECISION: (RECEIVED + timedelta(hours=1), "intl.emergency"),
        },
    ),
    (
        "EPOC with a confidentiality term: notice at its end, not 18 USC 2705(b)",
        {"kind": K.EU_EPOC, "country": "DE", "ndo": True, "ndo_expires_on": date(2028, 3, 1)},
        {
            D.RESPONSE: (eod(date(2026, 9, 11)), "eu.epoc"),
            D.USER_NOTICE: (eod(date(2028, 3, 1)), "intl.confidentiality"),
        },
    ),
    (
        "Canadian order with an open-ended confidentiality term: legal review",
        {"kind": K.CA_PRODUCTION_ORDER, "country": "CA", "ndo": True},
        {
            D.RESPONSE: (eod(date(2026, 9, 15)), "ca.production_order"),
            D.NDO_REVIEW: (eod(date(2026, 9, 3)), "intl.confidentiality"),
        },
    ),
    (
        "EPOC return date wins",
        {"kind": K.EU_EPOC, "return_date": date(2026, 9, 5)},
        {D.RESPONSE: (eod(date(2026, 9, 5)), "eu.epoc")},
    ),
    (
        "EPOC-PR 60 days",
        {"kind": K.EU_EPOC_PR},
        {D.PRESERVATION_EXPIRY: (eod(date(2026, 10, 31)), "eu.epoc_pr")},
    ),
    (
        "EPOC-PR extended: 90",
        {"kind": K.EU_EPOC_PR, "extensions": 1},
        {D.PRESERVATION_EXPIRY: (eod(date(2026, 11, 30)), "eu.epoc_pr")},
    ),
    (
        "EPOC-PR at most one extension",
        {"kind": K.EU_EPOC_PR, "extensions": 3},
        {D.PRESERVATION_EXPIRY: (eod(date(2026, 11, 30)), "eu.epoc_pr")},
    ),
    (
        "UK OPO default 7 days",
        {"kind": K.UK_OPO, "country": "GB"},
        {D.RESPONSE: (eod(date(2026, 9, 8)), "uk.opo")},
    ),
    (
        "UK OPO as the order states",
        {"kind": K.UK_OPO, "return_date": date(2026, 9, 20)},
        {D.RESPONSE: (eod(date(2026, 9, 20)), "uk.opo")},
    ),
    (
        "Canada preservation order 90 days",
        {"kind": K.CA_PRESERVATION_ORDER},
        {D.PRESERVATION_EXPIRY: (eod(date(2026, 11, 30)), "ca.preservation")},
    ),
    (
        "Canada demand 21 days",
        {"kind": K.CA_PRESERVATION_DEMAND},
        {D.PRESERVATION_EXPIRY: (eod(date(2026, 9, 22)), "ca.preservation")},
    ),
    (
        "Canada demand, foreign offence 90",
        {"kind": K.CA_PRESERVATION_DEMAND, "foreign_offence": True},
        {D.PRESERVATION_EXPIRY: (eod(date(2026, 11, 30)), "ca.preservation")},
    ),
    (
        "Canada production order as stated",
        {"kind": K.CA_PRODUCTION_ORDER, "return_date": date(2026, 9, 30)},
        {D.RESPONSE: (eod(date(2026, 9, 30)), "ca.production_order")},
    ),
    (
        "Canada production order, no date: SLA",
        {"kind": K.CA_PRODUCTION_ORDER},
        {D.RESPONSE: (eod(date(2026, 9, 15)), "ca.production_order")},
    ),
    (
        "Australia IPO as stated",
        {"kind": K.AU_IPO, "return_date": date(2026, 9, 25)},
        {D.RESPONSE: (eod(date(2026, 9, 25)), "au.ipo")},
    ),
    (
        "Australia IPO, no date: SLA",
        {"kind": K.AU_IPO},
        {D.RESPONSE: (eod(date(2026, 9, 15)), "au.ipo")},
    ),
    ("MLAT internal SLA", {"kind": K.MLAT}, {D.RESPONSE: (eod(date(2026, 10, 1)), "intl.mlat")}),
    (
        "MLAT SLA configurable",
        {"kind": K.MLAT, "slas": {"mlat_days": 45}},
        {D.RESPONSE: (eod(date(2026, 10, 16)), "intl.mlat")},
    ),
    (
        "Brazil court order as stated",
        {"kind": K.BR_COURT_ORDER, "return_date": date(2026, 9, 9)},
        {D.RESPONSE: (eod(date(2026, 9, 9)), "br.marco_civil")},
    ),
    (
        "Brazil court order, no date: SLA",
        {"kind": K.BR_COURT_ORDER},
        {D.RESPONSE: (eod(date(2026, 9, 15)), "br.marco_civil")},
    ),
    (
        "Brazil retention demand: 60 days",
        {"kind": K.BR_RETENTION_DEMAND},
        {
            D.PRESERVATION_EXPIRY: (eod(date(2026, 10, 31)), "br.marco_civil"),
            D.COURT_ORDER_DUE: (eod(date(2026, 10, 31)), "br.marco_civil"),
        },
    ),
]


@pytest.mark.parametrize(("name", "facts", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(name, facts, expected):
    assert compute(**facts) == expected


def test_every_rule_and_process_kind_is_covered_by_the_table():
    """A new rule or kind without a row above fails here, not in production."""
    covered_rules = {rule_id for *_, expected in CASES for _, rule_id in expected.values()}
    assert covered_rules == set(RULES_BY_ID)
    covered_kinds = {facts["kind"] for _, facts, _ in CASES}
    assert covered_kinds == set(K.values)


@pytest.mark.parametrize("kind", K.values)
def test_no_rule_of_another_legal_order_applies_whatever_the_flags(kind):
    """Every rule is checked for every kind with every flag set: a rule of one legal order
    (a US statute) never computes a deadline for process of another (an EU order)."""
    facts = ProcessFacts(
        kind=kind,
        received_at=RECEIVED,
        emergency=True,
        ndo=True,
        ndo_expires_on=date(2028, 3, 1),
        foreign_offence=True,
        enforcing_state_notified=True,
        extensions=1,
        reported_at=RECEIVED,
    )
    order = KIND_ORDER[kind]
    for rule in RULES:
        if order not in rule.orders:
            assert not rule.applies_to(facts), (rule.id, kind)
    for d in deadlines_compute(facts, clock=clock()):
        assert order in RULES_BY_ID[d.rule_id].orders, (d.rule_id, kind)
        if order != "us":
            assert "USC" not in d.citation, (d.rule_id, kind)


def test_every_rule_has_a_citation_and_an_explanation():
    for rule in RULES:
        assert rule.citation.strip(), rule.id
        assert len(rule.summary) > 20, rule.id
    for d in deadlines_compute(ProcessFacts(kind=K.US_SUBPOENA, received_at=RECEIVED, ndo=True)):
        assert d.citation and d.explanation
        assert d.explanation % d.params  # every placeholder has its value


def test_ndo_without_end_date_is_flagged_for_legal_review():
    found = deadlines_compute(
        ProcessFacts(kind=K.US_SUBPOENA, received_at=RECEIVED, ndo=True), clock=clock()
    )
    review = next(d for d in found if d.kind == D.NDO_REVIEW)
    assert review.needs_legal_review
    assert not next(d for d in found if d.kind == D.RESPONSE).needs_legal_review


def test_epoc_before_the_regulation_applies_needs_legal_review():
    early = ProcessFacts(kind=K.EU_EPOC, received_at=datetime(2026, 8, 17, 12, tzinfo=UTC))
    on_time = ProcessFacts(kind=K.EU_EPOC, received_at=datetime(2026, 8, 18, 12, tzinfo=UTC))
    assert all(d.needs_legal_review for d in deadlines_compute(early, clock=clock()))
    assert not any(d.needs_legal_review for d in deadlines_compute(on_time, clock=clock()))


# --- time-zone edges --------------------------------------------------------------------------


def test_return_date_means_end_of_that_day_in_the_business_zone():
    due = compute(kind=K.US_SUBPOENA, return_date=date(2026, 9, 4), zone=NY)[D.RESPONSE][0]
    assert due == datetime(2026, 9, 4, 23, 59, 59, tzinfo=NY)
    assert due.astimezone(UTC) == datetime(2026, 9, 5, 3, 59, 59, tzinfo=UTC)


def test_day_counting_starts_from_the_local_date_of_receipt():
    """01:30 UTC on 2 September is still 1 September in New York: count from the 1st."""
    received = datetime(2026, 9, 2, 1, 30, tzinfo=UTC)
    due = compute(kind=K.US_SEARCH_WARRANT, received_at=received, zone=NY)[D.RESPONSE][0]
    assert due == datetime(2026, 9, 11, 23, 59, 59, tzinfo=NY)
    in_utc = compute(kind=K.US_SEARCH_WARRANT, received_at=received)[D.RESPONSE][0]
    assert in_utc == eod(date(2026, 9, 12))


def test_preservation_across_dst_end_keeps_the_local_end_of_day():
    """Received in New York summer time, expiring after the November change: 23:59:59 EST."""
    received = datetime(2026, 9, 1, 14, 0, tzinfo=UTC)  # 10:00 EDT
    due = compute(kind=K.US_PRESERVATION, received_at=received, zone=NY)[D.PRESERVATION_EXPIRY][0]
    assert due == datetime(2026, 11, 30, 23, 59, 59, tzinfo=NY)
    assert due.astimezone(UTC) == datetime(2026, 12, 1, 4, 59, 59, tzinfo=UTC)  # UTC-5 now


def test_hour_clocks_are_elapsed_time_across_dst_start():
    """8 hours from 22:00 CET on the night the clocks go forward is 07:00 CEST (8 real hours)."""
    received = datetime(2026, 3, 28, 22, 0, tzinfo=BERLIN)
    due = compute(kind=K.EU_EPOC, emergency=True, received_at=received, zone=BERLIN)[D.RESPONSE][0]
    assert due - received == timedelta(hours=8)
    assert due.astimezone(BERLIN).hour == 7


def test_end_of_day_on_a_dst_change_day_is_well_defined():
    c = clock(NY)
    assert c.end_of_day(date(2026, 3, 8)).astimezone(NY).hour == 23  # spring forward day
    assert c.end_of_day(date(2026, 11, 1)) == datetime(2026, 11, 2, 4, 59, 59, tzinfo=UTC)


def test_cybertip_year_from_29_february_ends_28_february():
    received = datetime(2028, 2, 29, 12, tzinfo=UTC)
    due = compute(kind=K.CYBERTIPLINE, received_at=received)[D.PRESERVATION_EXPIRY][0]
    assert due == eod(date(2029, 2, 28))


def test_business_days_skip_configured_holidays():
    c = Clock(
        zone=zoneinfo.ZoneInfo("UTC"), slas=DEFAULT_SLAS, holidays=frozenset({date(2026, 9, 2)})
    )
    facts = ProcessFacts(kind=K.US_BACKUP_PRESERVATION, received_at=RECEIVED)
    copy = next(d for d in deadlines_compute(facts, clock=c) if d.kind == D.BACKUP_COPY)
    assert copy.due_at == eod(date(2026, 9, 4))


def test_clock_reads_settings(settings):
    settings.LIAISON_BUSINESS_TIME_ZONE = "Europe/Berlin"
    settings.LIAISON_DEADLINE_SLAS = {"subpoena_days": 5}
    settings.LIAISON_BUSINESS_HOLIDAYS = ["2026-12-25"]
    c = Clock.from_settings()
    assert c.zone == BERLIN
    assert c.slas["subpoena_days"] == 5 and c.slas["search_warrant_days"] == 10
    assert date(2026, 12, 25) in c.holidays


def test_naive_receipt_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        deadlines_compute(ProcessFacts(kind=K.US_SUBPOENA, received_at=datetime(2026, 9, 1)))


def test_the_staff_documentation_lists_every_rule_and_sla():
    """docs/deadlines.md is what staff read; it must not fall behind the code."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "deadlines.md").read_text()
    for rule in RULES:
        assert f"`{rule.id}`" in text, rule.id
        assert rule.citation in text, rule.citation
    for key, value in DEFAULT_SLAS.items():
        assert f"| `{key}` | {value} |" in text, key
