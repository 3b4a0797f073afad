"""Choosing a time zone in a real browser: the security page's list, then the case page
shows its times in that zone with the zone named, and a time typed on the night summer
time begins is read in it (issue 9, item 10).

Screenshots land in test-artifacts/screenshots/ (named ``time-zone-*``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Deadline, TargetKind
from tests.cases.factories import intake
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e

DUE = datetime(2027, 1, 15, 17, 0, tzinfo=UTC)


def snap(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    screenshot(page, name)


def test_a_supervisor_chooses_berlin_and_the_case_times_follow(page: Page, live_server, supervisor):
    # GIVEN a case due at 17:00 UTC on 15 January 2027, and a supervisor who chose no zone
    case = intake(
        supervisor,
        received_at=timezone.now() - timedelta(days=1),
        targets=[(TargetKind.EMAIL, "night.owl@example.com")],
    )
    Deadline.objects.filter(case=case).update(due_at=DUE)
    case_page = reverse("cases:detail", args=[case.reference])
    sign_in(page, live_server, supervisor)
    page.goto(case_page)
    deadlines = page.locator("#deadlines")
    expect(deadlines).to_contain_text("2027-01-15 17:00 UTC")
    expect(page.locator(".usermenu .tz")).to_have_text("UTC")
    snap(page, "time-zone-1-case-in-utc")

    # WHEN they follow the zone in the header to their security page and choose Berlin
    page.locator(".usermenu .tz").click()
    zone = page.get_by_label("Show times in")
    expect(zone).to_have_value("")  # the team's (here: the default) zone
    expect(zone.locator("option").first).to_have_text("Use the default zone (UTC)")
    zone.select_option("Europe/Berlin")
    snap(page, "time-zone-2-security-page")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.locator(".message.success")).to_have_text("Times are now shown in Europe/Berlin.")
    expect(page.locator(".usermenu .tz")).to_have_text("Europe/Berlin")
    snap(page, "time-zone-3-saved")

    # THEN the case page shows the same instant in Berlin winter time, the zone named
    page.goto(case_page)
    expect(deadlines).to_contain_text("2027-01-15 18:00 CET")
    expect(deadlines).not_to_contain_text("17:00 UTC")

    # WHEN they override the deadline with a time the clocks skip that night
    deadlines.get_by_text("Override", exact=True).first.click()
    due = deadlines.get_by_label("New due time")
    expect(due).to_have_attribute("type", "text")
    expect(due).to_have_attribute("placeholder", "YYYY-MM-DD HH:MM")
    expect(deadlines.locator(".input-zone").first).to_have_text("Europe/Berlin")
    due.fill("2027-03-28 02:30")
    deadlines.get_by_label("Reason").fill("Agreed with the agency by phone.")
    deadlines.get_by_role("button", name="Save override").click()

    # THEN it is refused with the time it would be, and what they typed is kept
    expect(deadlines.locator(".field-error")).to_contain_text(
        "2027-03-28 02:30 does not exist in Europe/Berlin"
    )
    expect(deadlines.locator(".field-error")).to_contain_text("Did you mean 2027-03-28 03:30 CEST?")
    expect(deadlines.get_by_label("New due time")).to_have_value("2027-03-28 02:30")
    snap(page, "time-zone-4-gap-refused")

    # WHEN they type the last winter-time hour instead
    deadlines.get_by_label("New due time").fill("2027-03-28 01:30")
    deadlines.get_by_role("button", name="Save override").click()

    # THEN it is stored as 00:30 UTC and shown back as 01:30 CET, in the timeline too
    expect(page.locator(".message.success")).to_contain_text("Deadline moved.")
    expect(deadlines).to_contain_text("2027-03-28 01:30 CET")
    expect(page.locator("#timeline")).to_contain_text("to 2027-03-28 01:30 CET by override")
    assert case.deadlines.get().due_at == datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    snap(page, "time-zone-5-overridden")
