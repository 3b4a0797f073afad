"""Celery tasks of the matching app: run an import job, build (compact) the PDQ index."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from reports.matching.models import ImportJob


@shared_task(acks_late=True)
def import_job_task(job_id: int) -> None:
    """Run import job ``job_id``. A job already taken or finished is left alone; a job
    deleted meanwhile (its list removed) is nothing to do. Not retried automatically: a
    failed job says why, and the person starts a new one."""
    from reports.matching.imports import import_job_run

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    result = import_job_run(job=job)
    if result is not None and result.added:
        pdq_index_build_queue()


def import_job_queue(*, job: ImportJob) -> None:
    transaction.on_commit(lambda: import_job_task.delay(job.pk))


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def pdq_index_build_task() -> None:
    """Build a new PDQ index generation (compaction of the delta). Idempotent: a build
    while another runs returns at once (advisory lock); a second one builds the same."""
    from reports.matching.index_store import pdq_index_build

    pdq_index_build()


def pdq_index_build_queue() -> None:
    transaction.on_commit(lambda: pdq_index_build_task.delay())
