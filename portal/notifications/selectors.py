"""Reads: a user's notifications (the one gate), unread counts, scheduler and queue health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from portal.accounts.models import User
from portal.accounts.onboarding import officer_access_refusal
from portal.accounts.roles import Role, has_role
from portal.notifications import conf
from portal.notifications.models import Delivery, Heartbeat, Notification


def notifications_for_user(user: User) -> QuerySet[Notification]:
    """Only ever the user's own notifications, newest first. None for an officer who may
    not act now (suspended, or the agency suspended): their texts name the agency's
    requests, which the officer pages refuse to show them."""
    if has_role(user, Role.OFFICER) and officer_access_refusal(user) is not None:
        return Notification.objects.none()
    return Notification.objects.filter(user=user)


def notification_get_for_user(user: User, pk: int) -> Notification:
    """The gate: someone else's notification and a missing one are the same 404."""
    notification = notifications_for_user(user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    return notification


def notifications_unread_count(user: User) -> int:
    return notifications_for_user(user).filter(read_at__isnull=True).count()


@dataclass(frozen=True)
class SchedulerStatus:
    """When beat (through a worker) last ran the heartbeat, and whether that is too long ago."""

    last_seen: datetime | None
    lag: timedelta | None
    late: bool
    checked_at: datetime

    @property
    def seen_today(self) -> bool:
        return self.last_seen is not None and self.checked_at - self.last_seen < timedelta(hours=20)


def scheduler_status(now: datetime | None = None) -> SchedulerStatus:
    """Late when the beat heartbeat is missing or older than ``LIAISON_SCHEDULER_LATE_SECONDS``.

    A missing heartbeat counts as late: without beat no reminder is ever sent.
    """
    now = now or timezone.now()
    beat = Heartbeat.objects.filter(name=Heartbeat.BEAT).first()
    if beat is None:
        return SchedulerStatus(last_seen=None, lag=None, late=True, checked_at=now)
    late = now - beat.last_seen > conf.scheduler_late_after()
    return SchedulerStatus(last_seen=beat.last_seen, lag=beat.lag, late=late, checked_at=now)


@dataclass(frozen=True)
class DeliveryBacklog:
    pending: int
    overdue: int
    failed_last_day: int
    oldest_overdue: datetime | None


def delivery_backlog(now: datetime | None = None) -> DeliveryBacklog:
    """Unfinished deliveries, those later than they should be, and recent failures."""
    now = now or timezone.now()
    overdue = Q(status=Delivery.Status.PENDING, next_attempt_at__lt=now - conf.redrive_grace()) | Q(
        status=Delivery.Status.SENDING, next_attempt_at__lt=now
    )
    open_rows = Delivery.objects.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).aggregate(
        pending=Count("pk"),
        overdue=Count("pk", filter=overdue),
        oldest=Min("next_attempt_at", filter=overdue),
    )
    failed = Delivery.objects.filter(
        status=Delivery.Status.FAILED, created_at__gte=now - timedelta(days=1)
    ).count()
    return DeliveryBacklog(
        pending=open_rows["pending"],
        overdue=open_rows["overdue"],
        failed_last_day=failed,
        oldest_overdue=open_rows["oldest"],
    )


def heartbeats() -> QuerySet[Heartbeat]:
    return Heartbeat.objects.order_by("name")
