"""The officer's pages pass axe-core (WCAG 2.1 A/AA rules) with no serious or critical
violation, and the portal is usable by keyboard alone: an officer files a request and
reads it without touching the mouse.

axe-core is vendored under tests/e2e/vendor/axe-core (from the npm registry) and run in the
page through the DevTools protocol, so the portal's strict CSP stays as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from cases.models import Case
from tests.cases.factories import intake
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
SERIOUS = {"serious", "critical"}


def axe_problems(page: Page) -> list[str]:
    """Serious and critical axe violations of the current page, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + json.dumps([[n["target"], n.get("failureSummary", "")] for n in v["nodes"][:3]])
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


def test_the_officer_pages_have_no_serious_accessibility_violation(page: Page, live_server,
                                                                  officer_a):  # fmt: skip
    page.goto(reverse("accounts:login"))
    assert axe_problems(page) == []
    page.goto(reverse("officer:apply"))
    assert axe_problems(page) == []

    case = intake(officer_a.user)
    sign_in(page, live_server, officer_a.user)
    pages = {
        "requests": reverse("officer:requests"),
        "new request": reverse("officer:request_new"),
        "request": reverse("officer:request", args=[case.reference]),
        "tokens": reverse("officer:tokens"),
    }
    problems = {}
    for name, url in pages.items():
        page.goto(url)
        found = axe_problems(page)
        if found:
            problems[name] = found
    page.goto(reverse("officer:request_new"))
    page.get_by_role("button", name="File the request").click()  # the page with errors
    expect(page.locator(".field-error").first).to_be_visible()
    page.mouse.move(0, 0)  # measure the page at rest, not a hovered button
    if found := axe_problems(page):
        problems["new request with errors"] = found
    assert not problems, problems


def test_an_officer_files_and_reads_a_request_by_keyboard_alone(page: Page, live_server,
                                                               officer_a):  # fmt: skip
    sign_in(page, live_server, officer_a.user)
    page.goto(reverse("officer:requests"))
    # From the top of the page: Tab to "File a request" and press Enter.
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.textContent.trim()"))
        if seen[-1] == "File a request":
            break
    assert seen[-1] == "File a request", seen
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{reverse('officer:request_new')}")

    page.get_by_label("Kind of legal process").focus()
    page.get_by_label("Kind of legal process").select_option("us_subpoena")
    page.get_by_label("Jurisdiction").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("US-IL")
    page.get_by_label("Targets").focus()
    page.keyboard.type("email:keyboard.suspect@example.com")
    page.get_by_label("Basic subscriber information").focus()
    page.keyboard.press("Space")
    page.locator("input[type=file][name=document]").set_input_files(
        files=[{"name": "subpoena.pdf", "mimeType": "application/pdf", "buffer": _pdf()}]
    )
    focused = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused != "none", "the focused control shows no focus outline"
    page.get_by_role("button", name="File the request").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("status")).to_have_text("Received")
    case = Case.objects.get()
    assert page.url.endswith(reverse("officer:request", args=[case.reference]))
    screenshot(page, "officer-request-by-keyboard")


def _pdf() -> bytes:
    from tests.cases.documents import pdf_bytes

    return pdf_bytes("Subpoena filed by keyboard (fictitious)")
