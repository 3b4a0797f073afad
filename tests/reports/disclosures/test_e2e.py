"""The productions panel and the officer's download in a real browser (screenshots named
``disclosures-*``); no CSP violation or script error (the ``page`` fixture fails on any)."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import Page, expect

from reports.disclosures.models import Disclosure, DisclosureState
from reports.disclosures.package import package_build
from reports.disclosures.services import disclosure_submit
from tests.e2e.conftest import (  # noqa: F401  (fixtures of the browser tests)
    _migration_rows_restored,
    browser_per_module,
    page,
    page_problems,
    playwright_driver_per_module,
    screenshot,
    sign_in,
)
from tests.reports.disclosures.helpers import prepare

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_legal_releases_and_the_officer_downloads(
    page: Page,  # noqa: F811 (the fixture imported above)
    live_server,
    collecting_case,
    responder,
    legal,
    officer_a,
):
    disclosure = prepare(collecting_case, responder)
    disclosure_submit(disclosure=disclosure, actor=responder)
    sign_in(page, live_server, legal)
    page.goto(f"/cases/{collecting_case.reference}/#disclosures")
    panel = page.get_by_test_id("disclosures")
    expect(panel.get_by_test_id("disclosure-state")).to_have_text("Awaiting approval")
    screenshot(page, "disclosures-staff-awaiting-approval")
    panel.get_by_test_id("disclosure-release").click()
    expect(page.get_by_test_id("disclosure-state")).to_have_text("Released")
    expect(page.get_by_test_id("render-progress")).to_be_visible()
    assert Disclosure.objects.get(pk=disclosure.pk).state == DisclosureState.RELEASED
    # What the render task does on a worker; in a thread of its own, because pyHanko's
    # synchronous API runs an event loop and Playwright's holds this thread's.
    worker = threading.Thread(target=package_build, kwargs={"disclosure_id": disclosure.pk})
    worker.start()
    worker.join()
    page.reload()
    expect(panel.get_by_role("link", name="ZIP")).to_be_visible()
    screenshot(page, "disclosures-staff-released")

    page.context.clear_cookies()
    page.goto("about:blank")
    sign_in(page, live_server, officer_a.user)
    page.goto(f"/officer/requests/{collecting_case.reference}/")
    productions = page.get_by_test_id("productions")
    expect(productions.get_by_test_id("certificate-summary")).to_contain_text("Signed by")
    screenshot(page, "disclosures-officer-request")
    with page.expect_download() as download:
        productions.get_by_test_id("production-download").click()
    assert download.value.suggested_filename == f"{disclosure.reference}.zip"


def test_staff_renew_an_expired_officer_link(
    page: Page,  # noqa: F811 (the fixture imported above)
    live_server,
    collecting_case,
    responder,
    legal,
):
    """The expired link shows on the panel with a keyboard-reachable "renew" button."""
    from reports.disclosures.models import DownloadRenewal
    from reports.disclosures.services import disclosure_release
    from tests.reports.disclosures.test_access import _released_days_ago

    disclosure = prepare(collecting_case, responder)
    disclosure_submit(disclosure=disclosure, actor=responder)
    disclosure_release(disclosure=disclosure, actor=legal)
    worker = threading.Thread(target=package_build, kwargs={"disclosure_id": disclosure.pk})
    worker.start()
    worker.join()
    _released_days_ago(disclosure, 31)
    sign_in(page, live_server, responder)
    page.goto(f"/cases/{collecting_case.reference}/#disclosures")
    panel = page.get_by_test_id("disclosures")
    expect(panel.get_by_test_id("link-expiry")).to_contain_text("Officer link expired")
    screenshot(page, "disclosures-staff-link-expired")
    panel.get_by_test_id("renew-link").focus()
    page.keyboard.press("Enter")
    expect(panel.get_by_test_id("link-expiry")).to_contain_text("Officer link works until")
    expect(panel.get_by_test_id("renew-link")).to_have_count(0)
    screenshot(page, "disclosures-staff-link-renewed")
    assert DownloadRenewal.objects.filter(disclosure=disclosure).count() == 1
