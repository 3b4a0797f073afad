"""Celery task that files a CyberTipline report (``reports.cybertip.submission``).

Takes the report id and is idempotent: a second delivery of the message, or a run after
the report was filed, retracted or failed, does nothing (the submission reads the
recorded steps). Transient failures (NCMEC unreachable, 1000/1100 "not saved", HTTP 5xx)
are retried with exponential backoff; after the last retry the report is marked failed,
so it shows in the supervisors' list with its last answer. A report deleted meanwhile
cannot exist (reports are PROTECTed by their steps); a missing id is logged and dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from reports.cybertip.models import CyberTipReport, ReportStatus
from reports.cybertip.submission import SubmissionRetry, submission_run, submitter

logger = logging.getLogger(__name__)
MAX_RETRIES = 8


@shared_task(
    bind=True, acks_late=True, max_retries=MAX_RETRIES, soft_time_limit=1800, time_limit=1860
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


def status_of(report_id: int) -> str:
    return CyberTipReport.objects.values_list("status", flat=True).get(pk=report_id)


__all__ = ["ReportStatus", "cybertip_submit", "status_of"]
