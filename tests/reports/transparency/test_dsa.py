"""The DSA orders-to-provide-information section against the fixture (conftest)."""

from __future__ import annotations

import csv
import io

import pytest

from reports.transparency.dsa import CATEGORY_NOT_SPECIFIED, CSV_COLUMNS, dsa_figures
from reports.transparency.outputs import dsa_csv
from reports.transparency.periods import half_year

pytestmark = pytest.mark.django_db


def test_orders_by_member_state_and_category(report_data):
    figures = dsa_figures(period=half_year(2026, 1))
    assert figures["total_orders"] == 2  # P4 (DE), P5 (FR); GB and US are not Member States
    states = {s["member_state"]: s for s in figures["by_member_state"]}
    assert set(states) == {"DE", "FR"}
    assert states["DE"]["by_category"] == {CATEGORY_NOT_SPECIFIED: 1}
    assert figures["by_category"] == {CATEGORY_NOT_SPECIFIED: 2}


def test_medians_of_the_two_clocks(report_data):
    """P4 came through the API (told at once: 1 minute) and was disclosed after 48 h;
    P5 came by e-mail and its authority learnt of it at the first status change, 5 h on;
    P5 was rejected, so it never took effect."""
    figures = dsa_figures(period=half_year(2026, 1))
    assert figures["median_time_to_inform_authority_of_receipt_hours"] == round((1 / 60 + 5) / 2, 2)
    assert figures["median_time_to_give_effect_hours"] == 48.0
    states = {s["member_state"]: s for s in figures["by_member_state"]}
    assert states["DE"]["median_time_to_inform_authority_of_receipt_hours"] == 0.02
    assert states["FR"]["median_time_to_inform_authority_of_receipt_hours"] == 5.0
    assert states["FR"]["median_time_to_give_effect_hours"] is None


def test_csv_has_the_template_columns_and_a_total_line(report_data):
    rows = list(csv.reader(io.StringIO(dsa_csv(dsa_figures(period=half_year(2026, 1))))))
    assert tuple(rows[0]) == CSV_COLUMNS
    # the issue's (and Art. 15(1)(a)'s) figures, word for word: orders by category of
    # illegal content and by Member State, median time to inform the authority of
    # receipt, median time to give effect
    assert rows[0] == [
        "section",
        "member_state",
        "illegal_content_category",
        "number_of_orders",
        "median_time_to_inform_authority_of_receipt_hours",
        "median_time_to_give_effect_hours",
    ]
    assert rows[-1][1:4] == ["ALL", "ALL", "2"]
    assert [
        "orders_to_provide_information_art_10",
        "DE",
        CATEGORY_NOT_SPECIFIED,
        "1",
        "",
        "",
    ] in rows


def test_preservation_orders_are_not_orders_to_provide_information(report_data):
    from cases.models import ProcessKind
    from tests.reports.transparency.conftest import la, request

    request(kind=ProcessKind.EU_EPOC_PR, country="IT", received=la(2026, 3, 1, 9), targets=1)
    assert dsa_figures(period=half_year(2026, 1))["total_orders"] == 2
