"""The morning digest (cases/reminders/digest.py): once per user and business day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cases.models import CaseStatus, Deadline, DeadlineKind, DigestRun
from cases.reminders.digest import digests_send
from portal.notifications.models import Delivery, Notification
from tests.cases.factories import CaseFactory

# 06:30 and 07:05 in New York on a winter day (UTC-5)
BEFORE_SEVEN = datetime(2026, 12, 3, 11, 30, tzinfo=UTC)
AFTER_SEVEN = datetime(2026, 12, 3, 12, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def business_zone(settings):
    settings.LIAISON_BUSINESS_TIME_ZONE = "America/New_York"
    settings.LIAISON_DIGEST_HOUR = 7


def deadline(case, due_at, kind=DeadlineKind.RESPONSE) -> Deadline:
    return Deadline.objects.create(
        case=case, kind=kind, due_at=due_at, rule_id="t", citation="t", explanation="t"
    )


@pytest.fixture
def workload(responder, second_responder):
    """Mine: one overdue, one due this afternoon, one tomorrow; a colleague's; the team's."""
    mine = CaseFactory(assignee=responder, reference="LR-2026-000201", status=CaseStatus.TRIAGE)
    deadline(mine, AFTER_SEVEN - timedelta(days=2))  # overdue
    deadline(mine, AFTER_SEVEN + timedelta(hours=8), DeadlineKind.USER_NOTICE)  # today 15:05
    deadline(mine, AFTER_SEVEN + timedelta(days=1))  # tomorrow: not in today's digest
    theirs = CaseFactory(assignee=second_responder, reference="LR-2026-000202")
    deadline(theirs, AFTER_SEVEN + timedelta(hours=1))
    unassigned = CaseFactory(reference="LR-2026-000203")
    deadline(unassigned, AFTER_SEVEN + timedelta(hours=2))
    return mine


def test_nothing_before_the_digest_hour(workload):
    result = digests_send(now=BEFORE_SEVEN)
    assert result.skipped == "before the hour"
    assert not Notification.objects.exists() and not DigestRun.objects.exists()


def test_digest_lists_my_and_unclaimed_deadlines_due_today_and_overdue(workload, responder):
    # WHEN the digest runs after 07:00 business time
    digests_send(now=AFTER_SEVEN)
    # THEN the responder gets one digest: their overdue one, theirs today, the team's today
    (digest,) = Notification.objects.filter(user=responder)
    assert digest.subject == "Deadlines today: 2 due, 1 overdue"
    lines = digest.body.splitlines()
    assert lines == [
        "LR-2026-000201: response due at 2026-12-01 07:05 EST (overdue by 2 days)",
        "LR-2026-000203: response due at 2026-12-03 09:05 EST",
        "LR-2026-000201: user notice due at 2026-12-03 15:05 EST",
    ]
    assert "LR-2026-000202" not in digest.body  # a colleague's case
    assert digest.url == "/cases/?tab=overdue"
    assert digest.dedupe_key == "digest:2026-12-03"
    assert list(Delivery.objects.filter(notification=digest).values_list("channel", flat=True)) == [
        "email"
    ]


def test_digest_is_sent_once_per_user_and_day(workload, responder, second_responder):
    first = digests_send(now=AFTER_SEVEN)
    again = digests_send(now=AFTER_SEVEN + timedelta(minutes=15))
    assert first.sent == 2 and again.skipped == "already finished"
    assert Notification.objects.filter(user=responder).count() == 1
    run = DigestRun.objects.get()
    assert (str(run.day), run.sent, run.finished_at is not None) == ("2026-12-03", 2, True)
    # a run interrupted before it finished repeats, without a second digest for anyone
    DigestRun.objects.update(finished_at=None)
    digests_send(now=AFTER_SEVEN + timedelta(minutes=30))
    assert Notification.objects.filter(user=second_responder).count() == 1
    # the next day is a new digest
    digests_send(now=AFTER_SEVEN + timedelta(days=1))
    assert Notification.objects.filter(user=responder).count() == 2


def test_nobody_with_nothing_due_gets_a_digest(responder, auditor):
    digests_send(now=AFTER_SEVEN)
    assert not Notification.objects.exists()
    assert DigestRun.objects.get().finished_at is not None
