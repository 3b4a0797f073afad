"""Deadlines met after their due time are recorded as missed; open ones are left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Deadline, DeadlineKind, DeadlineStatus, TimelineEvent
from cases.services.missed import deadlines_missed_mark
from portal.audit.models import AccessEvent
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db


def deadline(case, kind, *, due, status, closed=None, **extra):
    return Deadline.objects.create(
        case=case,
        kind=kind,
        due_at=due,
        rule_id="test.rule",
        citation="Test",
        explanation="Test deadline.",
        status=status,
        closed_at=closed,
        **extra,
    )


def test_met_late_becomes_missed_on_time_and_open_stay(db):
    now = timezone.now()
    case = CaseFactory()
    late = deadline(
        case,
        DeadlineKind.RESPONSE,
        due=now - timedelta(days=3),
        status="met",
        closed=now - timedelta(days=1),
    )
    on_time = deadline(
        case,
        DeadlineKind.REPORT,
        due=now - timedelta(days=3),
        status="met",
        closed=now - timedelta(days=4),
    )
    at_due = deadline(
        case,
        DeadlineKind.USER_NOTICE,
        due=now - timedelta(days=2),
        status="met",
        closed=now - timedelta(days=2),
    )
    overdue_open = deadline(
        case,
        DeadlineKind.FIRST_DECISION,
        due=now - timedelta(hours=5),
        status="open",
        next_reminder_at=now + timedelta(hours=19),
        next_reminder_step="overdue:1",
    )
    hold_lapsed = deadline(
        case,
        DeadlineKind.PRESERVATION_EXPIRY,
        due=now - timedelta(days=1),
        status="met",
        closed=now - timedelta(hours=20),
    )

    assert deadlines_missed_mark(now=now) == 1

    for row in (late, on_time, at_due, overdue_open, hold_lapsed):
        row.refresh_from_db()
    assert late.status == DeadlineStatus.MISSED
    assert on_time.status == at_due.status == hold_lapsed.status == DeadlineStatus.MET
    # the open one is the reminder sweep's to escalate: schedule untouched
    assert overdue_open.status == DeadlineStatus.OPEN
    assert overdue_open.next_reminder_step == "overdue:1"
    event = TimelineEvent.objects.get(case=case, kind="deadline")
    assert "was missed" in event.text and "response due" in event.text
    assert (
        AccessEvent.objects.get(action="deadlines_missed").actor_label
        == "task:cases.deadlines_missed_mark"
    )


def test_a_second_run_changes_nothing(db):
    now = timezone.now()
    case = CaseFactory()
    for days in range(3):
        deadline(
            case,
            DeadlineKind.RESPONSE,
            due=now - timedelta(days=10 + days),
            status="met",
            closed=now - timedelta(days=1),
        )
    assert deadlines_missed_mark(now=now, batch=2) == 3  # two batches
    assert deadlines_missed_mark(now=now) == 0
    assert TimelineEvent.objects.filter(case=case, kind="deadline").count() == 3
    assert AccessEvent.objects.filter(action="deadlines_missed").count() == 2
