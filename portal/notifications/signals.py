"""Stamp the heartbeat's enqueue time into its message, to measure queue lag.

Beat's schedule carries fixed arguments, so the time of publishing is added here, in the
publishing process, just before the message is serialised. No business rule lives here.
"""

from __future__ import annotations

from typing import Any

from celery.signals import before_task_publish
from django.utils import timezone

HEARTBEAT_TASK = "portal.notifications.tasks.heartbeat"


@before_task_publish.connect(dispatch_uid="liaison.notifications.stamp_enqueue_time")
def stamp_enqueue_time(sender: str | None = None, body: Any = None, **_kwargs: Any) -> None:
    if sender != HEARTBEAT_TASK:
        return
    # Task protocol 2: body is (args, kwargs, embed); the kwargs dict is still ours to fill.
    if isinstance(body, tuple | list) and len(body) >= 2 and isinstance(body[1], dict):
        body[1].setdefault("enqueued_at", timezone.now().isoformat())
