"""The four forms of one report: HTML, CSV, JSON and PDF, all from the same figures.

Every form renders the figures dict produced by ``figures``/``dsa`` (or frozen in a
``TransparencyReport``) and nothing else, so they cannot disagree: the HTML page and the
PDF share one template body and the same SVG charts; CSV and JSON are that dict written
out (schemas in docs/transparency.md).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from portal.spreadsheets import csv_row
from reports.transparency import charts
from reports.transparency.dsa import dsa_csv_rows
from reports.transparency.figures import rows_for_csv

CHART_COUNTRIES = 12


def csv_text(rows: Any) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(csv_row(row))
    return buffer.getvalue()


def le_csv(figures: dict[str, Any]) -> str:
    return csv_text(rows_for_csv(figures))


def dsa_csv(figures: dict[str, Any]) -> str:
    return csv_text(dsa_csv_rows(figures))


def json_text(figures: dict[str, Any]) -> str:
    return json.dumps(figures, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def le_charts(figures: dict[str, Any], prefix: str = "le") -> dict[str, SafeString]:
    """Bar by country (produced / not), trend by half-year, outcome split."""
    produced = charts.Series(_("Some data produced"), "solid")
    not_produced = charts.Series(_("No data produced"), "hatch")
    withheld = charts.Series(_("Share withheld (small count)"), "open")
    rows: list[tuple[str, list[int | str]]] = []
    for row in figures["by_country"][:CHART_COUNTRIES]:
        requests, got = row["requests"], row["produced"]
        if isinstance(requests, int) and isinstance(got, int):
            rows.append((row["name"], [got, requests - got, 0]))
        elif isinstance(requests, int):  # the produced count is banded: bar without a split
            rows.append((row["name"], [0, 0, requests]))
        else:  # the request count itself is a band: written, not drawn
            rows.append((row["name"], [requests, 0, 0]))
    series = [produced, not_produced]
    if any(values[2] for _name, values in rows):
        series.append(withheld)
    else:
        rows = [(name, values[:2]) for name, values in rows]
    out = {
        "by_country": charts.horizontal_stacked(
            uid=f"{prefix}-country",
            title=_("Requests by country"),
            rows=rows,
            series=series,
        )
    }
    if figures.get("trend"):
        out["trend"] = charts.grouped_columns(
            uid=f"{prefix}-trend",
            title=_("Requests by half-year"),
            columns=[
                (t["period"], [t["requests"], t["preservation_requests"]]) for t in figures["trend"]
            ],
            series=[
                charts.Series(_("Requests"), "solid"),
                charts.Series(_("Preservation requests"), "dots"),
            ],
        )
    totals = figures["totals"]
    if all(isinstance(totals[k], int) for k in ("requests", "produced", "rejected", "withdrawn")):
        other = totals["requests"] - totals["produced"] - totals["rejected"] - totals["withdrawn"]
        out["outcomes"] = charts.share_bar(
            uid=f"{prefix}-outcomes",
            title=_("Outcome of requests"),
            parts=[
                (produced, totals["produced"]),
                (charts.Series(_("Rejected"), "hatch"), totals["rejected"]),
                (charts.Series(_("Withdrawn"), "dots"), totals["withdrawn"]),
                (charts.Series(_("No data produced / open"), "open"), other),
            ],
        )
    return out


def dsa_charts(figures: dict[str, Any], prefix: str = "dsa") -> dict[str, SafeString]:
    rows = [(s["name"], [s["orders"]]) for s in figures["by_member_state"][:CHART_COUNTRIES]]
    if not rows:
        return {}
    return {
        "by_state": charts.horizontal_stacked(
            uid=f"{prefix}-state",
            title=_("Orders by Member State"),
            rows=rows,
            series=[charts.Series(_("Orders to provide information"), "solid")],
        )
    }


def pdf_bytes(context: dict[str, Any]) -> bytes:
    """The print form: the page's body with the print stylesheet, by WeasyPrint."""
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    html = render_to_string("transparency/report_pdf.html", context)
    stylesheet = finders.find("transparency/print.css")
    assert isinstance(stylesheet, str)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=stylesheet)])
