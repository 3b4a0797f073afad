"""Celery tasks of the cases domain: thin wrappers around services, safe to run twice.

The beat schedule that runs them is ``settings.CELERY_BEAT_SCHEDULE`` (the one place).
Both tasks here are sweeps over database state rather than "do X to row N" messages: a
lost, expired or duplicated message changes nothing, because the next run reads the same
rows and skips what is done. Database outages are retried with backoff; with the broker
settings ``acks_late`` and ``reject_on_worker_lost``, a run whose worker dies is delivered
again (and is harmless: its transaction rolled back with the worker).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task

from cases.reminders import digest, sweep

_RETRY = {
    "autoretry_for": sweep.TRANSIENT_DATABASE_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=110,  # the sweep stops itself after its budget (40 s) and requeues
    time_limit=120,
    **_RETRY,
)
def reminders_sweep(self: Any) -> dict[str, Any]:
    """Every minute: send every reminder step whose time has come, exactly once each.

    Takes no id: it claims due ``Deadline`` rows itself (``SKIP LOCKED``), so any number
    of concurrent runs share the work and a run that was never delivered is made up by the
    next one. A deadline deleted or closed meanwhile is simply not claimed. A run whose
    first batch is full (a backlog after an outage) queues a second run at once, so free
    workers share the catching up; a run that stops at its time budget with due rows left
    queues another rather than waiting for the next tick.
    """
    result = sweep.reminders_sweep(on_backlog=_sweep_again)
    if result.more:
        _sweep_again()
    return asdict(result)


def _sweep_again() -> None:
    reminders_sweep.apply_async(expires=120)


@shared_task(bind=True, acks_late=True, soft_time_limit=540, time_limit=600, **_RETRY)
def reminders_digest(self: Any) -> dict[str, Any]:
    """Every quarter of an hour: from 07:00 business time, send the day's digests once.

    Idempotent per (user, day) through the notification key; a run before the hour, or
    after the day's ``DigestRun`` finished, does nothing. A user deleted meanwhile is not
    in the list; one whose digest fails is retried by the next run.
    """
    result = digest.digests_send()
    return {
        "day": str(result.day),
        "sent": result.sent,
        "failed": result.failed,
        "skipped": result.skipped,
    }


@shared_task(bind=True, acks_late=True, soft_time_limit=240, time_limit=300, **_RETRY)
def deadlines_missed_mark(self: Any) -> dict[str, Any]:
    """Every five minutes: record as missed the deadlines that were met after their due
    time (``cases.services.missed``). Takes no id and changes a row only while it is still
    met, so a lost, repeated or concurrent run changes nothing twice; open deadlines are
    left to the reminder sweep's escalation."""
    from cases.services.missed import deadlines_missed_mark as mark

    return {"missed": mark()}
