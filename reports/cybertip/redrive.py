"""Reports whose filing task was lost, and the lock that keeps two filings of one report
from running at once.

A queued report is filed by ``cybertip_submit``, which retries with a countdown. With Redis
as the broker, a message a worker holds (running, or waiting for its countdown) when that
worker is SIGKILLed (an OOM kill, a node lost) comes back only after the broker's
visibility timeout, an hour; a message published while Redis was down never exists. The
soak (bench/soak.py) lost reports both ways. ``submissions_stranded`` finds reports still in
flight with no activity for ``LIAISON_CYBERTIP_REDRIVE_AFTER_SECONDS`` (default 15 min:
longer than the task's longest backoff, 10 min), and beat queues them again
(``cybertip_redrive``).

Queuing one again is safe because a filing resumes from its recorded steps, and because
``submission_lock`` lets only one run work on a report at a time: the late original
message and the redriven one then run one after the other, and the second finds the report
final (or continues where the first stopped). The lock is a PostgreSQL session advisory
lock, so a killed worker's lock goes with its connection.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from portal.advisory import CYBERTIP_FILING, advisory_lock
from reports.cybertip.models import IN_FLIGHT, CyberTipReport, SubmissionStep


def submission_lock(report_id: int) -> contextlib.AbstractContextManager[bool]:
    """True when this process now files ``report_id`` alone, False when another run
    holds it (the caller then does nothing)."""
    return advisory_lock(CYBERTIP_FILING, report_id)


def redrive_after() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "LIAISON_CYBERTIP_REDRIVE_AFTER_SECONDS", 900)))


def submissions_stranded(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Reports in flight, queued before the redrive time and without a step since."""
    since = (now or timezone.now()) - redrive_after()
    recent = SubmissionStep.objects.filter(report=OuterRef("pk"), sent_at__gte=since)
    rows = CyberTipReport.objects.filter(status__in=IN_FLIGHT, queued_at__lt=since).exclude(
        Exists(recent)
    )
    return list(rows.order_by("queued_at").values_list("pk", flat=True)[:limit])
