"""The law-enforcement request figures against the hand-computed fixture (conftest)."""

from __future__ import annotations

import pytest

from reports.transparency.figures import ReportOptions, le_request_figures
from reports.transparency.periods import half_year, period_parse
from tests.reports.transparency.conftest import EXPECTED_TOTALS

pytestmark = pytest.mark.django_db

H1 = ReportOptions()


def by_country(figures):
    return {row["country"]: row for row in figures["by_country"]}


def test_half_year_totals_match_the_hand_count(report_data):
    figures = le_request_figures(period=half_year(2026, 1), options=H1)
    assert figures["totals"] == EXPECTED_TOTALS


def test_request_at_2330_on_30_june_business_time_counts_in_the_first_half(report_data):
    """P1 was received 1 July 06:30 UTC, which is 30 June 23:30 in Los Angeles."""
    first = le_request_figures(period=half_year(2026, 1), options=H1, trend=False)
    second = le_request_figures(period=half_year(2026, 2), options=H1, trend=False)
    assert by_country(first)["US"]["accounts"] == 4  # P1's two + P3 + P6
    assert second["totals"]["requests"] == 1  # P2 only (1 July 00:30)
    assert second["by_kind"][0]["kind"] == "us_search_warrant"


def test_withdrawn_request_is_counted_as_withdrawn_not_produced(report_data):
    us = by_country(le_request_figures(period=half_year(2026, 1), options=H1))["US"]
    assert us["requests"] == 3
    assert us["withdrawn"] == 1
    assert us["produced"] == 2
    assert us["produced_pct"] == 66.7


def test_multi_country_agency_counts_each_order_under_its_issuing_country(report_data):
    """Agency X (registered in NL) served one order from Germany and one from France."""
    rows = by_country(le_request_figures(period=half_year(2026, 1), options=H1))
    assert "NL" not in rows
    assert rows["DE"]["requests"] == 1 and rows["DE"]["produced"] == 1
    assert rows["FR"]["requests"] == 1 and rows["FR"]["rejected"] == 1
    assert rows["FR"]["accounts"] == 3


def test_closed_case_keeps_the_outcome_it_reached_before_closing(report_data):
    rows = by_country(le_request_figures(period=half_year(2026, 1), options=H1))
    assert rows["DE"]["produced_pct"] == 100.0  # disclosed, then closed
    assert rows["FR"]["produced_pct"] == 0.0  # rejected, then closed


def test_preservations_are_counted_apart_with_accounts_preserved(report_data):
    figures = le_request_figures(period=half_year(2026, 1), options=H1)
    kinds = {row["kind"]: row for row in figures["by_kind"]}
    assert kinds["us_2703f_preservation"]["preservation"] is True
    assert kinds["us_2703f_preservation"]["requests"] == 0
    assert kinds["us_2703f_preservation"]["preservation_requests"] == 1
    assert by_country(figures)["US"]["accounts_preserved"] == 2
    assert "cybertipline" not in kinds


def test_band_boundary_count_equal_to_threshold_is_exact_one_below_is_banded(report_data):
    figures = le_request_figures(period=half_year(2026, 1), options=ReportOptions(band_below=3))
    rows = by_country(figures)
    assert rows["US"]["requests"] == 3  # not below 3
    assert rows["US"]["produced"] == "0-2"  # 2 is below 3
    assert rows["DE"]["requests"] == "0-2"
    assert rows["DE"]["produced_pct"] is None  # its denominator is banded: withheld
    assert rows["US"]["produced_pct"] is None  # 66.7 % of 3 would reveal the banded 2
    assert figures["totals"]["produced_pct"] == 50.0  # 3 of 6: neither is banded
    assert figures["totals"]["requests"] == 6


def test_small_countries_are_folded_into_other_before_banding(report_data):
    figures = le_request_figures(
        period=half_year(2026, 1), options=ReportOptions(band_below=3, other_below=2)
    )
    assert [row["country"] for row in figures["by_country"]] == ["US", "other"]
    other = figures["by_country"][-1]
    assert other["name"] == "Other countries"
    assert other["requests"] == 3  # DE + FR + GB, exact: 3 is not below the band
    assert other["accounts"] == 5


def test_date_range_is_inclusive_of_both_days_in_business_time(report_data):
    period = period_parse(first="2026-02-01", last="2026-02-02")
    figures = le_request_figures(period=period, options=H1, trend=False)
    assert figures["totals"]["requests"] == 2
    assert figures["period"] == {
        "label": "2026-02-01..2026-02-02",
        "first": "2026-02-01",
        "last": "2026-02-02",
        "time_zone": "America/Los_Angeles",
    }


def test_trend_groups_by_business_half_year(report_data):
    trend = le_request_figures(period=half_year(2026, 1), options=H1)["trend"]
    assert [t["period"] for t in trend] == [
        "2023-H2",
        "2024-H1",
        "2024-H2",
        "2025-H1",
        "2025-H2",
        "2026-H1",
    ]
    assert trend[-1] == {
        "period": "2026-H1",
        "requests": 6,
        "preservation_requests": 1,
    }
    assert trend[0]["requests"] == 0


def test_cybertip_reports_filed_escalated_and_urgent_referrals_in_the_period(
    report_data, child_safety, supervisor
):
    """Filed in H1: two reports (one escalated); a draft and one filed on 1 July (business
    time) do not count. One referral sent in H1; one awaiting its second approval."""
    from cases.models import CaseType
    from portal.accounts.models import Agency
    from reports.cybertip.models import CyberTipReport, UrgentReferral
    from tests.cases.factories import CaseFactory
    from tests.reports.transparency.conftest import la

    case = CaseFactory(case_type=CaseType.CHILD_SAFETY, reference="CS-2026-990001")

    def report(status, finished, escalate=""):
        CyberTipReport.objects.create(
            case=case,
            status=status,
            incident_type="Child Pornography (possession, manufacture, and distribution)",
            incident_at=la(2026, 3, 1, 9),
            escalate_text=escalate,
            finished_at=finished,
            created_by=child_safety,
        )

    report("finished", la(2026, 3, 2, 9))
    report("finished", la(2026, 6, 30, 23, 59), escalate="Live stream of abuse.")
    report("finished", la(2026, 7, 1, 0, 1))
    report("draft", None)
    agency = Agency.objects.create(name="Example Child Protection Unit", country="US")
    for status, sent in (("sent", la(2026, 4, 1, 10)), ("awaiting_approval", None)):
        UrgentReferral.objects.create(
            case=case,
            agency=agency,
            basis="2702c4",
            emergency="A child is in danger now.",
            disclosed="Account records.",
            status=status,
            requested_by=child_safety,
            requested_at=la(2026, 4, 1, 9),
            approved_by=supervisor if sent else None,
            sent_at=sent,
        )
    cybertip = le_request_figures(period=half_year(2026, 1), options=H1)["cybertip"]
    assert cybertip == {
        "available": True,
        "reports_filed": 2,
        "escalated": 1,
        "urgent_referrals": 1,
    }


def test_empty_period_has_no_rows_and_no_percentages(db):
    figures = le_request_figures(period=half_year(2020, 1), options=H1)
    assert figures["by_country"] == []
    assert figures["totals"]["requests"] == 0
    assert figures["totals"]["produced_pct"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"half": "2026-H3"}, "half"),
        ({"first": "2026-13-01", "last": "2026-12-01"}, "from"),
        ({"first": "2026-02-01", "last": "2026-01-01"}, "to"),
    ],
)
def test_bad_periods_are_refused_with_a_field_message(params, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        period_parse(**params)
    assert field in caught.value.message_dict


@pytest.mark.parametrize(
    ("value", "shown"), [(None, "—"), ("", "—"), (3.5, "3.5 h"), (60, "2.5 days")]
)
def test_hours_shows_a_missing_figure_as_a_dash(value, shown):
    """A report frozen without a figure (its DSA sibling missing, an older report) shows a
    dash; the page crashed with a TypeError on the empty string before."""
    from django.utils import translation

    from reports.transparency.templatetags.transparency import hours

    with translation.override("en"):
        assert hours(value) == shown
