"""Celery tasks of the access log. Both take nothing and are idempotent.

Beat runs ``audit_chain_seal`` every 15 seconds and ``audit_checkpoint_write`` daily (see
``CELERY_BEAT_SCHEDULE`` in settings); the sealer is also queued when a transaction that
wrote events commits, so rows are normally sealed within a couple of seconds.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portal.audit.chain import chain_seal
from portal.audit.checkpoint import checkpoint_write


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def audit_chain_seal() -> int:
    """Seal every committed, unsealed access event. A run with nothing to do does nothing;
    a run that finds another sealer at work returns at once (that one seals the rows)."""
    return chain_seal()


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def audit_checkpoint_write() -> str:
    """Seal, then export today's signed head hash. A second run the same day keeps the
    file already written. Returns the checkpoint's path."""
    chain_seal()
    return str(checkpoint_write().path)
