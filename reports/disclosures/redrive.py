"""Packages whose render task was lost, queued again; and "Render again" for a person.

A released disclosure's package is built by ``tasks.disclosure_render``, queued when the
release commits. That message can be lost: published while the broker was down (the
package stays "queued"), or held by a worker that was SIGKILLed (Redis gives it back only
after its visibility timeout, an hour; the package stays "rendering"). The officer is
waiting on a legal deadline, so beat looks every minute (``disclosure_packages_redrive``)
for packages still queued or rendering ``LIAISON_DISCLOSURE_REDRIVE_AFTER_SECONDS`` (20
min: more than the task's hard time limit, 16 min) after they were last queued or a
build last started, and queues them again.

Queuing one again is safe: a build resumes from its stored stages, a finished package is
left alone, and ``package_build`` lets one build run at a time. Each redrive stamps
``touched_at``, so a package in a long backlog is queued again at most every 20 minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.audit.services import access_event_record
from reports.disclosures.models import Disclosure, DisclosurePackage, PackageStatus

IN_FLIGHT = (PackageStatus.QUEUED, PackageStatus.RENDERING)


def redrive_after() -> timedelta:
    seconds = getattr(settings, "LIAISON_DISCLOSURE_REDRIVE_AFTER_SECONDS", 1200)
    return timedelta(seconds=int(seconds))


def packages_redrive(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Queue again the packages stranded in flight; returns their ids."""
    from reports.disclosures.tasks import render_enqueue

    now = now or timezone.now()
    with transaction.atomic():
        stranded = list(
            DisclosurePackage.objects.select_for_update(skip_locked=True)
            .filter(status__in=IN_FLIGHT, touched_at__lt=now - redrive_after())
            .order_by("touched_at")
            .values_list("pk", flat=True)[:limit]
        )
        DisclosurePackage.objects.filter(pk__in=stranded).update(touched_at=now)
        for package_id in stranded:
            transaction.on_commit(lambda pk=package_id: render_enqueue(pk))
    return stranded


def package_render_again(*, disclosure: Disclosure, actor: object) -> None:
    """A person asks for the render of a failed or still-queued package again (the case
    page offers it; the gate is the caller's). It resumes where it stopped."""
    from reports.disclosures.tasks import render_enqueue

    with transaction.atomic():
        touched = DisclosurePackage.objects.filter(
            pk=disclosure.pk, status__in=(PackageStatus.FAILED, PackageStatus.QUEUED)
        ).update(touched_at=timezone.now())
        if not touched:
            raise DisclosurePackage.DoesNotExist
        access_event_record(
            action="disclosure_render_again",
            actor=actor,
            obj=disclosure,
            case_reference=disclosure.case.reference,
        )
        transaction.on_commit(lambda: render_enqueue(disclosure.pk))
