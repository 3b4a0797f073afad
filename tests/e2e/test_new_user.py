"""What a new user hit (issue 9), in a real browser: each test walks one of the dead ends
or confusing pages and checks what the person now sees. Screenshots: ``newuser-*``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.models import Team
from tests.cases.factories import CaseFactory
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e


def snap(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    screenshot(page, f"newuser-{name}")


def test_a_case_out_of_reach_is_a_404_page_in_the_portal_layout(page, live_server, responder):
    emea = Team.objects.create(name="EMEA", slug="emea")
    case = CaseFactory(team=emea)
    sign_in(page, live_server, responder)

    answer = page.goto(f"/cases/{case.reference}/")

    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    snap(page, "404")
    page.get_by_role("link", name="Go to your start page").click()
    expect(page.get_by_role("heading", name="Page not found")).to_have_count(0)


def test_an_emergency_approver_is_not_offered_approve_twice(page, live_server, responder):
    from cases.models import CaseStatus

    case = CaseFactory(status=CaseStatus.EMERGENCY_REVIEW, emergency=True)
    sign_in(page, live_server, responder)
    page.goto(f"/cases/{case.reference}/")

    page.get_by_role("button", name="Approve emergency disclosure").click()

    expect(page.get_by_role("button", name="Approve emergency disclosure")).to_have_count(0)
    expect(page.locator("#workflow")).to_contain_text("Approve emergency disclosure")
    snap(page, "emergency-approved-once")


def test_a_closed_case_offers_no_work(page, live_server, responder):
    from cases.models import CaseStatus

    case = CaseFactory(status=CaseStatus.CLOSED)
    sign_in(page, live_server, responder)
    page.goto(f"/cases/{case.reference}/")

    expect(page.get_by_role("button", name="Add note")).to_have_count(0)
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)
    expect(page.locator("#assignment")).to_contain_text("no longer assigned")
    snap(page, "closed-case")
