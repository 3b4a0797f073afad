"""Batch sending (the reminder sweep's): ``notifications_send`` and ``deliveries_attempt``.

They must keep every promise of the one-by-one path (dedupe per user and key, one access
event per notification, deliveries queued only on commit, each delivery claimed and
recorded once, a failing server holding nothing up) while costing a few statements per
batch instead of several per message.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portal.audit.models import AccessEvent
from portal.notifications import channels, services
from portal.notifications.models import Delivery, Notification
from portal.notifications.services import (
    Outgoing,
    deliveries_attempt,
    notification_send,
    notifications_send,
)
from tests.factories import UserFactory

Status = Delivery.Status


def outgoing(user, key: str, **kwargs) -> Outgoing:
    return Outgoing(user=user, subject=f"Reminder {key}", body="", dedupe_key=key, **kwargs)


def test_a_batch_stores_each_message_once_and_queues_its_emails_in_chunks(
    responder,
    supervisor,
    settings,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    settings.LIAISON_WEBHOOK_URL = "https://hooks.example.com/liaison"
    # GIVEN one key already sent to the responder
    notification_send(user=responder, subject="Earlier", body="", dedupe_key="r:1")
    batch = [
        outgoing(responder, "r:1"),  # already sent: skipped
        outgoing(responder, "r:2"),
        outgoing(supervisor, "r:1"),  # the same key for someone else is a new message
        outgoing(supervisor, "r:2", channels=("email",)),
        outgoing(supervisor, "r:2"),  # twice in one batch: once
    ]
    # WHEN the batch is sent, in a handful of statements whatever its size
    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(10):
        created = notifications_send(outgoing=batch)
    # THEN the three new messages exist once each, with their deliveries and audit events
    assert sorted((n.user.username, n.dedupe_key) for n in created) == [
        ("responder", "r:2"),
        ("supervisor", "r:1"),
        ("supervisor", "r:2"),
    ]
    assert Notification.objects.count() == 4
    assert Delivery.objects.filter(notification__in=created).count() == 5  # 2 + 2 + e-mail
    assert AccessEvent.objects.filter(action="notification_created").count() == 4
    (enqueue,) = [c for c in callbacks if getattr(c, "func", None) is services._enqueue_batched]
    assert len(enqueue.args[0]) == 5


def test_a_concurrent_insert_of_the_same_key_falls_back_to_one_by_one(responder, monkeypatch):
    # GIVEN the pre-check misses a key that another sender inserts just before us
    notification_send(user=responder, subject="Theirs", body="", dedupe_key="race")
    real_filter = Notification.objects.filter

    def blind(*args, **kwargs):
        if "dedupe_key__in" in kwargs:
            return real_filter(pk=None)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Notification.objects, "filter", blind)
    # WHEN our batch holds that key and a new one
    created = notifications_send(outgoing=[outgoing(responder, "race"), outgoing(responder, "new")])
    # THEN theirs stands, ours is added, nothing is duplicated
    assert {n.subject for n in created} == {"Theirs", "Reminder new"}
    assert Notification.objects.filter(user=responder).count() == 2


@pytest.fixture
def emails(responder, supervisor):
    created = notifications_send(
        outgoing=[outgoing(user, f"k{i}", channels=("email",)) for i, user in enumerate(
            [responder, supervisor, responder]
        )]
    )  # fmt: skip
    return [n.deliveries.get() for n in created]


def test_a_chunk_goes_out_over_one_connection_each_recorded_once(emails, mailoutbox):
    result = deliveries_attempt(delivery_ids=[d.pk for d in emails])
    assert result == {"sent": 3, "failed": 0, "handed_over": 0, "skipped": 0}
    assert len(mailoutbox) == 3
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}
    # a second run of the same chunk sends nothing
    assert deliveries_attempt(delivery_ids=[d.pk for d in emails])["skipped"] == 3
    assert len(mailoutbox) == 3


def test_a_transient_failure_hands_the_rest_to_single_tasks(emails, monkeypatch):
    # GIVEN a server that accepts the first message, then drops the connection
    sent = []

    def flaky(notification, connection=None):
        if sent:
            raise smtplib.SMTPServerDisconnected("gone")
        sent.append(notification.pk)

    queued, later = [], []
    monkeypatch.setattr(services, "email_send", flaky)
    monkeypatch.setattr(services, "_enqueue", lambda ids: queued.extend(ids))
    monkeypatch.setattr(services, "_enqueue_later", lambda pk, countdown: later.append(pk))
    # WHEN the chunk is sent
    result = deliveries_attempt(delivery_ids=[d.pk for d in emails])
    # THEN the first is recorded sent; the failing one waits for its backoff in its own
    # task, and the untried one is queued at once with its attempt given back
    assert result == {"sent": 1, "failed": 0, "handed_over": 2, "skipped": 0}
    first, failing, untried = (Delivery.objects.get(pk=d.pk) for d in emails)
    assert (first.status, first.attempts) == (Status.SENT, 1)
    assert (failing.status, failing.attempts) == (Status.PENDING, 1)
    assert failing.last_error.startswith("SMTPServerDisconnected")
    assert failing.next_attempt_at > failing.created_at
    assert (untried.status, untried.attempts) == (Status.PENDING, 0)
    assert later == [failing.pk] and queued == [untried.pk]


def test_a_permanent_refusal_fails_only_that_delivery(emails, monkeypatch):
    def refuse_second(notification, connection=None):
        if notification.pk == emails[1].notification_id:
            raise channels.DeliveryRejected("SMTP 550")
        mail.outbox.append(notification.pk)

    monkeypatch.setattr(services, "email_send", refuse_second)
    mail.outbox = []
    result = deliveries_attempt(delivery_ids=[d.pk for d in emails])
    assert result == {"sent": 2, "failed": 1, "handed_over": 0, "skipped": 0}
    assert Delivery.objects.get(pk=emails[1].pk).status == Status.FAILED


def test_a_live_claim_or_a_missing_row_is_skipped(emails, mailoutbox):
    lease_ends = timezone.now() + timedelta(minutes=1)
    Delivery.objects.filter(pk=emails[0].pk).update(
        status=Status.SENDING, next_attempt_at=lease_ends
    )  # another worker's live claim
    Delivery.objects.filter(pk=emails[1].pk).delete()
    result = deliveries_attempt(delivery_ids=[d.pk for d in emails])
    assert result == {"sent": 1, "failed": 0, "handed_over": 0, "skipped": 2}
    assert len(mailoutbox) == 1


def test_webhook_deliveries_are_never_batched(db, settings):
    settings.LIAISON_WEBHOOK_URL = "https://hooks.example.com/liaison"
    user = UserFactory()
    (notification,) = notifications_send(outgoing=[outgoing(user, "w", channels=("webhook",))])
    webhook = notification.deliveries.get()
    assert deliveries_attempt(delivery_ids=[webhook.pk])["skipped"] == 1
    assert Delivery.objects.get(pk=webhook.pk).status == Status.PENDING
