"""EU DSA transparency output: orders to provide information (Art. 10, Art. 15(1)(a)).

The harmonised template of Implementing Regulation (EU) 2024/2835 asks, for orders to
provide information received from Member States' authorities: the number of orders by
category of illegal content and by Member State, the median time to inform the authority
of receipt and the median time to give effect to the order. All figures are SQL
aggregates (``percentile_cont`` for the medians); docs/transparency.md maps Liaison's
process kinds to the template's categories and defines both clocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db.models import (
    Aggregate,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.fields.json import KT

from cases.jurisdictions import EU_MEMBER_STATES
from cases.models import (
    LegalProcess,
    ProcessKind,
    ReceivedVia,
    TimelineEvent,
    TimelineKind,
)
from reports.transparency.figures import PRESERVATION_REQUEST_KINDS, country_name, requests_in
from reports.transparency.models import CaseOutcome
from reports.transparency.periods import Period
from reports.transparency.sql import no_jit

SCHEMA = "liaison.transparency.dsa-orders-to-provide-information/2"
K = ProcessKind
# The DSA binds all 27 Member States, Denmark included (unlike the e-evidence Regulation:
# ``EPOC_STATES`` is this set without Denmark).
MEMBER_STATES = EU_MEMBER_STATES


# The template's categories of illegal content (the DSA statement-of-reasons codes).
# Liaison records the legal instrument, not the offence, so each order is placed by what
# it is: an emergency order concerns a threat to life or safety; any other order names
# no category Liaison can read, and is reported as not specified. docs/transparency.md.
CATEGORY_PUBLIC_SECURITY = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
CATEGORY_MINORS = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
CATEGORY_NOT_SPECIFIED = "NOT_SPECIFIED_IN_ORDER"
CATEGORY_LABELS = {
    CATEGORY_PUBLIC_SECURITY: "Risk for public security",
    CATEGORY_MINORS: "Protection of minors",
    CATEGORY_NOT_SPECIFIED: "Not specified in the order",
}
EMERGENCY = Q(emergency=True) | Q(kind=K.US_EMERGENCY)
IMMEDIATE_RECEIPT = (ReceivedVia.PORTAL, ReceivedVia.API)

# The template's CSV columns for this section, in order (docs/transparency.md).
CSV_COLUMNS = (
    "section",
    "member_state",
    "illegal_content_category",
    "number_of_orders",
    "median_time_to_inform_authority_of_receipt_hours",
    "median_time_to_give_effect_hours",
)
SECTION = "orders_to_provide_information_art_10"


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the median, interpolated (works on intervals)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


def orders_in(period: Period) -> QuerySet[LegalProcess]:
    """Orders from Member States' authorities that ask for information (not holds)."""
    return (
        requests_in(period)
        .filter(country__in=MEMBER_STATES)
        .exclude(kind__in=PRESERVATION_REQUEST_KINDS)
    )


def _category() -> SqlCase:
    return SqlCase(
        When(EMERGENCY, then=Value(CATEGORY_PUBLIC_SECURITY)),
        When(case__case_type="child_safety", then=Value(CATEGORY_MINORS)),
        default=Value(CATEGORY_NOT_SPECIFIED),
        output_field=CharField(),
    )


def _first_transition(target: str | None = None) -> Subquery:
    events = TimelineEvent.objects.filter(case_id=OuterRef("case_id"), kind=TimelineKind.TRANSITION)
    if target:
        events = events.annotate(target=KT("params__target")).filter(target=target)
    else:
        events = events.filter(public=True)
    return Subquery(
        events.order_by().values("case_id").annotate(first=Min("at")).values("first")[:1],
        output_field=DateTimeField(),
    )


def _with_clocks(queryset: QuerySet[LegalProcess]) -> QuerySet[LegalProcess]:
    """``informed_at``: when the authority learnt of receipt (at once for portal and API
    submissions, which answer with the case; else the first status change it was told
    of); ``effected_at``: when the case first reached ``disclosed`` (``CaseOutcome``)."""
    return queryset.annotate(
        informed_at=SqlCase(
            When(case__received_via__in=IMMEDIATE_RECEIPT, then=F("case__created_at")),
            default=_first_transition(),
            output_field=DateTimeField(),
        ),
        effected_at=Subquery(
            CaseOutcome.objects.filter(case_id=OuterRef("case_id")).values("disclosed_at")[:1],
            output_field=DateTimeField(),
        ),
    )


def _medians() -> dict[str, Aggregate]:
    return {
        "inform": Median(F("informed_at") - F("received_at"), output_field=DurationField()),
        "effect": Median(F("effected_at") - F("received_at"), output_field=DurationField()),
    }


def hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)


def dsa_figures(*, period: Period) -> dict[str, Any]:
    """The orders-to-provide-information section for ``period``: counts by Member State
    and category, medians overall and per Member State."""
    with no_jit():
        return _dsa_figures(period=period)


def _dsa_figures(*, period: Period) -> dict[str, Any]:
    orders = orders_in(period)
    counts: list[Any] = list(
        orders.annotate(category=_category())
        .values("country", "category")
        .annotate(n=Count("id"))
        .order_by("country", "category")
    )
    clocked = _with_clocks(orders)
    overall = clocked.aggregate(n=Count("id"), **_medians())
    per_state: dict[str, Any] = {
        r["country"]: r
        for r in clocked.values("country").annotate(n=Count("id"), **_medians()).order_by()
    }
    states = sorted(per_state, key=lambda c: (-per_state[c]["n"], c))
    return {
        "schema": SCHEMA,
        "period": {
            "label": period.label,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "time_zone": period.time_zone,
        },
        "total_orders": overall["n"],
        "median_time_to_inform_authority_of_receipt_hours": hours(overall["inform"]),
        "median_time_to_give_effect_hours": hours(overall["effect"]),
        "by_member_state": [
            {
                "member_state": c,
                "name": country_name(c),
                "orders": per_state[c]["n"],
                "median_time_to_inform_authority_of_receipt_hours": hours(per_state[c]["inform"]),
                "median_time_to_give_effect_hours": hours(per_state[c]["effect"]),
                "by_category": {r["category"]: r["n"] for r in counts if r["country"] == c},
            }
            for c in states
        ],
        "by_category": _category_totals(counts),
        "categories": CATEGORY_LABELS,
    }


def _category_totals(counts: list[Any]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in counts:
        totals[row["category"]] = totals.get(row["category"], 0) + row["n"]
    return dict(sorted(totals.items()))


def dsa_csv_rows(figures: dict[str, Any]) -> Iterable[list[Any]]:
    """One line per (Member State, category) with that state's medians, then one line
    per Member State over all categories ("ALL"), then the total ("ALL", "ALL")."""
    yield list(CSV_COLUMNS)

    def cell(value: float | None) -> Any:
        return "" if value is None else value

    for state in figures["by_member_state"]:
        for category, n in state["by_category"].items():
            yield [SECTION, state["member_state"], category, n, "", ""]
        yield [
            SECTION,
            state["member_state"],
            "ALL",
            state["orders"],
            cell(state["median_time_to_inform_authority_of_receipt_hours"]),
            cell(state["median_time_to_give_effect_hours"]),
        ]
    yield [
        SECTION,
        "ALL",
        "ALL",
        figures["total_orders"],
        cell(figures["median_time_to_inform_authority_of_receipt_hours"]),
        cell(figures["median_time_to_give_effect_hours"]),
    ]
