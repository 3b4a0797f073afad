"""Writes: send a notification, deliver it per channel, mark it read, record heartbeats.

Delivery is at least once towards the outside world and exactly once in our records: each
(notification, channel) has one :class:`Delivery` row, a worker claims it with a
compare-and-set before sending, and only the holder of the claim may record the outcome.
The one window left is a worker that dies after the receiver accepted the message but
before the row says so; the retry then carries the same ``X-Liaison-Delivery`` id (webhook)
or Message-ID (e-mail), so the receiver can recognise it. See docs/decisions/0005.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery.utils.time import get_exponential_backoff_interval
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.accounts.models import User
from portal.audit.services import access_event_record
from portal.notifications import conf
from portal.notifications.channels import (
    SENDERS,
    TRANSIENT_ERRORS,
    DeliveryRejected,
    email_send,
)
from portal.notifications.models import Delivery, Heartbeat, Notification

logger = logging.getLogger(__name__)

Channel = Delivery.Channel
Severity = Notification.Severity
Status = Delivery.Status

DEFAULT_CHANNELS = (Channel.EMAIL, Channel.WEBHOOK)


def _channels_for(user: User, channels: Iterable[str]) -> list[str]:
    """The requested channels that can reach anyone: no address, no configured hook, no row."""
    wanted: list[str] = []
    for channel in dict.fromkeys(channels):
        if channel == Channel.EMAIL and not user.email:
            continue
        if channel == Channel.WEBHOOK and not conf.webhook_url():
            continue
        wanted.append(Channel(channel))
    return wanted


def _enqueue(delivery_ids: list[int]) -> None:
    from portal.notifications.tasks import delivery_send

    for delivery_id in delivery_ids:
        delivery_send.delay(delivery_id)


def _enqueue_later(delivery_id: int, *, countdown: float) -> None:
    from portal.notifications.tasks import delivery_send

    delivery_send.apply_async((delivery_id,), countdown=countdown)


# E-mails of a batch (notifications_send) go out this many to a task, over one connection.
EMAIL_BATCH_SIZE = 50


def _enqueue_batched(deliveries: Sequence[Delivery]) -> None:
    """Queue a batch's e-mails in chunks (``deliveries_send``), anything else one by one."""
    from portal.notifications.tasks import deliveries_send

    emails = [d.pk for d in deliveries if d.channel == Channel.EMAIL]
    for start in range(0, len(emails), EMAIL_BATCH_SIZE):
        chunk = emails[start : start + EMAIL_BATCH_SIZE]
        if len(chunk) == 1:
            _enqueue(chunk)
        else:
            deliveries_send.delay(chunk)
    _enqueue([d.pk for d in deliveries if d.channel != Channel.EMAIL])


def notification_send(
    *,
    user: User,
    subject: str,
    body: str,
    dedupe_key: str,
    url: str = "",
    severity: str = Severity.INFO,
    kind: str = "",
    channels: Iterable[str] = DEFAULT_CHANNELS,
) -> Notification:
    """Tell ``user`` something: an in-app notification, plus e-mail and webhook deliveries.

    Sending the same ``dedupe_key`` to the same user again returns the first notification
    and sends nothing, so callers may retry freely. The outside channels are queued only
    when the transaction commits; if the broker is unreachable then, the rows stay pending
    and the redrive sweep queues them later.
    """
    now = timezone.now()
    notification = Notification(
        user=user,
        created_at=now,
        subject=subject,
        body=body,
        url=url,
        severity=severity,
        kind=kind,
        dedupe_key=dedupe_key,
    )
    notification.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        existing = Notification.objects.filter(user=user, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                notification.save()
        except IntegrityError:
            # A concurrent sender with the same key committed first; theirs stands.
            return Notification.objects.get(user=user, dedupe_key=dedupe_key)
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                notification=notification, channel=channel, created_at=now, next_attempt_at=now
            )
            for channel in _channels_for(user, channels)
        )
        access_event_record(
            action="notification_created",
            actor_label="notifications",
            obj=notification,
            details={"kind": kind, "channels": [d.channel for d in deliveries]},
        )
        transaction.on_commit(partial(_enqueue, [d.pk for d in deliveries]), robust=True)
    return notification


@dataclass(frozen=True)
class Outgoing:
    """One notification for :func:`notifications_send`: the arguments of ``notification_send``."""

    user: User
    subject: str
    body: str
    dedupe_key: str
    url: str = ""
    severity: str = Severity.INFO
    kind: str = ""
    channels: tuple[str, ...] = DEFAULT_CHANNELS


def notifications_send(*, outgoing: Sequence[Outgoing]) -> list[Notification]:
    """``notification_send`` for a batch (the reminder sweep's): same rows, same guarantees.

    Keys already sent to their user are skipped, the rest are inserted with one statement
    each for notifications and deliveries (instead of nine round trips per message), each
    new notification gets its access event, and the deliveries are queued on commit.
    Returns the notifications created. If a concurrent sender inserts one of the same
    keys meanwhile, the batch falls back to ``notification_send`` one by one, which
    resolves each conflict as it always does.
    """
    if not outgoing:
        return []
    now = timezone.now()
    with transaction.atomic():
        wanted = {(item.user.pk, item.dedupe_key) for item in outgoing}
        sent = set(
            Notification.objects.filter(
                user_id__in={user for user, _key in wanted},
                dedupe_key__in={key for _user, key in wanted},
            ).values_list("user_id", "dedupe_key")
        )
        fresh: dict[tuple[int, str], Outgoing] = {}
        for item in outgoing:
            fresh.setdefault((item.user.pk, item.dedupe_key), item)
        items = [item for key, item in fresh.items() if key not in sent]
        rows = [
            Notification(
                user=item.user,
                created_at=now,
                subject=item.subject,
                body=item.body,
                url=item.url,
                severity=item.severity,
                kind=item.kind,
                dedupe_key=item.dedupe_key,
            )
            for item in items
        ]
        for row in rows:  # the user exists (the caller holds it; the foreign key checks too)
            row.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                created = Notification.objects.bulk_create(rows)
        except IntegrityError:
            return [notification_send(**item.__dict__) for item in items]
        deliveries = Delivery.objects.bulk_create(
            Delivery(notification=row, channel=channel, created_at=now, next_attempt_at=now)
            for row, item in zip(created, items, strict=True)
            for channel in _channels_for(item.user, item.channels)
        )
        channels: dict[int, list[str]] = {}
        for delivery in deliveries:
            channels.setdefault(delivery.notification_id, []).append(delivery.channel)
        for row in created:
            access_event_record(
                action="notification_created",
                actor_label="notifications",
                obj=row,
                details={"kind": row.kind, "channels": channels.get(row.pk, [])},
            )
        transaction.on_commit(partial(_enqueue_batched, deliveries), robust=True)
    return created


def notification_mark_read(*, notification: Notification, user: User) -> bool:
    """Mark one of the user's notifications read; False when it already was."""
    with transaction.atomic():
        changed = Notification.objects.filter(
            pk=notification.pk, user=user, read_at__isnull=True
        ).update(read_at=timezone.now())
        if changed:
            access_event_record(action="notification_read", actor=user, obj=notification)
    return bool(changed)


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    with transaction.atomic():
        changed = Notification.objects.filter(user=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if changed:
            access_event_record(
                action="notification_read",
                actor=user,
                object_type="notifications.notification",
                details={"all": True, "count": changed},
            )
    return changed


def _backoff_bound(retries: int) -> float:
    """The longest the task's own retry can wait, so the redrive sweep does not jump it."""
    return get_exponential_backoff_interval(
        factor=conf.retry_backoff(),
        retries=retries,
        maximum=conf.retry_backoff_max(),
        full_jitter=False,
    )


def _finish(delivery_id: int, attempt: int, **changes: Any) -> bool:
    """Record an outcome, but only while we still hold the claim we took for ``attempt``."""
    return bool(
        Delivery.objects.filter(pk=delivery_id, status=Status.SENDING, attempts=attempt).update(
            **changes
        )
    )


def delivery_attempt(*, delivery_id: int, retries: int = 0) -> str:
    """Claim one delivery and send it; returns the resulting status, or why nothing was sent.

    The claim is a compare-and-set: a pending row, or a sending row whose lease ran out
    (its worker died), becomes ``sending`` with a fresh lease. A transient failure puts the
    row back to pending and re-raises for the task's retry; a permanent refusal, or the last
    allowed attempt, marks it failed.
    """
    now = timezone.now()
    claimed = Delivery.objects.filter(
        Q(status=Status.PENDING) | Q(status=Status.SENDING, next_attempt_at__lt=now),
        pk=delivery_id,
    ).update(status=Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + conf.lease())
    if not claimed:
        status = Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        return "missing" if status is None else f"not claimed ({status})"
    delivery = Delivery.objects.select_related("notification__user").filter(pk=delivery_id).first()
    if delivery is None:  # deleted with its notification or user between claim and read
        return "missing"
    attempt = delivery.attempts
    try:
        SENDERS[delivery.channel](delivery.notification)
    except DeliveryRejected as exc:
        _finish(delivery_id, attempt, status=Status.FAILED, last_error=str(exc)[:500])
        logger.warning("delivery %s refused: %s", delivery_id, exc)
        return Status.FAILED
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if attempt >= conf.max_attempts():
            _finish(delivery_id, attempt, status=Status.FAILED, last_error=error)
            logger.error("delivery %s failed after %s attempts: %s", delivery_id, attempt, error)
            return Status.FAILED
        retry_at = timezone.now() + timedelta(seconds=_backoff_bound(retries))
        if not isinstance(exc, TRANSIENT_ERRORS):
            retry_at = timezone.now()  # no task retry comes: the redrive sweep takes over
        _finish(
            delivery_id, attempt, status=Status.PENDING, last_error=error, next_attempt_at=retry_at
        )
        raise
    if not _finish(delivery_id, attempt, status=Status.SENT, sent_at=timezone.now(), last_error=""):
        logger.warning("delivery %s sent after its lease ran out", delivery_id)
    return Status.SENT


def deliveries_attempt(*, delivery_ids: Sequence[int]) -> dict[str, int]:
    """Send a chunk of e-mail deliveries over one connection; each one claimed and recorded.

    The batch form of :func:`delivery_attempt`, for the e-mails of a batch send (the
    reminder sweep's): one statement claims them all with the usual lease, one query loads
    them, one SMTP session (or one file) carries them, and each outcome is recorded as soon
    as it is known, so a worker that dies leaves at most the message in flight unrecorded,
    as with one task per delivery. At the first transient failure (or when the task's soft
    time limit strikes), that delivery and the ones not yet tried go back to pending and
    each is queued as its own ``delivery_send`` task, which retries with backoff as usual:
    a failing server holds nothing up longer than one attempt. Rows already sent, claimed
    by a live worker, or gone are skipped. Returns counts per outcome.
    """
    from django.core.mail import get_connection

    now = timezone.now()
    claimable = Q(status=Status.PENDING) | Q(status=Status.SENDING, next_attempt_at__lt=now)
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(claimable, pk__in=list(delivery_ids), channel=Channel.EMAIL)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids).update(
            status=Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + conf.lease()
        )
    rows = list(
        Delivery.objects.select_related("notification__user").filter(pk__in=ids).order_by("pk")
    )
    outcome = {"sent": 0, "failed": 0, "handed_over": 0, "skipped": len(delivery_ids) - len(rows)}
    connection = get_connection(timeout=conf.email_timeout())
    try:
        connection.open()
        for index, delivery in enumerate(rows):
            try:
                email_send(delivery.notification, connection=connection)
            except DeliveryRejected as exc:
                _finish(
                    delivery.pk, delivery.attempts, status=Status.FAILED, last_error=str(exc)[:500]
                )
                outcome["failed"] += 1
                continue
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                logger.warning(
                    "delivery %s failed in a batch, handing over: %s", delivery.pk, error
                )
                _finish(
                    delivery.pk,
                    delivery.attempts,
                    status=Status.PENDING,
                    last_error=error,
                    next_attempt_at=timezone.now() + timedelta(seconds=_backoff_bound(0)),
                )
                rest = [row.pk for row in rows[index + 1 :]]
                Delivery.objects.filter(pk__in=rest, status=Status.SENDING).update(
                    status=Status.PENDING,
                    attempts=F("attempts") - 1,  # never tried: the attempt is given back
                    next_attempt_at=timezone.now(),
                )
                _enqueue_later(delivery.pk, countdown=_backoff_bound(0))
                _enqueue(rest)
                outcome["handed_over"] += 1 + len(rest)
                break
            if not _finish(
                delivery.pk,
                delivery.attempts,
                status=Status.SENT,
                sent_at=timezone.now(),
                last_error="",
            ):
                logger.warning("delivery %s sent after its lease ran out", delivery.pk)
            outcome["sent"] += 1
    finally:
        connection.close()
    return outcome


def deliveries_redrive(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Queue again the deliveries whose task message was lost; returns their ids.

    A pending row later than its expected attempt by the grace period, or a sending row
    whose lease has run out, has no live task (the broker lost it with a killed worker, or
    the enqueue failed). Queuing one that does have a task is harmless: the claim lets one
    of them send. Pending rows get a new deadline so they are not queued every minute.
    """
    now = now or timezone.now()
    overdue = Q(status=Status.PENDING, next_attempt_at__lt=now - conf.redrive_grace()) | Q(
        status=Status.SENDING, next_attempt_at__lt=now
    )
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(overdue)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__in=ids, status=Status.PENDING).update(next_attempt_at=now)
        transaction.on_commit(partial(_enqueue, ids), robust=True)
    if ids:
        logger.warning("redrive queued %d deliveries again", len(ids))
    return ids


def delivery_retry(*, delivery: Delivery, actor: User) -> bool:
    """An operator sends a failed delivery again (e.g. after fixing the SMTP relay)."""
    with transaction.atomic():
        changed = Delivery.objects.filter(pk=delivery.pk, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if changed:
            access_event_record(action="delivery_retried", actor=actor, obj=delivery)
            transaction.on_commit(partial(_enqueue, [delivery.pk]), robust=True)
    return bool(changed)


def heartbeat_record(*, name: str, enqueued_at: datetime | None = None) -> Heartbeat:
    """Note that the periodic job ``name`` ran now, and how long its message waited."""
    now = timezone.now()
    heartbeat, _created = Heartbeat.objects.update_or_create(
        name=name,
        defaults={
            "last_seen": now,
            "enqueued_at": enqueued_at,
            "lag": (now - enqueued_at) if enqueued_at else None,
        },
    )
    return heartbeat
