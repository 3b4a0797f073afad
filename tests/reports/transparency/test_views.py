"""The report pages: who may see them, and the four forms agreeing with each other."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess

import pytest
from django.urls import reverse
from lxml import html as lxml_html

from portal.audit.models import AccessEvent
from reports.transparency.models import TransparencyReport
from tests.factories import verified_client
from tests.reports.transparency.conftest import EXPECTED_TOTALS

pytestmark = pytest.mark.django_db
URL = reverse("transparency:report")
H1 = {"half": "2026-H1"}


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("supervisor", 200),
        ("legal", 200),
        ("auditor", 200),
        ("responder", 404),
        ("child_safety", 404),
        ("officer_a", 404),
    ],
)
def test_who_sees_the_transparency_figures(request, persona, status):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    assert verified_client(user).get(URL, H1).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [("supervisor", 200), ("legal", 404), ("responder", 404), ("auditor", 404)],
)
def test_only_supervisors_see_the_dashboard(request, persona, status):
    user = request.getfixturevalue(persona)
    assert verified_client(user).get(reverse("transparency:dashboard")).status_code == status


def test_bad_period_is_a_field_error_not_a_crash(legal):
    response = verified_client(legal).get(URL, {"from": "2026-02-30", "to": "2026-03-01"})
    assert response.status_code == 200
    assert "Give the first day as YYYY-MM-DD." in response.content.decode()


def test_viewing_and_downloading_are_logged(report_data, auditor):
    client = verified_client(auditor)
    client.get(URL, H1)
    client.get(URL, {**H1, "format": "csv"})
    events = AccessEvent.objects.filter(
        actor=auditor, object_type="transparency.transparencyreport"
    )
    assert sorted(events.values_list("action", flat=True)) == ["export", "view"]


def _html_totals(page: str) -> dict[str, str]:
    tree = lxml_html.fromstring(page)
    return {
        el.get("data-figure"): el.text_content().strip()
        for el in tree.xpath('//*[@data-testid="le-totals"]//*[@data-figure]')
    }


def _html_country_rows(page: str) -> dict[str, dict[str, str]]:
    tree = lxml_html.fromstring(page)
    rows = {}
    for tr in tree.xpath('//*[@data-testid="le-by-country"]//tr[@data-country]'):
        rows[tr.get("data-country")] = {
            td.get("data-col"): td.text_content().strip() for td in tr.xpath("td[@data-col]")
        }
    return rows


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f} %"
    return f"{value:,}" if isinstance(value, int) else str(value)


def test_html_csv_json_and_pdf_agree(report_data, legal):
    client = verified_client(legal)
    params = {**H1, "band_below": "2"}
    page = client.get(URL, params).content.decode()
    data = json.loads(client.get(URL, {**params, "format": "json"}).content)
    table = list(
        csv.DictReader(io.StringIO(client.get(URL, {**params, "format": "csv"}).content.decode()))
    )
    pdf = client.get(URL, {**params, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"

    # JSON is the figures; its totals are the hand count
    assert {k: data["totals"][k] for k in ("requests", "accounts", "produced_pct")} == {
        k: EXPECTED_TOTALS[k] for k in ("requests", "accounts", "produced_pct")
    }
    # CSV: the same values, line by line
    total = next(r for r in table if r["section"] == "total")
    for name, value in data["totals"].items():
        assert total[name] == ("" if value is None else str(value)), name
    csv_countries = {r["key"]: r for r in table if r["section"] == "country"}
    for row in data["by_country"]:
        for name in ("requests", "accounts", "produced", "preservation_requests"):
            assert csv_countries[row["country"]][name] == str(row[name])
    assert csv_countries["DE"]["requests"] == "0-1"  # banded (1 < 2) in every form

    # HTML: tiles and the table beside the country chart
    tiles = _html_totals(page)
    assert tiles["requests"] == _shown(data["totals"]["requests"])
    assert tiles["produced_pct"] == _shown(data["totals"]["produced_pct"])
    assert tiles["preservation_requests"] == _shown(data["totals"]["preservation_requests"])
    html_rows = _html_country_rows(page)
    for row in data["by_country"]:
        for name in ("requests", "accounts", "produced_pct", "preservation_requests"):
            assert html_rows[row["country"]][name] == _shown(row[name]), (row["country"], name)

    # PDF: the same table, as text
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    for row in data["by_country"]:
        starts = [ln for ln in text.splitlines() if ln.strip().startswith(row["name"])]
        line = next(ln for ln in starts if "%" in ln or "—" in ln)
        cells = re.split(r"\s{2,}", line.strip())
        assert cells[1:3] == [_shown(row["requests"]), _shown(row["accounts"])], line
        assert cells[3] == _shown(row["produced_pct"]), line
    assert "<svg" in page and text.count("Requests by country") >= 1


def test_generate_then_publish_from_the_pages(report_data, legal, supervisor, auditor):
    response = verified_client(legal).post(reverse("transparency:generate"), H1)
    assert response.status_code == 302
    le = TransparencyReport.objects.get(kind="le_requests")
    dsa = TransparencyReport.objects.get(kind="dsa_orders")
    page = verified_client(auditor).get(reverse("transparency:frozen", args=[le.pk]))
    assert le.figures_sha256 in page.content.decode()
    assert "Publish this section" not in page.content.decode()  # auditors read only
    assert (
        verified_client(auditor).post(reverse("transparency:publish", args=[le.pk])).status_code
        == 404
    )
    assert (
        verified_client(supervisor).post(reverse("transparency:publish", args=[le.pk])).status_code
        == 302
    )
    assert (
        verified_client(supervisor).post(reverse("transparency:publish", args=[le.pk])).status_code
        == 409
    )
    le.refresh_from_db()
    dsa.refresh_from_db()
    assert le.is_published and not dsa.is_published
    frozen_json = json.loads(
        verified_client(auditor)
        .get(reverse("transparency:frozen", args=[le.pk]), {"format": "json"})
        .content
    )
    assert frozen_json == le.figures
    reproduced = verified_client(auditor).get(
        reverse("transparency:frozen", args=[le.pk]), {"reproduce": "1"}
    )
    assert "the figures are identical" in reproduced.content.decode()


@pytest.mark.parametrize("form", [H1, {}, {"half": "2026-H7"}], ids=["valid", "empty", "bad"])
def test_generating_needs_the_publish_capability(report_data, auditor, form):
    """The same 404 whatever was posted: the form's errors are for those who may generate."""
    response = verified_client(auditor).post(reverse("transparency:generate"), form)
    assert response.status_code == 404
    assert not TransparencyReport.objects.exists()


def test_generating_with_a_bad_period_says_why(legal):
    response = verified_client(legal).post(reverse("transparency:generate"), {"half": "2026-H7"})
    assert response.status_code == 400
    assert "YYYY-H1" in response.content.decode()


FORMULA = "=cmd|' /C calc'!A0"


def test_a_formula_in_the_figures_is_text_in_both_csvs(report_data, legal):
    """No text in the figures is typed by a user today (country names, kind labels), and a
    frozen report cannot be changed; if a label ever is typed, the CSV still holds no live
    formula. The rows here are the service's own figures, stored again with one label
    replaced."""
    # GIVEN reports frozen from the service's figures, one label a DDE formula
    verified_client(legal).post(reverse("transparency:generate"), H1)
    stored = []
    for kind, key, field in (
        ("le_requests", "by_country", "name"),
        ("dsa_orders", "by_member_state", "member_state"),
    ):
        row = TransparencyReport.objects.get(kind=kind)
        row.figures[key][0][field] = FORMULA
        row.pk = None
        row.save()
        stored.append(row)
    le, dsa = stored
    client = verified_client(legal)
    for report, section in ((le, "le"), (dsa, "dsa")):
        # WHEN its CSV is downloaded and read back
        response = client.get(
            reverse("transparency:frozen", args=[report.pk]), {"format": "csv", "section": section}
        )
        cells = [c for row in csv.reader(io.StringIO(response.content.decode())) for c in row]
        # THEN the formula is there only as text
        assert "'" + FORMULA in cells
        assert FORMULA not in cells


def test_the_period_is_typed_as_dates_are_shown_and_a_typed_range_is_read(report_data, legal):
    """ISO text inputs, as every other date of the portal (ADR 0033): a browser picker would
    show 03/02/2026 on an American browser beside pages that write 2026-03-02."""
    client = verified_client(legal)
    page = lxml_html.fromstring(client.get(reverse("transparency:report")).content)
    for name in ("from", "to"):
        field = page.get_element_by_id(f"id_{name}")
        assert field.get("type") == "text"
        assert field.get("placeholder") == "YYYY-MM-DD"
    ranged = client.get(reverse("transparency:report"), {"from": "2026-01-01", "to": "2026-03-31"})
    page = lxml_html.fromstring(ranged.content)
    assert page.get_element_by_id("id_from").get("value") == "2026-01-01"
    assert page.get_element_by_id("id_to").get("value") == "2026-03-31"
    wrong = client.get(reverse("transparency:report"), {"from": "03/31/2026", "to": "2026-04-30"})
    assert "YYYY-MM-DD" in wrong.content.decode()
    refused = lxml_html.fromstring(wrong.content)
    assert refused.get_element_by_id("id_from").get("aria-invalid") == "true"
    # shown as typed, to correct rather than type again; no half-year pretends to be chosen
    assert refused.get_element_by_id("id_from").get("value") == "03/31/2026"
    assert refused.get_element_by_id("id_to").get("value") == "2026-04-30"
    assert not refused.xpath('//select[@id="id_half"]/option[@selected]')
