"""The law-enforcement request report: every figure by SQL aggregation.

One grouped query over ``LegalProcess`` (country x kind) gives requests, outcomes,
emergencies and NDOs; one over ``Target`` gives the accounts and identifiers named; one
over the preservations' targets gives the accounts preserved; one more the half-year
trend. Python only folds, bands and sums those few hundred aggregate rows, never the
requests themselves.

What counts, following the big providers' reports (docs/transparency.md):
- a *request* is one legal process received in the period (business time zone), on any
  case; CyberTipline duties (the provider's own reports) are not requests;
- *preservation requests* (2703(f), 2704, EPOC-PR, Canada, Brazil retention) are counted
  apart from the totals, with the accounts they preserved;
- *some data produced*: the case reached ``disclosed`` at some point (``CaseOutcome``);
- *emergency*: an emergency disclosure request, or process flagged emergency;
- *rejected* / *withdrawn*: the last outcome the case reached (``CaseOutcome``);
- *US requests under an NDO*: process of the United States with a non-disclosure order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pycountry
from django.conf import settings
from django.db.models import (
    Count,
    Q,
    QuerySet,
)

from cases.models import (
    CaseStatus,
    LegalProcess,
    Preservation,
    ProcessKind,
)
from cases.rules import PRESERVATION_KINDS
from reports.transparency import sql
from reports.transparency.periods import Period, half_years_before

SCHEMA = "liaison.transparency.le-requests/2"
K = ProcessKind
S = CaseStatus

# Counted apart from the request totals (as Google and Meta do): they ask to keep records,
# not to produce them.
PRESERVATION_REQUEST_KINDS: frozenset[str] = (PRESERVATION_KINDS - {K.CYBERTIPLINE}) | {
    K.US_BACKUP_PRESERVATION
}
OTHER = "other"
EMERGENCY = Q(emergency=True) | Q(kind=K.US_EMERGENCY)
TREND_HALF_YEARS = 6

# The figures of each row, in the order of the CSV columns (docs/transparency.md).
COUNT_FIELDS = (
    "requests",
    "accounts",
    "produced",
    "emergency",
    "emergency_produced",
    "us_requests",
    "us_ndo",
    "rejected",
    "narrowed",
    "withdrawn",
    "preservation_requests",
    "accounts_preserved",
)
PERCENT_FIELDS = ("produced_pct", "emergency_produced_pct", "us_ndo_pct")
# (percentage, numerator, denominator)
PERCENTS = (
    ("produced_pct", "produced", "requests"),
    ("emergency_produced_pct", "emergency_produced", "emergency"),
    ("us_ndo_pct", "us_ndo", "us_requests"),
)


@dataclass(frozen=True)
class ReportOptions:
    """How the figures are shown: counts under ``band_below`` as "0-<band_below - 1>"
    (0: exact), countries with fewer than ``other_below`` requests folded into "other"."""

    band_below: int = 0
    other_below: int = 0

    @classmethod
    def from_settings(cls, **overrides: int | None) -> ReportOptions:
        values = {
            "band_below": getattr(settings, "LIAISON_TRANSPARENCY_BAND_BELOW", 0),
            "other_below": getattr(settings, "LIAISON_TRANSPARENCY_OTHER_BELOW", 0),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def requests_in(period: Period) -> QuerySet[LegalProcess]:
    """Legal process received in the period (requests and preservation requests), on
    any case: a warrant served on a child-safety case is a government request too.
    CyberTipline duties are the provider's own reports, not requests."""
    return LegalProcess.objects.filter(
        received_at__gte=period.start, received_at__lt=period.end
    ).exclude(kind=K.CYBERTIPLINE)


def _grouped(period: Period) -> list[Any]:
    return sql.grouped(period.start, period.end)


def _preserved(period: Period) -> dict[str, int]:
    through = Preservation.targets.through
    rows = (
        through.objects.filter(
            preservation__process__received_at__gte=period.start,
            preservation__process__received_at__lt=period.end,
            preservation__process__kind__in=PRESERVATION_REQUEST_KINDS,
        )
        .values("preservation__process__country")
        .annotate(n=Count("target_id", distinct=True))
        .order_by()
    )
    return {r["preservation__process__country"]: r["n"] for r in rows}


def _empty() -> dict[str, int]:
    return dict.fromkeys(COUNT_FIELDS, 0)


def _accumulate(into: dict[str, int], row: dict[str, Any], accounts: int) -> None:
    if row["kind"] in PRESERVATION_REQUEST_KINDS:
        into["preservation_requests"] += row["n"]
        return
    into["requests"] += row["n"]
    into["accounts"] += accounts
    into["produced"] += row["n_produced"]
    into["emergency"] += row["n_emergency"]
    into["emergency_produced"] += row["n_emergency_produced"]
    into["rejected"] += row["n_rejected"]
    into["withdrawn"] += row["n_withdrawn"]
    into["narrowed"] += row["n_narrowed"]
    if row["country"] == "US":
        into["us_requests"] += row["n"]
        into["us_ndo"] += row["n_us_ndo"]


def band(value: int, below: int) -> int | str:
    """``value``, or its band ("0-249") when under the threshold."""
    if below and value < below:
        return f"0-{below - 1}"
    return value


def percent(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def shown(counts: dict[str, int], options: ReportOptions) -> dict[str, Any]:
    """The published form of one row: percentages from exact counts, then the bands.
    A percentage of which either count is banded is withheld: with the other count it
    would reveal the banded one."""
    below = options.band_below
    out: dict[str, Any] = {}
    for name, numerator, denominator in PERCENTS:
        banded = bool(below) and (counts[numerator] < below or counts[denominator] < below)
        out[name] = None if banded else percent(counts[numerator], counts[denominator])
    for name in COUNT_FIELDS:
        out[name] = band(counts[name], below)
    return out


def country_name(code: str) -> str:
    if code == OTHER:
        return "Other countries"
    found = pycountry.countries.get(alpha_2=code)
    return getattr(found, "common_name", None) or (found.name if found else code)


def kind_label(kind: str) -> str:
    try:
        return str(ProcessKind(kind).label)
    except ValueError:
        return kind


def le_request_figures(
    *, period: Period, options: ReportOptions, trend: bool = True
) -> dict[str, Any]:
    """Every figure of the law-enforcement request report for ``period``, as the stable,
    JSON-ready structure that the HTML, CSV, JSON and PDF forms all render."""
    with sql.no_jit():
        return _le_request_figures(period=period, options=options, trend=trend)


def _le_request_figures(*, period: Period, options: ReportOptions, trend: bool) -> dict[str, Any]:
    grouped = _grouped(period)
    preserved = _preserved(period)

    by_country: dict[str, dict[str, int]] = defaultdict(_empty)
    by_kind: dict[str, dict[str, int]] = defaultdict(_empty)
    total = _empty()
    for row in grouped:
        accounts = row["n_targets"] or 0
        for bucket in (by_country[row["country"]], by_kind[row["kind"]], total):
            _accumulate(bucket, row, accounts)
    for country, n in preserved.items():
        by_country[country]["accounts_preserved"] += n
        total["accounts_preserved"] += n

    # Fold small countries into "other" (exact sums first, bands after).
    folded: dict[str, dict[str, int]] = {}
    for country, counts in by_country.items():
        size = counts["requests"] + counts["preservation_requests"]
        key = OTHER if size < options.other_below else country
        bucket = folded.setdefault(key, _empty())
        for name in COUNT_FIELDS:
            bucket[name] += counts[name]
    countries = sorted(
        (c for c in folded if c != OTHER),
        key=lambda c: (-folded[c]["requests"], -folded[c]["preservation_requests"], c),
    )
    if OTHER in folded:
        countries.append(OTHER)
    kinds = [k for k in ProcessKind.values if k in by_kind]

    figures: dict[str, Any] = {
        "schema": SCHEMA,
        "period": _period_json(period),
        "options": {"band_below": options.band_below, "other_below": options.other_below},
        "totals": shown(total, options),
        "by_country": [
            {"country": c, "name": country_name(c), **shown(folded[c], options)} for c in countries
        ],
        "by_kind": [
            {
                "kind": k,
                "label": kind_label(k),
                "preservation": k in PRESERVATION_REQUEST_KINDS,
                **shown(by_kind[k], options),
            }
            for k in kinds
        ],
        "cybertip": cybertip_figures(period),
    }
    if trend:
        figures["trend"] = trend_figures(period, options)
    return figures


def _period_json(period: Period) -> dict[str, str]:
    return {
        "label": period.label,
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "time_zone": period.time_zone,
    }


def trend_figures(period: Period, options: ReportOptions) -> list[dict[str, Any]]:
    """Requests and preservation requests in the ``TREND_HALF_YEARS`` half-years up to
    the report's, grouped by business-zone half-year in SQL."""
    halves = half_years_before(period, TREND_HALF_YEARS)
    span = Period(halves[0].first, halves[-1].last, "trend", period.time_zone)
    rows = sql.by_half_year(
        span.start, span.end, period.time_zone, sorted(PRESERVATION_REQUEST_KINDS)
    )
    found = {f"{r['year']}-H{r['half']}": r for r in rows}
    out = []
    for h in halves:
        r = found.get(h.label) or {"n_requests": 0, "n_preservation": 0}
        out.append(
            {
                "period": h.label,
                "requests": band(r["n_requests"], options.band_below),
                "preservation_requests": band(r["n_preservation"], options.band_below),
            }
        )
    return out


def cybertip_figures(period: Period) -> dict[str, Any]:
    """CyberTipline reports filed (and escalated) in the period, when that app is
    installed; ``available`` false otherwise (shown as "not available", never as 0)."""
    from django.apps import apps

    try:
        report = apps.get_model("cybertip", "CyberTipReport")
    except LookupError:
        return {
            "available": False,
            "reports_filed": None,
            "escalated": None,
            "urgent_referrals": None,
        }
    filed = report.objects.filter(
        status="finished", finished_at__gte=period.start, finished_at__lt=period.end
    ).aggregate(
        reports_filed=Count("id"),
        escalated=Count("id", filter=~Q(escalate_text="")),
    )
    return {
        "available": True,
        "reports_filed": filed["reports_filed"],
        "escalated": filed["escalated"],
        "urgent_referrals": _urgent_referrals(period),
    }


def _urgent_referrals(period: Period) -> int | None:
    """Urgent referrals sent to police in the period (``cybertip.UrgentReferral``: sent
    once two people approved); None when that app is not installed."""
    from django.apps import apps

    try:
        referral = apps.get_model("cybertip", "UrgentReferral")
    except LookupError:
        return None
    count: int = referral._default_manager.filter(
        status="sent", sent_at__gte=period.start, sent_at__lt=period.end
    ).count()
    return count


def rows_for_csv(figures: dict[str, Any]) -> Iterable[list[Any]]:
    """The CSV form: one line per country, per kind and the total (docs/transparency.md)."""
    header = ["section", "key", "label", *COUNT_FIELDS, *PERCENT_FIELDS]
    yield header
    for row in figures["by_country"]:
        yield ["country", row["country"], row["name"], *_values(row)]
    for row in figures["by_kind"]:
        yield ["kind", row["kind"], row["label"], *_values(row)]
    yield ["total", "all", "All requests", *_values(figures["totals"])]


def _values(row: dict[str, Any]) -> list[Any]:
    return [("" if row[f] is None else row[f]) for f in (*COUNT_FIELDS, *PERCENT_FIELDS)]
