"""An officer opens an urgent referral from the navigation in a real browser.
Screenshots: cybertip-officer-referrals.png, cybertip-officer-referral.png."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from reports.cybertip.referrals import referral_approve, referral_request
from tests.e2e.conftest import (  # noqa: F401  (fixtures of the browser tests)
    _migration_rows_restored,
    browser_per_module,
    page,
    page_problems,
    playwright_driver_per_module,
    screenshot,
    sign_in,
)
from tests.e2e.test_accessibility import axe_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_officer_reads_an_urgent_referral_from_the_navigation(
    page: Page,  # noqa: F811 (the browser fixture imported above)
    live_server,
    cs_case,
    child_safety,
    supervisor,
    officer_a,
):
    referral = referral_approve(
        referral=referral_request(
            case=cs_case,
            agency=officer_a.agency,
            basis="2702b8",
            emergency="Ongoing live stream of abuse of a child; the stream started 20 minutes ago.",
            disclosed="Account id 100031337, stream URL, last login IP 203.0.113.9",
            actor=child_safety,
        ),
        actor=supervisor,
    )
    sign_in(page, live_server, officer_a.user)
    page.goto(reverse("officer:requests"))
    page.get_by_role("link", name="Urgent referrals").click()
    table = page.get_by_test_id("referrals")
    expect(table).to_contain_text(cs_case.reference)
    screenshot(page, "cybertip-officer-referrals")
    assert axe_problems(page) == []

    table.get_by_role("link", name=f"Referral {referral.pk}").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('officer:referral', args=[referral.pk])}")
    expect(page.get_by_test_id("disclosed")).to_contain_text("203.0.113.9")
    expect(page.get_by_test_id("provider-reference")).to_have_text(cs_case.reference)
    screenshot(page, "cybertip-officer-referral")
    assert axe_problems(page) == []
