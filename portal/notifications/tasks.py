"""Celery tasks: each takes ids, calls a service, and may run twice without harm.

The beat schedule for the periodic ones is in ``settings.CELERY_BEAT_SCHEDULE``.
"""

from __future__ import annotations

from datetime import datetime

from celery import Task, shared_task

from portal.notifications import conf, services
from portal.notifications.channels import TRANSIENT_ERRORS
from portal.notifications.models import Heartbeat

_LEASE = conf.lease().total_seconds()


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=conf.retry_backoff(),
    retry_backoff_max=conf.retry_backoff_max(),
    retry_jitter=conf.retry_jitter(),
    max_retries=conf.max_attempts(),
    # Killed before the claim's lease ends, so no second worker can claim a live send.
    soft_time_limit=_LEASE * 0.8,
    time_limit=_LEASE * 0.9,
)
def delivery_send(self: Task, delivery_id: int) -> str:
    """Send one delivery (one notification on one channel), at most once per claim.

    A second run finds the row sent (or claimed by a live worker) and does nothing.
    Network, SMTP and webhook 5xx errors are retried with exponential backoff; one failing
    message never holds up others, because each delivery is its own task. If the row is
    gone (the user or notification was deleted), nothing is sent and the task ends quietly.
    """
    return services.delivery_attempt(delivery_id=delivery_id, retries=self.request.retries)


@shared_task(acks_late=True, soft_time_limit=_LEASE * 0.8, time_limit=_LEASE * 0.9)
def deliveries_send(delivery_ids: list[int]) -> dict[str, int]:
    """Send a chunk of e-mail deliveries over one connection (a batch send's e-mails).

    Each delivery is claimed and recorded on its own, so a second run skips what is sent;
    a transient failure hands the failing delivery and the untried rest to one
    ``delivery_send`` task each, which retry with backoff. The hard limit ends the task
    before the claims' lease, so no other worker claims a send that is still alive; rows
    that are gone are skipped.
    """
    return services.deliveries_attempt(delivery_ids=delivery_ids)


@shared_task(acks_late=True)
def deliveries_redrive() -> int:
    """Every minute: queue again deliveries whose task was lost (e.g. a killed worker).

    Idempotent: queuing a delivery that still has a task is harmless, its claim decides.
    """
    return len(services.deliveries_redrive())


@shared_task(acks_late=True)
def heartbeat(*, enqueued_at: str | None = None) -> None:
    """Every minute: record that beat and a worker are alive, and the queue lag.

    ``enqueued_at`` is stamped into the message by the publisher (``signals.py``); the
    difference to now is how long the message waited. Running twice just moves the time.
    """
    stamp = datetime.fromisoformat(enqueued_at) if enqueued_at else None
    services.heartbeat_record(name=Heartbeat.BEAT, enqueued_at=stamp)
