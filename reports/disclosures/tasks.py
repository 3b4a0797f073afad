"""Celery task of disclosures: render, sign and pack a released disclosure.

Takes the disclosure's id and calls ``package.package_build``, which is idempotent (a
finished package is left alone) and resumable (stages with stored output are skipped), so
a duplicated, retried or re-delivered message (``acks_late``: a worker that died) is
harmless. A disclosure deleted meanwhile cannot exist (released rows are never deleted);
a missing package row means the release rolled back, and the task does nothing.
Queued with ``transaction.on_commit`` by ``disclosure_release``.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from reports.disclosures.models import DisclosurePackage

logger = logging.getLogger(__name__)

# A timestamp authority or database that is briefly unreachable is worth another try; any
# other error (a missing key, a template bug, a full disk) is shown as "Failed" at once,
# for a person to fix the cause and render again.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError, TimestampRequestError)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=6,
    soft_time_limit=900,
    time_limit=960,
)
def disclosure_render(self: Any, disclosure_id: int) -> dict[str, Any]:
    from reports.disclosures.package import package_build, package_failed

    if not DisclosurePackage.objects.filter(pk=disclosure_id).exists():
        return {"disclosure": disclosure_id, "status": "missing"}
    try:
        package, times = package_build(disclosure_id=disclosure_id)
    except TRANSIENT as exc:
        if self.request.retries < self.max_retries:
            # 5 s doubling up to 2 min, jittered: about 6 minutes in all
            ceiling = min(120, 5 * 2**self.request.retries)
            countdown = random.uniform(ceiling / 2, ceiling)
            raise self.retry(exc=exc, countdown=countdown) from exc
        # Still failing after the retries: shown, never left "rendering" for good.
        package_failed(disclosure_id=disclosure_id, error=type(exc).__name__)
        raise
    except Exception as exc:
        # Only the error's kind: no data in the row.
        package_failed(disclosure_id=disclosure_id, error=type(exc).__name__)
        raise
    return {
        "disclosure": disclosure_id,
        "status": package.status,
        "render_s": round(times.render, 3),
        "sign_s": round(times.sign, 3),
        "pack_s": round(times.pack, 3),
    }


def render_enqueue(disclosure_id: int) -> None:
    """Queue the render (an on-commit hook). With the broker unreachable the package stays
    "queued" and the case page offers "Render again"; the release itself stands."""
    try:
        disclosure_render.delay(disclosure_id)
    except Exception:  # kombu's connection errors have no common base worth naming here
        logger.warning("render of disclosure %s not queued: broker unreachable", disclosure_id)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), max_retries=3)
def disclosure_packages_redrive() -> list[int]:
    """Every minute: queue again the packages whose render task was lost
    (``reports.disclosures.redrive``)."""
    from reports.disclosures.redrive import packages_redrive

    stranded = packages_redrive()
    if stranded:
        logger.warning("disclosure_packages_redrive queued %d packages again", len(stranded))
    return stranded
