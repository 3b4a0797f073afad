"""The hash-list page in a real browser: an import's progress bar follows the job (the
script polls under the strict CSP), the list's counts and exports show. Screenshot:
matching-list.png."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from reports.matching.models import ImportJob
from tests.e2e.conftest import (  # noqa: F401  (fixtures of the browser tests)
    _migration_rows_restored,
    browser_per_module,
    page,
    page_problems,
    playwright_driver_per_module,
    screenshot,
    sign_in,
)
from tests.reports.matching.conftest import add_entries, make_list

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_progress_bar_follows_a_running_import(
    page: Page,  # noqa: F811 (the browser fixture imported above)
    live_server,
    analyst,
):
    # GIVEN a list with entries and an import half-way through its rows
    hash_list = make_list(labels=["A1", "A2"], source="NCMEC (fictitious test list)")
    add_entries(hash_list, [("md5", f"{i:032x}", None, "A1") for i in range(3)])
    job = ImportJob.objects.create(
        hash_list=hash_list,
        file_name="partner-2026-12.csv",
        status=ImportJob.Status.PARSING,
        bytes_total=1000,
        bytes_done=500,
        created_by=analyst,
    )
    sign_in(page, live_server, analyst)
    page.goto(f"/matching/lists/{hash_list.name}/")
    bar = page.locator("[data-import-progress] progress")
    expect(bar).to_have_attribute("value", "50")
    expect(page.get_by_test_id("entry-counts")).to_contain_text("md5: 3")
    screenshot(page, "matching-list")
    # WHEN the worker finishes it
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE, bytes_done=1000, added=1200, finished_at=timezone.now()
    )
    # THEN the bar and the counts follow without a reload
    expect(bar).to_have_attribute("value", "100", timeout=10_000)
    expect(page.locator("[data-role=added]")).to_have_text("1200")
    expect(page.locator("[data-role=status]")).to_have_text("done")
