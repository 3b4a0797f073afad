"""The operations dashboard: each figure against a hand count, only one's own teams."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    CaseStatus,
    Deadline,
    DeadlineKind,
    Preservation,
    ProcessKind,
    TimelineEvent,
)
from portal.accounts.models import Team
from reports.transparency.dashboard import dashboard_for
from tests.cases.factories import CaseFactory, LegalProcessFactory
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


def deadline(case, kind, *, due, status, closed=None, process=None):
    return Deadline.objects.create(
        case=case,
        process=process,
        kind=kind,
        due_at=due,
        rule_id="t",
        citation="t",
        explanation="t",
        status=status,
        closed_at=closed,
    )


@pytest.fixture
def board_data(supervisor, responder):
    now = timezone.now()
    other = Team.objects.create(name="EMEA", slug="emea")
    triage = CaseFactory(
        status=CaseStatus.TRIAGE, assignee=responder, next_due_at=now - timedelta(hours=2)
    )
    CaseFactory(status=CaseStatus.TRIAGE, assignee=responder)
    CaseFactory(status=CaseStatus.RECEIVED)
    CaseFactory(status=CaseStatus.CLOSED)
    CaseFactory(status=CaseStatus.TRIAGE, team=other)  # not the supervisor's team
    # deadlines of this week: one met, one missed (met late, marked), one open past due
    deadline(triage, DeadlineKind.RESPONSE, due=now - timedelta(minutes=30), status="open")
    deadline(
        triage,
        DeadlineKind.REPORT,
        due=now - timedelta(minutes=20),
        status="met",
        closed=now - timedelta(minutes=40),
    )
    deadline(
        triage,
        DeadlineKind.USER_NOTICE,
        due=now - timedelta(minutes=10),
        status="missed",
        closed=now - timedelta(minutes=5),
    )
    deadline(
        triage,
        DeadlineKind.PRESERVATION_EXPIRY,
        due=now - timedelta(minutes=15),
        status="met",
        closed=now,
    )  # not a duty
    # an emergency request decided in 30 minutes, another in 3 hours (SLA 1 h)
    for minutes, status in ((30, "met"), (180, "missed")):
        case = CaseFactory(status=CaseStatus.APPROVED, emergency=True)
        process = LegalProcessFactory(
            case=case,
            kind=ProcessKind.US_EMERGENCY,
            emergency=True,
            emergency_justification="Threat to life.",
            received_at=now - timedelta(hours=5),
        )
        deadline(
            case,
            DeadlineKind.FIRST_DECISION,
            due=process.received_at + timedelta(hours=1),
            status=status,
            closed=process.received_at + timedelta(minutes=minutes),
            process=process,
        )
        TimelineEvent.objects.create(
            case=case,
            at=process.received_at + timedelta(minutes=minutes),
            kind="transition",
            message="m",
            params={"target": "approved"},
        )
    # a hold lapsing tomorrow, one in ten days, one in the other team
    for days, team in ((1, None), (10, None), (1, other)):
        case = CaseFactory(status=CaseStatus.RECEIVED, **({"team": team} if team else {}))
        process = LegalProcessFactory(case=case, kind=ProcessKind.US_PRESERVATION)
        Preservation.objects.create(
            case=case, process=process, starts_at=now, expires_at=now + timedelta(days=days)
        )
    return now


def test_figures_of_the_supervisors_teams(board_data, supervisor, responder):
    board = dashboard_for(supervisor, now=board_data)
    status = {r["status"]: r["count"] for r in board.open_by_status}
    # triage x2 + received x1 + 2 approved emergencies + 2 hold cases (other team's excluded)
    assert status["triage"] == 2 and status["received"] == 3 and status["approved"] == 2
    assert board.open_total == 7
    this_week = board.deadlines_by_week[-1]
    assert (this_week["met"], this_week["missed"]) == (
        1 + 1,
        1 + 1 + 1,
    )  # emergency first decisions too
    assert board.emergency["total"] == 2
    assert board.emergency["on_time"] == 1 and board.emergency["late"] == 1
    assert board.emergency["median_hours"] == 1.8  # (0.5 h + 3 h) / 2 = 1.75
    assert board.emergency["on_time_pct"] == 50.0
    assert board.expiring_counts == {"within_48h": 1, "within_7d": 1, "within_14d": 2}
    assert [p.expires_at > board_data for p in board.expiring] == [True, True]
    mine = next(w for w in board.workload if w["assignee_id"] == responder.pk)
    assert (mine["open"], mine["overdue"]) == (2, 1)
    kinds = {r["kind"]: r for r in board.response_by_kind}
    assert kinds["us_emergency_request"]["count"] == 2
    assert kinds["us_emergency_request"]["first_response_hours"] == 1.8


def test_each_figure_links_to_the_queue(board_data, supervisor):
    page = verified_client(supervisor).get(reverse("transparency:dashboard")).content.decode()
    assert f"{reverse('cases:queue')}?tab=all&amp;status=triage" in page
    assert f"{reverse('cases:queue')}?tab=overdue" in page
    assert f"{reverse('cases:queue')}?tab=emergency" in page
    assert f"{reverse('cases:queue')}?tab=all&amp;kind=us_emergency_request" in page
    assert f"{reverse('cases:queue')}?tab=unassigned" in page


def test_a_workload_row_links_to_that_persons_queue(board_data, supervisor, responder):
    """Follow the responder's row: the queue shows their open cases, as many as the row."""
    client = verified_client(supervisor)
    page = client.get(reverse("transparency:dashboard")).content.decode()
    link = f"{reverse('cases:queue')}?assignee={responder.pk}"
    assert f'href="{link}"' in page
    queue = client.get(link).content.decode()
    mine = next(w for w in dashboard_for(supervisor, now=board_data).workload
                if w["assignee_id"] == responder.pk)  # fmt: skip
    assert queue.count('<a class="ref" href="/cases/') == mine["open"] == 2


def test_dashboard_lists_the_cases_it_shows_in_the_access_log(board_data, supervisor):
    from portal.audit.models import AccessEvent

    verified_client(supervisor).get(reverse("transparency:dashboard"))
    event = AccessEvent.objects.filter(actor=supervisor, action="list").latest("at")
    assert event.details["shown"] == 2  # the two holds of the supervisor's team
