"""The morning digest: per responder, one notification a day of what is overdue or due today.

"Responder" here is anyone who works cases in a team (responder, legal, child-safety
analyst, supervisor). Their digest lists the open deadlines, due by the end of the
business day, of the cases they may work (the case gate) that are assigned to them or to
nobody: their own work and the team's unclaimed work. Nothing due, no digest.

The task runs every quarter of an hour; from ``LIAISON_DIGEST_HOUR`` (07:00) in the
business time zone it sends the day's digests until ``DigestRun`` for the day says it has
finished, so a scheduler that was down at 07:00 sends them when it is back. Each digest's
key is ``digest:<day>``, unique per user: a run that is repeated, or two that overlap,
never send anyone two digests for the same day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cases.models import Deadline, DeadlineStatus, DigestRun
from cases.reminders.messages import DigestLine, digest_message
from cases.reminders.sweep import TRANSIENT_DATABASE_ERRORS
from cases.rules import Clock
from cases.selectors import CaseAction, cases_visible_to
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.notifications.models import Delivery, Notification
from portal.notifications.services import notification_send

logger = logging.getLogger(__name__)

DIGEST_ROLES = (Role.RESPONDER, Role.LEGAL, Role.CHILD_SAFETY, Role.SUPERVISOR)
MAX_LINES = 30


def digest_hour() -> int:
    return int(getattr(settings, "LIAISON_DIGEST_HOUR", 7))


def digest_key(day: date) -> str:
    return f"digest:{day.isoformat()}"


@dataclass
class DigestResult:
    day: date | None = None
    sent: int = 0
    failed: int = 0
    skipped: str = ""  # why nothing was done: "before the hour", "already finished"


def digest_recipients() -> QuerySet[User]:
    """Active members of a team who work cases; ``DigestRun`` covers them all each day."""
    return (
        User.objects.filter(is_active=True, teams__isnull=False, groups__name__in=DIGEST_ROLES)
        .distinct()
        .order_by("pk")
    )


def digest_deadlines(user: User, *, day_ends: datetime) -> QuerySet[Deadline]:
    """Open deadlines due by ``day_ends`` of the cases ``user`` works, theirs or unassigned."""
    cases = cases_visible_to(user, CaseAction.WORK).filter(
        Q(assignee=user) | Q(assignee__isnull=True)
    )
    return Deadline.objects.filter(status=DeadlineStatus.OPEN, due_at__lte=day_ends, case__in=cases)


def digest_send_for_user(*, user: User, day: date, now: datetime) -> Notification | None:
    """Send ``user`` the digest of ``day``; None if they have nothing due. Idempotent."""
    day_ends = Clock.from_settings().end_of_day(day)
    deadlines = digest_deadlines(user, day_ends=day_ends)
    counts = deadlines.aggregate(
        overdue=Count("pk", filter=Q(due_at__lt=now)), today=Count("pk", filter=Q(due_at__gte=now))
    )
    if not counts["overdue"] and not counts["today"]:
        return None
    rows = list(deadlines.select_related("case").order_by("due_at", "pk")[:MAX_LINES])
    lines = [
        DigestLine(
            reference=row.case.reference,
            kind=str(row.get_kind_display()),
            due_at=row.due_at,
            overdue=row.due_at < now,
        )
        for row in rows
    ]
    message = digest_message(
        user=user,
        lines=lines,
        due_today=counts["today"],
        overdue=counts["overdue"],
        now=now,
        shown=len(lines),
    )
    return notification_send(
        user=user,
        subject=message.subject,
        body=message.body,
        url=message.url,
        severity=message.severity,
        kind=message.kind,
        dedupe_key=digest_key(day),
        channels=[Delivery.Channel.EMAIL],  # one per person: not for the team's webhook
    )


def digests_send(*, now: datetime | None = None) -> DigestResult:
    """Send today's digests if it is past the digest hour and they are not all out yet."""
    now = now or timezone.now()
    clock = Clock.from_settings()
    local = now.astimezone(clock.zone)
    if local.hour < digest_hour():
        return DigestResult(skipped="before the hour")
    day = local.date()
    run, _created = DigestRun.objects.get_or_create(day=day, defaults={"started_at": now})
    if run.finished_at is not None:
        return DigestResult(day=day, skipped="already finished")
    result = DigestResult(day=day)
    for user in digest_recipients().iterator():
        try:
            with transaction.atomic():
                if digest_send_for_user(user=user, day=day, now=now) is not None:
                    result.sent += 1
        except TRANSIENT_DATABASE_ERRORS:
            raise
        except Exception:
            logger.exception("digest for user %s failed", user.pk)
            result.failed += 1
    if not result.failed:
        DigestRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
            finished_at=timezone.now(), sent=result.sent
        )
    return result
