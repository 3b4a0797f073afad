"""The transparency report and the operations dashboard in a real browser: charts drawn,
tables beside them, no CSP violation; screenshots ``transparency-*`` for people to judge."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in
from tests.reports.transparency.showcase import showcase_seed

pytestmark = pytest.mark.e2e


@pytest.fixture
def zone(settings):
    settings.LIAISON_BUSINESS_TIME_ZONE = "America/Los_Angeles"


def test_transparency_report_page(page: Page, live_server, legal, zone):
    showcase_seed()
    sign_in(page, live_server, legal)
    page.goto(f"{reverse('transparency:report')}?half=2026-H1&band_below=10&other_below=10")
    expect(
        page.get_by_role("heading", name="Government requests for user data, 2026-H1")
    ).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(4)  # country, trend, outcomes, DSA states
    expect(page.get_by_test_id("le-by-country").locator("tr[data-country='other']")).to_have_count(
        1
    )
    page.wait_for_load_state("load")
    screenshot(page, "transparency-report")
    page.get_by_role("button", name="Freeze these figures as a draft report").click()
    expect(page.get_by_text("frozen draft").first).to_be_visible()
    page.get_by_role("button", name="Publish this section").click()
    expect(page.get_by_test_id("provenance")).to_contain_text("by legal")
    screenshot(page, "transparency-published")


def test_operations_dashboard(page: Page, live_server, supervisor, responder, zone):
    from datetime import timedelta

    from django.utils import timezone

    from cases.models import CaseStatus, Deadline, Preservation, ProcessKind, TimelineEvent
    from tests.cases.factories import CaseFactory, LegalProcessFactory

    now = timezone.now()
    statuses = (
        [CaseStatus.RECEIVED] * 6
        + [CaseStatus.TRIAGE] * 9
        + [CaseStatus.LEGAL_REVIEW] * 4
        + [CaseStatus.COLLECTING] * 3
        + [CaseStatus.NEEDS_INFO] * 2
    )
    for i, status in enumerate(statuses):
        case = CaseFactory(
            status=status,
            assignee=responder if i % 3 else supervisor if i % 5 == 0 else None,
            next_due_at=now + timedelta(hours=i * 7 - 30),
        )
        process = LegalProcessFactory(
            case=case,
            kind=[ProcessKind.US_SUBPOENA, ProcessKind.US_SEARCH_WARRANT, ProcessKind.EU_EPOC][
                i % 3
            ],
            received_at=now - timedelta(days=i % 20),
        )
        TimelineEvent.objects.create(
            case=case,
            at=process.received_at + timedelta(hours=2 + i % 9),
            kind="transition",
            public=True,
            message="m",
            params={"target": "triage"},
        )
        if i % 4 == 0:
            TimelineEvent.objects.create(
                case=case,
                at=process.received_at + timedelta(days=3 + i % 5),
                kind="transition",
                public=True,
                message="m",
                params={"target": "disclosed"},
            )
        for week in range(8):
            due = now - timedelta(weeks=week, hours=i)
            met = (i * 7 + week * 3) % (5 + week % 3) != 0
            Deadline.objects.create(
                case=case,
                process=process,
                kind="response",
                due_at=due,
                rule_id="t",
                citation="t",
                explanation="t",
                status="met" if met else "missed",
                closed_at=due - timedelta(hours=3),
            )
        if i % 6 == 0:
            Preservation.objects.create(
                case=case,
                process=process,
                starts_at=now,
                expires_at=now + timedelta(days=1 + i % 10),
            )
    for minutes in (25, 40, 55, 95):
        case = CaseFactory(status=CaseStatus.COLLECTING, emergency=True, assignee=responder)
        process = LegalProcessFactory(
            case=case,
            kind=ProcessKind.US_EMERGENCY,
            emergency=True,
            emergency_justification="Threat to life.",
            received_at=now - timedelta(days=2, minutes=minutes),
        )
        Deadline.objects.create(
            case=case,
            process=process,
            kind="first_decision",
            due_at=process.received_at + timedelta(hours=1),
            rule_id="t",
            citation="t",
            explanation="t",
            status="met" if minutes < 60 else "missed",
            closed_at=process.received_at + timedelta(minutes=minutes),
        )
        TimelineEvent.objects.create(
            case=case,
            at=process.received_at + timedelta(minutes=minutes),
            kind="transition",
            public=True,
            message="m",
            params={"target": "approved"},
        )
    sign_in(page, live_server, supervisor)
    page.goto(reverse("transparency:dashboard"))
    expect(page.get_by_role("heading", name="Operations dashboard")).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(2)
    page.wait_for_load_state("load")
    screenshot(page, "transparency-dashboard")
    page.get_by_test_id("dash-status").get_by_role("link", name="9", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}{reverse('cases:queue')}?tab=all&status=triage")
