"""Reminders sent by real Celery workers and beat (tests/celery_harness.py), against the test
database: Redis when ``CELERY_BROKER_URL`` is set, kombu's filesystem transport otherwise.

Each test proves one promise of issue 5: every reminder once; a worker SIGKILLed in the
middle of a sweep loses and duplicates nothing; a scheduler that was down for two hours
sends every missed reminder once, in order, marked late; two workers sweeping at the same
time never send one twice; a failing SMTP server delays only its own messages. (The
delivery side in depth, SMTP and webhook retries included, is tested in
tests/portal/notifications/test_worker.py.)
"""

from __future__ import annotations

import email
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from cases.models import Deadline, DeadlineKind, Reminder
from cases.reminders.steps import reminder_schedule
from cases.tasks import reminders_sweep
from portal.accounts.roles import Role
from portal.notifications.models import Delivery, Notification
from tests.cases.factories import CaseFactory
from tests.celery_harness import wait_for
from tests.factories import UserFactory, default_team

pytestmark = pytest.mark.django_db(transaction=True)

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# Steps of minutes, so that "two hours of outage" fits in real time around now.
SHORT_STEPS = {"default": {"before": ["90m", "60m", "30m"], "overdue_every": "1d"}}
FAST = {
    "LIAISON_DELIVERY_RETRY_BACKOFF": 1,
    "LIAISON_DELIVERY_RETRY_JITTER": False,
    "LIAISON_DELIVERY_LEASE_SECONDS": 5,
    "LIAISON_DELIVERY_REDRIVE_GRACE_SECONDS": 1,
    "LIAISON_EMAIL_TIMEOUT": 3,
    "LIAISON_BUSINESS_TIME_ZONE": "UTC",
}
SWEEP_EVERY_HALF_SECOND = {
    "reminders-sweep": {
        "task": "cases.tasks.reminders_sweep",
        "schedule": 0.5,
        "options": {"expires": 5},
    }
}
# As deployed: the redrive queues deliveries whose task was never published (a worker
# killed after its COMMIT, before its on-commit hooks ran).
SWEEP_AND_REDRIVE = {
    **SWEEP_EVERY_HALF_SECOND,
    "deliveries-redrive": {
        "task": "portal.notifications.tasks.deliveries_redrive",
        "schedule": 1.0,
        "options": {"expires": 5},
    },
}
SWEEP_DONE = r"reminders_sweep\[[^\]]+\] succeeded"


@pytest.fixture
def outbox(tmp_path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def worker_settings(settings, outbox) -> dict:
    """The same reminder configuration in the test process and in the workers."""
    settings.LIAISON_REMINDER_STEPS = SHORT_STEPS
    settings.LIAISON_BUSINESS_TIME_ZONE = "UTC"
    return {
        **FAST,
        "LIAISON_REMINDER_STEPS": SHORT_STEPS,
        "EMAIL_BACKEND": FILE_BACKEND,
        "EMAIL_FILE_PATH": str(outbox),
    }


def staff(username: str, role: Role = Role.RESPONDER):
    user = UserFactory(username=username, roles=[role])
    default_team().members.add(user)
    return user


def due_deadline(assignee, *, due_at, scheduled_at, reference: str = "") -> Deadline:
    """A deadline whose schedule was computed at ``scheduled_at`` (the past, for outages)."""
    case = CaseFactory(assignee=assignee, **({"reference": reference} if reference else {}))
    return Deadline.objects.create(
        case=case,
        kind=DeadlineKind.RESPONSE,
        due_at=due_at,
        rule_id="us.subpoena",
        citation="18 USC 2703(c)(2)",
        explanation="Test deadline",
        **reminder_schedule(
            kind=DeadlineKind.RESPONSE, due_at=due_at, emergency=False, now=scheduled_at
        ),
    )


def mailed(folder: Path) -> list[email.message.Message]:
    """Every message the file backend wrote (files of messages separated by dashes)."""
    messages = []
    for path in sorted(folder.glob("*.log")) if folder.exists() else []:
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk))
    return messages


def deliveries_done() -> bool:
    rows = Delivery.objects.all()
    return rows.exists() and not rows.exclude(status=Delivery.Status.SENT).exists()


def claimed_by(worker) -> int:
    """Deadlines the worker's sweeps claimed, from the task results in its log."""
    return sum(int(n) for n in re.findall(r"'claimed': (\d+)", worker.log))


def assert_each_sent_once(outbox: Path, expected_notifications: int) -> None:
    assert Notification.objects.count() == expected_notifications
    keys = Counter(Notification.objects.values_list("user_id", "dedupe_key"))
    assert set(keys.values()) == {1}
    messages = mailed(outbox)
    ids = Counter(m["Message-ID"] for m in messages)
    assert len(messages) == expected_notifications and set(ids.values()) == {1}


def test_each_reminder_is_sent_once_by_worker_and_beat(
    celery_worker_factory, worker_settings, outbox
):
    # GIVEN five deadlines whose 60-minute reminder is due now, and one not due for hours
    now = timezone.now()
    alice = staff("alice")
    due = [
        due_deadline(alice, due_at=now + 59 * MINUTE, scheduled_at=now - 10 * MINUTE)
        for _ in range(5)
    ]
    later = due_deadline(alice, due_at=now + 5 * HOUR, scheduled_at=now)
    # WHEN a worker runs the sweep that beat schedules every half second
    worker = celery_worker_factory(settings=worker_settings)
    celery_worker_factory("beat", beat_schedule=SWEEP_EVERY_HALF_SECOND)
    wait_for(lambda: Reminder.objects.count() == 5 and deliveries_done(), what="5 reminders")
    runs = worker.count(SWEEP_DONE)
    wait_for(lambda: worker.count(SWEEP_DONE) >= runs + 4, what="more sweeps")
    # THEN each due step was sent once (in the portal and by e-mail), the later one not yet
    assert sorted(Reminder.objects.values_list("deadline_id", "step", "late")) == sorted(
        (d.pk, "60m", False) for d in due
    )
    assert not later.reminders.exists()
    assert_each_sent_once(outbox, 5)
    assert mailed(outbox)[0]["To"] == alice.email


def blocker_connection() -> psycopg.Connection:
    """A second connection to the test database, standing in for another transaction."""
    settings_dict = connection.settings_dict
    return psycopg.connect(
        dbname=settings_dict["NAME"],
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
    )


def waiting_statement() -> str:
    """The statement of the one backend waiting on a lock, or ''."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND state = 'active'"
        )
        rows = cursor.fetchall()
    return rows[0][0] if len(rows) == 1 else ""


@pytest.mark.parametrize("where", ["inside the transaction", "at commit"])
def test_worker_killed_mid_sweep_loses_nothing_and_duplicates_nothing(
    celery_worker_factory, worker_settings, outbox, where
):
    # GIVEN seven due reminders, the fourth of them Bob's
    now = timezone.now()
    alice, bob = staff("alice"), staff("bob")
    deadlines = [
        due_deadline(
            bob if i == 3 else alice,
            due_at=now + 50 * MINUTE + i * MINUTE,
            scheduled_at=now - 15 * MINUTE,
        )
        for i in range(7)
    ]
    # ... and another transaction that makes the sweep wait at a chosen point: holding
    # the row of Bob's step (the sweep's INSERT waits, after recording three steps), or
    # Bob's user row (the foreign keys, checked at COMMIT, wait: everything is written)
    blocker = blocker_connection()
    if where == "inside the transaction":
        bobs = deadlines[3]
        blocker.execute(
            "INSERT INTO cases_reminder (deadline_id, step, deadline_due_at, due_at, sent_at, "
            "late, outcome, recipients) VALUES (%s, '60m', %s, %s, now(), false, 'reminded', "
            "'{}')",
            [bobs.pk, bobs.due_at, bobs.next_reminder_at],
        )
    else:
        blocker.execute("SELECT 1 FROM accounts_user WHERE id = %s FOR UPDATE", [bob.pk])
    first = celery_worker_factory(settings=worker_settings, concurrency=1)
    reminders_sweep.delay()
    statement = wait_for(waiting_statement, what="the sweep to wait on the lock")
    assert statement.startswith("INSERT INTO cases_reminder" if "inside" in where else "COMMIT")
    # WHEN the worker is SIGKILLed while it waits, and the other transaction ends
    assert Reminder.objects.count() == 0
    first.kill()
    blocker.rollback()
    blocker.close()
    if where == "at commit":
        # the COMMIT the worker had sent completes without it: the steps are recorded, but
        # their deliveries were never queued (the worker died before its on-commit hooks)
        wait_for(lambda: Reminder.objects.count() == 7, what="the orphaned COMMIT")
        assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    # ... and a new worker and beat take over (with the delivery redrive, as deployed)
    celery_worker_factory(settings=worker_settings)
    celery_worker_factory("beat", beat_schedule=SWEEP_AND_REDRIVE)
    wait_for(
        lambda: Reminder.objects.count() == 7 and deliveries_done(),
        timeout=30,
        what="all seven reminders",
    )
    # THEN every reminder exists once, with one notification and one e-mail each
    assert Counter(Reminder.objects.values_list("deadline_id", "step")).most_common(1)[0][1] == 1
    assert_each_sent_once(outbox, 7)
    assert Notification.objects.filter(user=bob).count() == 1


def test_beat_down_for_two_hours_sends_every_missed_reminder_once_in_order_marked_late(
    celery_worker_factory, worker_settings, outbox
):
    # GIVEN deadlines scheduled two hours ago, when beat stopped (steps 90, 60, 30 min)
    now = timezone.now()
    stopped = now - 2 * HOUR
    alice = staff("alice")
    boss = staff("boss", Role.SUPERVISOR)
    # all three reminders and the escalation fell in the outage
    overdue = due_deadline(
        alice, due_at=now - 15 * MINUTE, scheduled_at=stopped, reference="LR-2026-000301"
    )
    # its 90-minute reminder fell in the outage; the 60-minute one is still ahead
    upcoming = due_deadline(alice, due_at=now + 70 * MINUTE, scheduled_at=stopped)
    # nothing of it was due yet
    untouched = due_deadline(alice, due_at=now + 2 * HOUR, scheduled_at=stopped)
    # WHEN beat and a worker start again
    worker = celery_worker_factory(settings=worker_settings)
    celery_worker_factory("beat", beat_schedule=SWEEP_EVERY_HALF_SECOND)
    wait_for(lambda: Reminder.objects.count() == 5 and deliveries_done(), what="5 reminders")
    runs = worker.count(SWEEP_DONE)
    wait_for(lambda: worker.count(SWEEP_DONE) >= runs + 3, what="more sweeps")
    # THEN each missed step was sent once, in order, marked late; nothing else
    rows = list(overdue.reminders.order_by("pk"))
    assert [(r.step, r.late) for r in rows] == [
        ("90m", True),
        ("60m", True),
        ("30m", True),
        ("overdue:1", True),
    ]
    assert [r.due_at for r in rows] == sorted(r.due_at for r in rows)
    assert list(upcoming.reminders.values_list("step", "late")) == [("90m", True)]
    assert not untouched.reminders.exists()
    alice_subjects = list(
        Notification.objects.filter(user=alice).order_by("pk").values_list("subject", flat=True)
    )
    assert all(subject.startswith("Late: ") for subject in alice_subjects)
    (escalation,) = Notification.objects.filter(user=boss)
    assert escalation.subject.startswith("Late: Escalation: LR-2026-000301 overdue since ")
    assert escalation.body.startswith("Sent late: this reminder was due at ")
    assert_each_sent_once(outbox, 6)
    upcoming.refresh_from_db()
    assert (upcoming.next_reminder_step, upcoming.next_reminder_at) == (
        "60m",
        upcoming.due_at - HOUR,
    )


def test_two_workers_sweeping_at_once_never_send_a_reminder_twice(
    celery_worker_factory, worker_settings, outbox
):
    # GIVEN 60 due reminders for three people, claimed five at a time
    now = timezone.now()
    people = [staff("alice"), staff("bob"), staff("carol")]
    for i in range(60):
        due_deadline(people[i % 3], due_at=now + 50 * MINUTE, scheduled_at=now - 15 * MINUTE)
    # (each worker reserves one message per process, so the first one ready cannot
    # prefetch all eight sweeps before the second has started polling)
    small_batches = {
        **worker_settings,
        "LIAISON_REMINDER_BATCH_SIZE": 5,
        "CELERY_WORKER_PREFETCH_MULTIPLIER": 1,
    }
    # WHEN two workers run eight sweeps at the same time
    one = celery_worker_factory(settings=small_batches, concurrency=2)
    two = celery_worker_factory(settings=small_batches, concurrency=2)
    for _ in range(8):
        reminders_sweep.delay()
    wait_for(lambda: Reminder.objects.count() == 60 and deliveries_done(), what="60 reminders")
    # (a sweep that finds a full first batch starts another: wait until every one ended)
    sweeps_received = r"reminders_sweep\[[^\]]+\] received"
    wait_for(
        lambda: (
            one.count(SWEEP_DONE) + two.count(SWEEP_DONE)
            == one.count(sweeps_received) + two.count(sweeps_received)
        ),
        what="the sweeps",
    )
    # THEN both workers took part, each deadline was claimed exactly once between them,
    # and each reminder was recorded, notified and mailed once
    assert claimed_by(one) > 0 and claimed_by(two) > 0
    assert claimed_by(one) + claimed_by(two) == 60
    assert "already sent" not in one.log + two.log
    assert_each_sent_once(outbox, 60)


def test_failing_smtp_server_delays_only_its_own_reminder(
    celery_worker_factory, worker_settings, settings
):
    from tests.portal.notifications.servers import SmtpServer

    smtp = SmtpServer()
    try:
        # GIVEN an SMTP server that refuses Bob's mail twice (451), and two due reminders
        now = timezone.now()
        alice, bob = staff("alice"), staff("bob")
        smtp.failures = {bob.email: ["451", "451"]}
        due_deadline(bob, due_at=now + 55 * MINUTE, scheduled_at=now - 15 * MINUTE)
        due_deadline(alice, due_at=now + 56 * MINUTE, scheduled_at=now - 15 * MINUTE)
        celery_worker_factory(
            settings={
                **worker_settings,
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": smtp.port,
            }
        )
        # WHEN the sweep runs
        reminders_sweep.delay()
        # THEN both reminders are recorded at once, Alice's mail goes out while Bob's is
        # retried with backoff, and each arrives once
        wait_for(lambda: Reminder.objects.count() == 2, what="both reminders")
        wait_for(deliveries_done, timeout=30, what="both e-mails")
        attempts = smtp.attempts_for(bob.email)
        assert [a.outcome for a in attempts] == ["451", "451", "accepted"]
        assert len(smtp.accepted_for(alice.email)) == 1
        assert smtp.accepted_for(alice.email)[0].at < attempts[-1].at
        assert Delivery.objects.get(notification__user=bob).attempts == 3
    finally:
        smtp.close()
