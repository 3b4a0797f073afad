"""Delivery tuning, read from settings with the defaults below (docs/notifications.md).

Only the webhook URL and secret are meant to change per deployment (environment
variables in ``portal/settings.py``); the rest are settings so that tests can shorten them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def webhook_url() -> str:
    return _get("LIAISON_WEBHOOK_URL", "")


def webhook_secret() -> str:
    return _get("LIAISON_WEBHOOK_SECRET", "")


def webhook_timeout() -> float:
    """Seconds to wait for the webhook receiver; well inside the claim lease."""
    return float(_get("LIAISON_WEBHOOK_TIMEOUT", 10))


def email_timeout() -> float:
    """Seconds an SMTP conversation may stall before it counts as a transient failure."""
    return float(_get("LIAISON_EMAIL_TIMEOUT", 30))


def lease() -> timedelta:
    """How long a claim on a delivery lasts; a sender must finish (or die) within it.

    The delivery task's time limits are derived from it, so a hung send is killed before
    another worker may claim the same row.
    """
    return timedelta(seconds=float(_get("LIAISON_DELIVERY_LEASE_SECONDS", 120)))


def redrive_grace() -> timedelta:
    """How late a pending delivery may be before the sweep queues it again."""
    return timedelta(seconds=float(_get("LIAISON_DELIVERY_REDRIVE_GRACE_SECONDS", 120)))


def max_attempts() -> int:
    """Attempts per delivery before it is marked failed (about two hours of backoff)."""
    return int(_get("LIAISON_DELIVERY_MAX_ATTEMPTS", 16))


def retry_backoff() -> float:
    """First retry delay in seconds; it doubles each time up to ``retry_backoff_max``."""
    return float(_get("LIAISON_DELIVERY_RETRY_BACKOFF", 5))


def retry_backoff_max() -> float:
    return float(_get("LIAISON_DELIVERY_RETRY_BACKOFF_MAX", 900))


def retry_jitter() -> bool:
    """Spread retries randomly below the backoff so a recovered server is not stampeded."""
    return bool(_get("LIAISON_DELIVERY_RETRY_JITTER", True))


def scheduler_late_after() -> timedelta:
    """Staff are warned when the beat heartbeat is older than this."""
    return timedelta(seconds=float(_get("LIAISON_SCHEDULER_LATE_SECONDS", 180)))
