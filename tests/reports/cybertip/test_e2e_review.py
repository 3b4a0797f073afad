"""File review in a real browser: concealed until revealed (the reveal is the recorded
view), keyboard classification, no CSP violation. Screenshots: cybertip-*.png."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from portal.audit.models import AccessEvent
from reports.cybertip.services import FileInput, report_draft_create, report_file_add
from tests.e2e.conftest import (  # noqa: F401  (fixtures of the browser tests)
    _migration_rows_restored,
    browser_per_module,
    page,
    page_problems,
    playwright_driver_per_module,
    screenshot,
    sign_in,
)
from tests.reports.cybertip.helpers import report_input

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def synthetic_png(width: int = 64, height: int = 48) -> bytes:
    """A plain two-colour test card (fictitious synthetic content)."""
    rows = b"".join(
        b"\x00"
        + b"".join(
            b"\xd0\x40\x20" if (x // 8 + y // 8) % 2 else b"\x20\x60\xd0" for x in range(width)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_file_is_concealed_until_revealed_and_classified_by_keyboard(
    page: Page,  # noqa: F811 (the browser fixture imported above)
    live_server,
    child_safety,
    cs_case,
):
    report = report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    file = report_file_add(
        report=report,
        actor=child_safety,
        upload=FileInput(name="test-card.png", content=synthetic_png(), content_type="image/png"),
    )
    sign_in(page, live_server, child_safety)
    page.goto(reverse("cybertip:report", args=[cs_case.reference, report.pk]))
    card = page.get_by_test_id("file-card")
    expect(card.get_by_test_id("file-viewed")).to_contain_text("Not viewed by a person")
    expect(card.locator("img")).to_have_count(0)
    screenshot(page, "cybertip-review-concealed")

    card.get_by_test_id("reveal").click()
    expect(card.locator("img")).to_be_visible()
    expect(card.get_by_test_id("file-viewed")).to_contain_text("Viewed by a person")
    assert (
        AccessEvent.objects.filter(action="cybertip_file_view", object_id=str(file.pk)).count() == 1
    )
    screenshot(page, "cybertip-review-revealed")

    card = page.get_by_test_id("file-card")
    card.focus()
    page.keyboard.press("3")
    page.keyboard.press("l")
    with page.expect_navigation():
        page.keyboard.press("s")
    file.refresh_from_db()
    assert file.industry_classification == "B1"
    assert file.annotations == ["liveStreaming"]
