"""Notification services, in-process: dedupe, channel choice, claims, retries, redrive."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.audit.models import AccessEvent
from portal.notifications import channels, services
from portal.notifications.models import Delivery, Heartbeat, Notification
from portal.notifications.services import (
    deliveries_redrive,
    delivery_attempt,
    heartbeat_record,
    notification_mark_read,
    notification_send,
    notifications_mark_all_read,
)
from tests.factories import UserFactory
from tests.portal.notifications.servers import WebhookReceiver

Status = Delivery.Status


def send(user, key="k", **kwargs) -> Notification:
    return notification_send(
        user=user, subject=kwargs.pop("subject", "Due soon"), body="", dedupe_key=key, **kwargs
    )


def free_port() -> int:
    """A local port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()


def test_send_stores_the_message_and_queues_each_channel_on_commit(
    responder, settings, django_capture_on_commit_callbacks
):
    settings.LIAISON_WEBHOOK_URL = "https://hooks.example.com/liaison"
    with django_capture_on_commit_callbacks() as callbacks:
        notification = send(responder, url="/cases/", severity="warning", kind="reminder")
    assert notification.read_at is None
    assert sorted(notification.deliveries.values_list("channel", "status", "attempts")) == [
        ("email", "pending", 0),
        ("webhook", "pending", 0),
    ]
    # the channels are queued only once the transaction commits, in one callback
    (enqueue,) = [c for c in callbacks if getattr(c, "func", None) is services._enqueue]
    assert sorted(enqueue.args[0]) == sorted(notification.deliveries.values_list("pk", flat=True))
    event = AccessEvent.objects.get(action="notification_created")
    assert event.object_id == str(notification.pk)
    assert event.details == {"kind": "reminder", "channels": ["email", "webhook"]}


def test_same_key_to_the_same_user_sends_nothing_new(responder, supervisor):
    first = send(responder, key="deadline:1:2d")
    again = send(responder, key="deadline:1:2d", subject="Changed wording")
    other_user = send(supervisor, key="deadline:1:2d")
    assert again.pk == first.pk
    assert again.subject == "Due soon"
    assert other_user.pk != first.pk
    assert Delivery.objects.filter(notification=first).count() == 1  # e-mail only


def test_channels_that_cannot_reach_anyone_get_no_delivery(db, settings):
    settings.LIAISON_WEBHOOK_URL = ""
    no_address = UserFactory(email="")
    notification = send(no_address, channels=["email", "webhook"])
    assert notification.deliveries.count() == 0
    assert Notification.objects.filter(pk=notification.pk).exists()  # still in the portal


@pytest.mark.parametrize(
    "url", ["https://evil.example.com/", "//evil.example.com/x", "javascript:alert(1)", "cases"]
)
def test_links_must_stay_inside_the_portal(responder, url):
    with pytest.raises(ValidationError):
        send(responder, url=url)
    assert not Notification.objects.exists()


def test_a_delivery_is_sent_once_however_often_its_task_runs(responder, mailoutbox, settings):
    settings.LIAISON_BASE_URL = "https://liaison.example.com"
    delivery = send(responder, url="/cases/").deliveries.get()
    assert delivery_attempt(delivery_id=delivery.pk) == Status.SENT
    assert delivery_attempt(delivery_id=delivery.pk) == "not claimed (sent)"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [responder.email]
    assert "Open in Liaison: https://liaison.example.com/cases/" in mailoutbox[0].body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.SENT, 1)


def test_a_live_claim_is_respected_and_an_expired_one_taken_over(responder, mailoutbox):
    delivery = send(responder).deliveries.get()
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Status.SENDING, attempts=1, next_attempt_at=now + timedelta(minutes=1)
    )
    assert delivery_attempt(delivery_id=delivery.pk) == "not claimed (sending)"
    assert mailoutbox == []
    # GIVEN the worker holding the claim died: its lease runs out
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now - timedelta(seconds=1))
    assert delivery_attempt(delivery_id=delivery.pk) == Status.SENT
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(mailoutbox)) == (Status.SENT, 2, 1)


def test_a_deleted_notification_makes_its_task_a_no_op(responder, mailoutbox):
    notification = send(responder)
    delivery_id = notification.deliveries.get().pk
    notification.delete()
    assert delivery_attempt(delivery_id=delivery_id) == "missing"
    assert mailoutbox == []


def test_a_transient_failure_releases_the_claim_for_a_retry_after_backoff(responder, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.LIAISON_DELIVERY_RETRY_BACKOFF = 5
    delivery = send(responder).deliveries.get()
    before = timezone.now()
    with pytest.raises(ConnectionRefusedError):
        delivery_attempt(delivery_id=delivery.pk, retries=2)
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.attempts == 1
    assert "ConnectionRefusedError" in delivery.last_error
    # third try (retries=2): the task waits at most 5 * 2**2 s; the sweep waits longer
    assert before + timedelta(seconds=19) < delivery.next_attempt_at
    assert delivery.next_attempt_at < timezone.now() + timedelta(seconds=21)


def test_the_last_allowed_attempt_marks_the_delivery_failed(responder, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.LIAISON_DELIVERY_MAX_ATTEMPTS = 3
    delivery = send(responder).deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(attempts=2)
    assert delivery_attempt(delivery_id=delivery.pk) == Status.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, 3)


def test_a_webhook_refusal_is_final_and_not_retried(responder, settings, receiver):
    receiver.statuses = [404]
    settings.LIAISON_WEBHOOK_URL = receiver.url
    delivery = send(responder, channels=["webhook"]).deliveries.get()
    assert delivery_attempt(delivery_id=delivery.pk) == Status.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (Status.FAILED, "HTTP 404")


def test_webhook_signature_covers_timestamp_and_body(responder, settings, receiver):
    settings.LIAISON_WEBHOOK_URL = receiver.url
    settings.LIAISON_WEBHOOK_SECRET = "s3cret-for-tests"
    delivery = send(responder, channels=["webhook"], subject="A & B").deliveries.get()
    delivery_attempt(delivery_id=delivery.pk)
    (request,) = receiver.requests
    signed = request.headers["X-Liaison-Timestamp"].encode() + b"." + request.body
    digest = hmac.new(b"s3cret-for-tests", signed, hashlib.sha256).hexdigest()
    assert request.headers["X-Liaison-Signature"] == f"sha256={digest}"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(request.body)["text"].startswith("*A &amp; B* (information, responder)")


def test_no_secret_means_no_signature_header(responder, settings, receiver):
    settings.LIAISON_WEBHOOK_URL = receiver.url
    settings.LIAISON_WEBHOOK_SECRET = ""
    delivery_attempt(delivery_id=send(responder, channels=["webhook"]).deliveries.get().pk)
    assert channels.SIGNATURE_HEADER not in receiver.requests[0].headers


def test_redrive_queues_only_deliveries_without_a_live_task(
    responder, settings, django_capture_on_commit_callbacks
):
    settings.LIAISON_DELIVERY_REDRIVE_GRACE_SECONDS = 120
    now = timezone.now()
    rows = {}
    for name, status, due in [
        ("lost pending", Status.PENDING, now - timedelta(minutes=3)),
        ("fresh pending", Status.PENDING, now - timedelta(seconds=30)),
        ("dead claim", Status.SENDING, now - timedelta(seconds=1)),
        ("live claim", Status.SENDING, now + timedelta(seconds=60)),
        ("sent", Status.SENT, now - timedelta(hours=1)),
        ("failed", Status.FAILED, now - timedelta(hours=1)),
    ]:
        delivery = send(responder, key=name).deliveries.get()
        Delivery.objects.filter(pk=delivery.pk).update(status=status, next_attempt_at=due)
        rows[name] = delivery.pk
    with django_capture_on_commit_callbacks() as callbacks:
        queued = deliveries_redrive(now=now)
    assert sorted(queued) == sorted([rows["lost pending"], rows["dead claim"]])
    assert [c.args[0] for c in callbacks] == [queued]
    # the lost one gets a new deadline, so the next sweep does not queue it again at once
    assert Delivery.objects.get(pk=rows["lost pending"]).next_attempt_at == now
    assert deliveries_redrive(now=now + timedelta(seconds=60)) == [rows["dead claim"]]


def test_mark_read_is_compare_and_set_and_logged(responder):
    notification = send(responder)
    assert notification_mark_read(notification=notification, user=responder) is True
    assert notification_mark_read(notification=notification, user=responder) is False
    assert AccessEvent.objects.filter(action="notification_read").count() == 1


def test_mark_read_never_touches_someone_elses_notification(responder, supervisor):
    notification = send(responder)
    assert notification_mark_read(notification=notification, user=supervisor) is False
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_counts_only_the_users_unread(responder, supervisor):
    for key in "abc":
        send(responder, key=key)
    send(supervisor, key="a")
    notification_mark_read(
        notification=Notification.objects.get(user=responder, dedupe_key="a"), user=responder
    )
    assert notifications_mark_all_read(user=responder) == 2
    assert notifications_mark_all_read(user=responder) == 0
    assert Notification.objects.filter(user=supervisor, read_at__isnull=True).count() == 1


def test_heartbeat_records_queue_lag(db):
    enqueued = timezone.now() - timedelta(seconds=2)
    beat = heartbeat_record(name=Heartbeat.BEAT, enqueued_at=enqueued)
    assert timedelta(seconds=2) <= beat.lag < timedelta(seconds=3)
    again = heartbeat_record(name=Heartbeat.BEAT)
    assert again.pk == beat.pk and again.lag is None
    assert Heartbeat.objects.count() == 1


def test_configuration_check_warns_about_an_unsigned_or_plain_http_webhook(settings):
    from portal.notifications.checks import webhook_configuration

    settings.LIAISON_WEBHOOK_URL = ""
    assert webhook_configuration(None) == []
    settings.LIAISON_WEBHOOK_URL = "http://hooks.example.com/x"
    settings.LIAISON_WEBHOOK_SECRET = ""
    settings.PRODUCTION = True
    assert {m.id for m in webhook_configuration(None)} == {
        "notifications.W001",
        "notifications.W002",
    }
    settings.LIAISON_WEBHOOK_URL = "ftp://hooks.example.com/x"
    settings.LIAISON_WEBHOOK_SECRET = "s"
    assert [m.id for m in webhook_configuration(None)] == ["notifications.E001"]
