"""Notifications delivered by a real Celery worker (a subprocess), against the test database.

The broker is Redis when ``CELERY_BROKER_URL`` is set, else kombu's filesystem transport;
mail goes to a folder (file backend) or to a local SMTP server; the webhook receiver is a
local HTTP server. Retry delays are shortened through settings; nothing else is replaced.
"""

from __future__ import annotations

import email
import hashlib
import hmac
import itertools
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest

from portal.notifications.models import Delivery, Heartbeat, Notification
from portal.notifications.services import notification_send
from portal.notifications.tasks import deliveries_redrive, delivery_send
from tests.celery_harness import wait_for
from tests.factories import UserFactory, verified_client
from tests.portal.notifications.servers import SmtpServer, WebhookReceiver

SECRET = "test-webhook-secret-0123456789"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# Short, deterministic retry delays (1 s, 2 s, 4 s ...) and leases, so tests take seconds.
FAST = {
    "LIAISON_DELIVERY_RETRY_BACKOFF": 1,
    "LIAISON_DELIVERY_RETRY_JITTER": False,
    "LIAISON_DELIVERY_LEASE_SECONDS": 5,
    "LIAISON_DELIVERY_REDRIVE_GRACE_SECONDS": 1,
    "LIAISON_WEBHOOK_TIMEOUT": 3,
    "LIAISON_EMAIL_TIMEOUT": 3,
}
SUCCEEDED = r"delivery_send\[[^\]]+\] succeeded"


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.close()


def mailed(folder: Path) -> list[email.message.Message]:
    """Every message the file backend wrote (one file per connection, separated by dashes)."""
    messages = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk))
    return messages


def delivery_of(notification: Notification, channel: str) -> Delivery:
    return Delivery.objects.get(notification=notification, channel=channel)


def all_sent(notifications: list[Notification]) -> bool:
    rows = Delivery.objects.filter(notification__in=notifications)
    return rows.exists() and not rows.exclude(status=Delivery.Status.SENT).exists()


def verify_signature(request, secret: str) -> bool:
    """The receiver's side of docs/notifications.md, written independently of the portal."""
    timestamp = request.headers["X-Liaison-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    given = request.headers["X-Liaison-Signature"].removeprefix("sha256=")
    fresh = abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(expected, given)


@pytest.mark.smoke
def test_email_is_delivered_exactly_once_by_a_real_worker(
    celery_worker_factory, responder, tmp_path
):
    # GIVEN a worker whose mail goes to a folder
    outbox = tmp_path / "mail"
    worker = celery_worker_factory(
        settings={**FAST, "EMAIL_BACKEND": FILE_BACKEND, "EMAIL_FILE_PATH": str(outbox)}
    )
    # WHEN a reminder is sent, sent again with the same key, and its task queued twice
    first = notification_send(
        user=responder,
        subject="Preservation PR-2026-0001 lapses in 2 days",
        body="Extend it or it lapses on 2026-12-01 17:00 UTC.",
        url="/cases/",
        dedupe_key="deadline:1:step:2d",
        channels=["email"],
    )
    again = notification_send(
        user=responder,
        subject="Preservation PR-2026-0001 lapses in 2 days",
        body="Extend it or it lapses on 2026-12-01 17:00 UTC.",
        dedupe_key="deadline:1:step:2d",
        channels=["email"],
    )
    delivery_send.delay(delivery_of(first, "email").pk)
    # THEN both task runs finish, and exactly one message went out
    wait_for(lambda: worker.count(SUCCEEDED) >= 2, what="both delivery tasks")
    assert again.pk == first.pk
    assert Notification.objects.filter(user=responder).count() == 1
    messages = mailed(outbox)
    assert len(messages) == 1
    message = messages[0]
    assert message["To"] == responder.email
    assert message["Subject"] == "[Liaison] Preservation PR-2026-0001 lapses in 2 days"
    assert message["Message-ID"].strip() == f"<notification.{first.public_id}@provider.example.com>"
    assert "lapses on 2026-12-01 17:00 UTC" in message.get_payload(decode=True).decode()
    delivery = delivery_of(first, "email")
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)
    assert delivery.sent_at is not None


def test_webhook_receives_a_signed_slack_compatible_message(
    celery_worker_factory, receiver, responder, settings
):
    # GIVEN a webhook receiver and a shared secret
    hook = {"LIAISON_WEBHOOK_URL": receiver.url, "LIAISON_WEBHOOK_SECRET": SECRET}
    settings.LIAISON_WEBHOOK_URL = receiver.url
    celery_worker_factory(settings={**FAST, **hook})
    # WHEN an urgent notification is sent on the webhook channel
    notification = notification_send(
        user=responder,
        subject="Emergency request ER-7 due in 10 minutes",
        body="Disclosure <urgent> & overdue soon",
        url="/cases/ER-7/",
        severity="urgent",
        dedupe_key="deadline:7:step:10m",
        channels=["webhook"],
    )
    # THEN the receiver gets one JSON {"text": ...} POST, signed over timestamp and body
    wait_for(lambda: all_sent([notification]), what="the webhook delivery")
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hooks/liaison"
    assert verify_signature(request, SECRET)
    assert not verify_signature(request, "another-secret")
    assert request.headers["X-Liaison-Delivery"] == str(notification.public_id)
    text = json.loads(request.body)["text"]
    assert "*Emergency request ER-7 due in 10 minutes*" in text
    assert "Disclosure &lt;urgent&gt; &amp; overdue soon" in text  # Slack escaping
    assert "/cases/ER-7/|Open in Liaison>" in text


def test_webhook_answering_500_is_retried_with_backoff_and_delivered_once(
    celery_worker_factory, receiver, responder, settings
):
    # GIVEN a receiver that fails once with 500, then accepts
    receiver.statuses = [500, 200]
    settings.LIAISON_WEBHOOK_URL = receiver.url
    worker = celery_worker_factory(
        settings={**FAST, "LIAISON_WEBHOOK_URL": receiver.url, "LIAISON_WEBHOOK_SECRET": SECRET}
    )
    # WHEN a notification goes to the webhook
    notification = notification_send(
        user=responder, subject="Return date tomorrow", body="", dedupe_key="d:9",
        channels=["webhook"],
    )  # fmt: skip
    # THEN it is tried again after the backoff and recorded as sent once
    wait_for(lambda: all_sent([notification]), what="the retried webhook delivery")
    first, second = receiver.requests
    assert [first.status, second.status] == [500, 200]
    assert second.at - first.at >= 0.9  # retry_backoff: first retry after 1 s here
    assert first.body == second.body
    assert first.headers["X-Liaison-Delivery"] == second.headers["X-Liaison-Delivery"]
    assert verify_signature(second, SECRET)
    delivery = delivery_of(notification, "webhook")
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    time.sleep(1.5)  # nothing else is pending: no third request arrives
    assert len(receiver.requests) == 2
    assert worker.count(r"Retry in 1s: WebhookServerError") == 1


def test_failing_smtp_server_is_retried_with_backoff_while_other_mail_goes_out(
    celery_worker_factory, smtp
):
    # GIVEN an SMTP server that drops Bob's first attempt and refuses his second (451)
    alice = UserFactory(username="alice", email="alice@provider.example.com")
    bob = UserFactory(username="bob", email="bob@provider.example.com")
    smtp.failures = {"bob@provider.example.com": ["close", "451"]}
    celery_worker_factory(
        settings={
            **FAST,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": smtp.port,
        }
    )
    # WHEN Bob's reminder is sent first, then Alice's
    for_bob = notification_send(user=bob, subject="Due today", body="", dedupe_key="b")
    for_alice = notification_send(user=alice, subject="Due today", body="", dedupe_key="a")
    # THEN Alice's goes out while Bob's waits for its retries, and each arrives once
    wait_for(lambda: all_sent([for_bob, for_alice]), timeout=30, what="both e-mails")
    bob_attempts = smtp.attempts_for("bob@provider.example.com")
    assert [s.outcome for s in bob_attempts] == ["close", "451", "accepted"]
    assert len(smtp.accepted_for("alice@provider.example.com")) == 1
    assert len(smtp.accepted_for("bob@provider.example.com")) == 1
    alice_at = smtp.accepted_for("alice@provider.example.com")[0].at
    assert alice_at < bob_attempts[1].at  # not held up behind Bob's backoff
    gaps = [b.at - a.at for a, b in itertools.pairwise(bob_attempts)]
    assert gaps[0] >= 0.9 and gaps[1] >= 1.9  # exponential backoff: 1 s, then 2 s
    assert delivery_of(for_bob, "email").attempts == 3
    assert delivery_of(for_alice, "email").attempts == 1


def test_worker_killed_mid_delivery_loses_nothing_and_duplicates_nothing(
    celery_worker_factory, receiver, responder, settings, tmp_path
):
    # GIVEN a slow webhook receiver and three notifications on e-mail and webhook
    receiver.delays = [4.0]
    outbox = tmp_path / "mail"
    worker_settings = {
        **FAST,
        "EMAIL_BACKEND": FILE_BACKEND,
        "EMAIL_FILE_PATH": str(outbox),
        "LIAISON_WEBHOOK_URL": receiver.url,
        "LIAISON_WEBHOOK_SECRET": SECRET,
    }
    settings.LIAISON_WEBHOOK_URL = receiver.url
    first_worker = celery_worker_factory(settings=worker_settings, concurrency=1)
    notifications = [
        notification_send(
            user=responder,
            subject=f"Reminder {i}",
            body="",
            dedupe_key=f"k{i}",
            channels=["webhook", "email"],
        )
        for i in range(3)
    ]
    # WHEN the worker is SIGKILLed while the receiver still holds the first request
    wait_for(lambda: receiver.requests, what="the first webhook request")
    first_worker.kill()
    in_flight = receiver.requests[0].headers["X-Liaison-Delivery"]
    # ... and a new worker starts, with beat's redrive running as it does every minute
    celery_worker_factory(settings=worker_settings, concurrency=1)

    def redriven_and_done() -> bool:
        if all_sent(notifications):
            return True
        deliveries_redrive.delay()
        time.sleep(1)
        return False

    wait_for(redriven_and_done, timeout=40, interval=0, what="every delivery to be sent")
    # THEN every delivery is recorded sent once: one e-mail per notification, and one
    # webhook request per notification except the interrupted one, which the receiver saw
    # twice with the same delivery id and the same body (at least once, never lost)
    assert sorted(m["Subject"] for m in mailed(outbox)) == [
        f"[Liaison] Reminder {i}" for i in range(3)
    ]
    by_id: dict[str, list] = {}
    for request in receiver.requests:
        by_id.setdefault(request.headers["X-Liaison-Delivery"], []).append(request)
    assert set(by_id) == {str(n.public_id) for n in notifications}
    assert {key: len(requests) for key, requests in by_id.items()} == {
        key: 2 if key == in_flight else 1 for key in by_id
    }
    assert by_id[in_flight][0].body == by_id[in_flight][1].body
    interrupted = Delivery.objects.get(notification__public_id=in_flight, channel="webhook")
    assert (interrupted.status, interrupted.attempts) == ("sent", 2)
    others = Delivery.objects.filter(notification__in=notifications).exclude(pk=interrupted.pk)
    assert set(others.values_list("status", "attempts")) == {("sent", 1)}


def test_beat_heartbeat_records_queue_lag_and_clears_the_health_check(
    celery_worker_factory, admin_user
):
    # GIVEN a worker and beat, the heartbeat scheduled every second instead of every minute
    celery_worker_factory(settings=FAST)
    celery_worker_factory(
        "beat",
        beat_schedule={
            "heartbeat": {
                "task": "portal.notifications.tasks.heartbeat",
                "schedule": 1.0,
                "options": {"expires": 5},
            }
        },
    )
    client = verified_client(admin_user)
    assert client.get("/healthz/celery?format=json").status_code == 503  # never ran yet
    # WHEN beat has published the heartbeat and the worker has run it
    beat = wait_for(lambda: Heartbeat.objects.filter(name="beat").first(), what="heartbeat")
    # THEN the queue lag is measured from the enqueue time beat stamped into the message
    assert beat.enqueued_at is not None and beat.lag is not None
    assert timedelta(0) <= beat.lag < timedelta(seconds=5)
    assert beat.enqueued_at <= beat.last_seen
    response = client.get("/healthz/celery?format=json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["heartbeats"][0]["name"] == "beat"
    assert body["heartbeats"][0]["queue_lag_seconds"] < 5
    assert b"Reminders may be late" not in client.get("/notifications/").content
