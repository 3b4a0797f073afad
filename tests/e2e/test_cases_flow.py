"""The staff case UI in a real browser: from the overdue tab to legal review, by mouse and by
keyboard, with no CSP violation (the ``page`` fixture fails the test on any).

Screenshots land in test-artifacts/screenshots/ (named ``cases-*``).
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import OPEN_STATUSES, Case, CaseStatus, ProcessKind, TargetKind
from portal.accounts.models import User
from portal.accounts.roles import Role
from tests.cases.documents import pdf_bytes
from tests.cases.factories import intake
from tests.e2e.conftest import screenshot, sign_in, url_path
from tests.factories import PASSWORD, AgencyFactory, UserFactory, default_team

pytestmark = pytest.mark.e2e


def snap(page: Page, name: str) -> None:
    """A full-page screenshot once the page and its stylesheets have loaded."""
    page.wait_for_load_state("load")
    screenshot(page, name)


def _seed(responder) -> dict[str, Case]:
    """A realistic small queue: one case overdue, others due soon, later, an emergency."""
    now = timezone.now()
    county = AgencyFactory(name="Example County Sheriff", email_domains=["sheriff.example.gov"])
    state = AgencyFactory(name="State Police of Example", email_domains=["sp.example.gov"])
    federal = AgencyFactory(
        name="Federal Bureau of Examples", kind="federal", email_domains=["fbe.example.gov"]
    )
    colleague = UserFactory(
        username="mgarcia", first_name="Maria", last_name="Garcia", roles=[Role.RESPONDER]
    )
    default_team().members.add(colleague)
    shared = (TargetKind.EMAIL, "shared.suspect@example.com")
    cases = {
        "overdue": intake(
            responder,
            agency=county,
            issuing_authority="Example County Sheriff",
            authority_reference="SO-2026-0412",
            received_at=now - timedelta(days=16, hours=3),
            summary="Subscriber records for two accounts",
            targets=[shared, (TargetKind.PHONE, "+12025550143")],
        ),
        "soon": intake(
            responder,
            kind=ProcessKind.US_SEARCH_WARRANT,
            agency=state,
            issuing_authority="Superior Court of Example County",
            received_at=now - timedelta(days=9, hours=10),
            ndo=True,
            ndo_expires_on=(now + timedelta(days=180)).date(),
            summary="Content of one account",
            targets=[(TargetKind.USERNAME, "night_owl_77")],
        ),
        "emergency": intake(
            responder,
            kind=ProcessKind.US_EMERGENCY,
            agency=federal,
            issuing_authority="Federal Bureau of Examples",
            received_at=now - timedelta(minutes=20),
            emergency=True,
            emergency_justification="Credible threat of imminent self-harm posted publicly.",
            summary="Emergency disclosure request",
            targets=[(TargetKind.ACCOUNT_ID, "100045"), (TargetKind.IP, "198.51.100.23")],
            document=None,
        ),
        "preservation": intake(
            responder,
            kind=ProcessKind.US_PRESERVATION,
            agency=county,
            issuing_authority="Example County Sheriff",
            received_at=now - timedelta(days=3),
            targets=[shared],
        ),
        "later": intake(
            responder,
            kind=ProcessKind.US_2703D_ORDER,
            agency=state,
            issuing_authority="District Court of Example",
            received_at=now - timedelta(days=1),
            return_date=(now + timedelta(days=21)).date(),
            targets=[(TargetKind.URL, "https://example.com/p/8812")],
        ),
    }
    Case.objects.filter(pk=cases["later"].pk).update(assignee=colleague)
    return cases


def test_overdue_case_assigned_and_moved_to_legal_review(page: Page, live_server, responder):
    # GIVEN a responder whose team has an overdue subpoena among other cases
    responder.first_name, responder.last_name = "Robin", "Reyes"
    responder.save()
    cases = _seed(responder)
    overdue = cases["overdue"]

    # WHEN they sign in with both factors, they land on the queue
    sign_in(page, live_server, responder)
    assert url_path(page) == reverse("cases:queue")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    snap(page, "cases-1-queue")

    # AND the overdue tab lists the overdue case with a countdown in words
    page.get_by_role("link", name="Overdue", exact=True).click()
    expect(page.get_by_role("link", name="Overdue", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    row = page.locator("tbody tr", has_text=overdue.reference)
    expect(row.locator(".countdown")).to_have_text(re.compile(r"^overdue \d+ (d|h|min)$"))
    expect(page.locator("tbody tr", has_text=cases["later"].reference)).to_have_count(0)
    snap(page, "cases-2-queue-overdue")

    # WHEN they open it and assign it to themselves
    row.get_by_role("link", name=overdue.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(overdue.reference)
    expect(page.get_by_test_id("case-status")).to_have_text("Received")
    snap(page, "cases-3-case-received")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator(".message.success")).to_contain_text("assigned to you")
    expect(page.get_by_test_id("case-assignee")).to_have_text("Robin Reyes")

    # AND move it through triage to legal review
    page.get_by_role("button", name="Start triage").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Triage")
    page.get_by_role("button", name="Send to legal review").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Legal review")

    # THEN the timeline shows each step, newest first, with who did it
    timeline = page.get_by_test_id("timeline").locator("li")
    expect(timeline.nth(0)).to_contain_text("Status changed from triage to legal review.")
    expect(timeline.nth(0)).to_contain_text("Robin Reyes")
    expect(timeline.nth(1)).to_contain_text("Status changed from received to triage.")
    expect(timeline.nth(2)).to_contain_text("Assigned to responder.")
    # AND the other case naming the same target is pointed out
    expect(page.locator(".also")).to_contain_text(cases["preservation"].reference)
    snap(page, "cases-4-case-legal-review")

    overdue.refresh_from_db()
    assert overdue.status == CaseStatus.LEGAL_REVIEW
    assert overdue.assignee == responder

    # AND the queue's "Mine" tab now holds it
    page.get_by_role("link", name="Queue", exact=True).first.click()
    page.get_by_role("link", name="Mine", exact=True).click()
    expect(page.locator("tbody tr", has_text=overdue.reference)).to_have_count(1)


def test_a_reason_is_asked_for_and_the_input_kept(page: Page, live_server, legal):
    # GIVEN a legal reviewer and a case in triage
    case = _seed(legal)["soon"]
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.TRIAGE)
    sign_in(page, live_server, legal)
    page.goto(reverse("cases:detail", args=[case.reference]))

    # WHEN they open "Reject…" and confirm without a reason
    page.get_by_text("Reject…").click()
    page.get_by_role("button", name="Reject", exact=True).click()

    # THEN the page says what is missing next to the field, and nothing moved
    expect(page.get_by_test_id("case-status")).to_have_text("Triage")
    reject = page.locator("details.transition-reason", has_text="Reject")
    expect(reject).to_have_attribute("open", "")
    expect(reject.locator(".field-error")).to_have_text("This field is required.")
    snap(page, "cases-5-reason-required")

    # WHEN they give the reason
    reject.get_by_label("Reason").fill("The subpoena names a service we do not operate.")
    reject.get_by_role("button", name="Reject", exact=True).click()
    # THEN the case is rejected and the reason is in the timeline
    expect(page.get_by_test_id("case-status")).to_have_text("Rejected")
    expect(page.get_by_test_id("timeline").locator("li").first).to_contain_text(
        "The subpoena names a service we do not operate."
    )

    # AND the rejected case takes no more work (issue 9: finished cases offer none)
    expect(page.locator("#notes").get_by_label("New note")).to_have_count(0)
    expect(page.locator("#assignment")).to_contain_text("no longer assigned")


def test_keyboard_only_from_queue_to_case(page: Page, live_server, responder):
    # GIVEN a responder on the queue, using only the keyboard
    cases = _seed(responder)
    sign_in(page, live_server, responder)
    page.goto(reverse("cases:queue"))

    # WHEN they tab from the top of the page, focus reaches the tabs in order, visibly
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    seen: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        label = page.evaluate(
            "(() => { const e = document.activeElement;"
            " return (e.getAttribute('aria-label') || e.textContent || e.name || '').trim(); })()"
        )
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", f"no visible focus on {label!r}"
        seen.append(label)
        if label == "Overdue":
            break
    assert "Queue" in seen and "Mine" in seen and seen[-1] == "Overdue"

    # AND Enter opens the overdue tab
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"tab=overdue"))

    # AND the search field, filters and Apply are reachable, then the first case link
    page.get_by_label("Search").focus()
    page.keyboard.type(cases["overdue"].reference)
    page.keyboard.press("Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('ref')"):
            break
    else:
        pytest.fail("Tab never reached the case link")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(cases["overdue"].reference)

    # AND on the case page, Tab reaches "Assign to me" and Enter presses it
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Assign to me":
            break
    else:
        pytest.fail("Tab never reached 'Assign to me'")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("case-assignee")).not_to_have_text("Unassigned")


def test_intake_of_a_faxed_warrant_with_errors_then_success(page: Page, live_server, responder):
    # GIVEN a responder holding a faxed search warrant
    AgencyFactory(name="State Police of Example", email_domains=["sp.example.gov"])
    sign_in(page, live_server, responder)
    page.get_by_role("link", name="New intake").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record legal process")
    snap(page, "cases-6-intake")

    # WHEN they fill it in with a malformed phone number and attach the scanned warrant
    page.get_by_label("Kind of legal process").select_option(ProcessKind.US_SEARCH_WARRANT)
    page.get_by_label("Arrived by").select_option("fax")
    page.get_by_label("Agency").select_option(label="State Police of Example")
    page.get_by_label("Docket or reference").fill("SW-2026-118")
    page.get_by_label("A non-disclosure order accompanies it").check()
    page.get_by_label("Targets").fill("night_owl_77@example.com\nphone:12")
    page.get_by_label("Legal process document").set_input_files(
        files=[{"name": "warrant.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    page.get_by_role("button", name="Create case").click()

    # THEN the problem is next to its field and what they typed is still there, the chosen
    # file too (issue 9 item 8: the staff form lost it, the officer form kept it)
    expect(page.locator(".has-error")).to_have_count(1)
    expect(page.locator(".field-error", has_text="Target 2")).to_be_visible()
    expect(page.get_by_label("Targets")).to_have_value("night_owl_77@example.com\nphone:12")
    expect(page.get_by_label("Docket or reference")).to_have_value("SW-2026-118")
    expect(page.get_by_label("A non-disclosure order accompanies it")).to_be_checked()
    kept = "document.querySelector('[data-dropzone] input[type=file]').files.length"
    assert page.evaluate(kept) == 1
    expect(page.locator("[data-file-note]")).to_have_count(0)
    snap(page, "cases-7-intake-errors")
    assert not Case.objects.exists()

    # WHEN they correct the number and send it again, without choosing the file again
    page.get_by_label("Targets").fill("night_owl_77@example.com\nphone:+12025550187")
    page.get_by_role("button", name="Create case").click()

    # THEN the case exists, with the warrant's clock and the user notice withheld (NDO)
    expect(page.locator(".message.success")).to_contain_text("created for team")
    case = Case.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    expect(page.locator("#deadlines")).to_contain_text("us.search_warrant")
    expect(page.locator("#user-notice")).to_contain_text("Withheld")
    expect(page.locator(".targets")).to_contain_text("+12025550187")


def test_supervisor_overrides_a_deadline_with_a_reason(page: Page, live_server, supervisor):
    # GIVEN a supervisor on a case with a preservation
    case = _seed(supervisor)["preservation"]
    sign_in(page, live_server, supervisor)
    page.goto(reverse("cases:detail", args=[case.reference]))

    # WHEN they open the override form of the first deadline and save without a reason
    deadline = page.locator("#deadlines tbody tr").first
    deadline.get_by_text("Override", exact=True).click()
    # (a plausible time: within every hold's statutory maximum, issue 9)
    new_due = (timezone.now() + timedelta(days=20)).strftime("%Y-%m-%d 17:00")
    deadline.get_by_label("New due time").fill(new_due)
    deadline.get_by_role("button", name="Save override").click()
    deadline = page.locator("#deadlines tbody tr").first
    expect(deadline.locator(".field-error")).to_have_text("This field is required.")
    expect(deadline.get_by_label("New due time")).to_have_value(new_due)

    # AND then with one
    deadline.get_by_label("Reason").fill("Agency confirmed in writing that a warrant follows.")
    deadline.get_by_role("button", name="Save override").click()

    # THEN the deadline shows who moved it, from what, and why
    expect(page.locator(".message.success")).to_contain_text("Deadline moved.")
    expect(page.locator("#deadlines")).to_contain_text("Moved by supervisor; the rule gave 20")
    expect(page.locator("#deadlines")).to_contain_text(new_due + " UTC")
    snap(page, "cases-8-case-supervisor")


def test_every_demo_case_page_renders_cleanly_for_a_supervisor(page: Page, live_server):
    # GIVEN the demo data `make run` loads (every queue tab, holds, approvals, notes)
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    supervisor = User.objects.get(username="supervisor")
    supervisor.set_password(PASSWORD)
    supervisor.save()

    # WHEN the supervisor of all three teams signs in
    sign_in(page, live_server, supervisor)
    page.goto(reverse("cases:queue"))
    snap(page, "cases-9-demo-queue")
    shown = page.locator("tbody a.ref").all_inner_texts()
    assert sorted(shown) == sorted(
        Case.objects.filter(status__in=OPEN_STATUSES).values_list("reference", flat=True)
    )

    # THEN every case page opens without a server error or a CSP violation
    richest = max(Case.objects.all(), key=lambda c: c.timeline.count())
    for case in Case.objects.order_by("reference"):
        page.goto(reverse("cases:detail", args=[case.reference]))
        expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    page.goto(reverse("cases:detail", args=[richest.reference]))
    snap(page, "cases-10-demo-case")
