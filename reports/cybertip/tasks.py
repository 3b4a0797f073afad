"""Celery task that files a CyberTipline report (``reports.cybertip.submission``).

Takes the report id and is idempotent: a second delivery of the message, or a run after
the report was filed, retracted or failed, does nothing (the submission reads the
recorded steps). Transient failures (NCMEC unreachable, 1000/1100 "not saved", HTTP 5xx,
the database unreachable) are retried with exponential backoff; after the last retry the
report is marked failed, so it shows in the supervisors' list with its last answer. A
report deleted meanwhile cannot exist (reports are PROTECTed by their steps); a missing id
is logged and dropped. A task lost with its worker or broker is queued again by
``cybertip_redrive`` (``reports.cybertip.redrive``).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from reports.cybertip.models import CyberTipReport, ReportStatus
from reports.cybertip.submission import SubmissionRetry, submission_run, submitter

logger = logging.getLogger(__name__)
MAX_RETRIES = 8


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=1800,
    time_limit=1860,
    # The database restarting or failing over mid-run: every step is committed before it is
    # sent, so the retry resumes from the record (the soak, bench/soak.py, restarts it).
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
)
def cybertip_submit(self: Any, report_id: int) -> str:
    if not CyberTipReport.objects.filter(pk=report_id).exists():
        logger.warning("cybertip_submit: report %s does not exist", report_id)
        return "missing"
    try:
        return submission_run(report_id=report_id)
    except SubmissionRetry as exc:
        if self.request.retries >= MAX_RETRIES:
            from reports.cybertip.build import report_load
            from reports.cybertip.submission import _fail

            report = report_load(report_id)
            return _fail(report, submitter(), None, f"still not filed after retries: {exc}")
        raise self.retry(exc=exc, countdown=min(600, 5 * 2**self.request.retries)) from exc


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3)
def cybertip_redrive() -> list[int]:
    """Every minute: queue again the reports whose filing task was lost
    (``reports.cybertip.redrive``). Queuing one that is in fact running changes nothing."""
    from reports.cybertip.redrive import submissions_stranded

    stranded = submissions_stranded()
    for report_id in stranded:
        cybertip_submit.delay(report_id)
    if stranded:
        logger.warning("cybertip_redrive queued %d reports again", len(stranded))
    return stranded


def status_of(report_id: int) -> str:
    return CyberTipReport.objects.values_list("status", flat=True).get(pk=report_id)


__all__ = ["ReportStatus", "cybertip_redrive", "cybertip_submit", "status_of"]
