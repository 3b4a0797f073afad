"""Notifications, their per-channel deliveries, and the scheduler heartbeat."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_portal_path(value: str) -> None:
    """A notification links inside the portal only: a path, never a scheme or a host.

    Links come from code, but they are shown to users and mailed out; refusing anything that
    is not a local path rules out ``javascript:`` links and open redirects to other hosts.
    """
    if value and (not value.startswith("/") or value.startswith("//") or "\\" in value):
        raise ValidationError(_("A notification link must be a path inside the portal."))


class Notification(models.Model):
    """One message to one user, shown in the portal and delivered on other channels.

    ``dedupe_key`` is chosen by the caller (e.g. ``deadline:41:step:2d``) and is unique per
    user, so a sender that is retried or runs twice never tells the same thing twice.
    """

    class Severity(models.TextChoices):
        INFO = "info", _("information")
        WARNING = "warning", _("warning")
        URGENT = "urgent", _("urgent")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(_("created at"))
    kind = models.CharField(
        _("kind"), max_length=64, blank=True, help_text=_("Machine tag set by the sender.")
    )
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.INFO
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True, validators=[validate_portal_path])
    dedupe_key = models.CharField(max_length=200)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], name="notifications_unique_per_user_key"
            )
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notifications_user_recent"),
            # The bell counts unread rows on every page: keep that count index-only.
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="notifications_user_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.user_id}"


class Delivery(models.Model):
    """One notification on one outside channel: the record that it went out exactly once.

    A worker claims the row with a compare-and-set (``pending`` → ``sending``) before it
    talks to the outside world, so two copies of the same task never both send. While the
    row is ``sending``, ``next_attempt_at`` is the end of the claim's lease: a worker that
    died mid-send leaves the row claimable again once the lease runs out. While ``pending``,
    it is the latest moment the next attempt should have started; the redrive sweep
    re-queues rows that are later than that, so a message lost by the broker is not lost.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        WEBHOOK = "webhook", _("webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="notifications_delivery_once"
            )
        ]
        indexes = [
            # The redrive sweep reads only unfinished rows, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="notifications_delivery_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} of notification {self.notification_id}: {self.status}"


class Heartbeat(models.Model):
    """The last time a periodic job ran, and how long its message waited in the queue.

    ``beat`` is written every minute by the heartbeat task: if it is old, the scheduler or
    every worker is down and reminders are late. Other sweeps record their own names.
    """

    BEAT = "beat"

    name = models.CharField(max_length=64, unique=True)
    last_seen = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lag = models.DurationField(
        null=True, blank=True, help_text="Time between enqueue and run of the last beat."
    )

    def __str__(self) -> str:
        return f"{self.name} at {self.last_seen:%Y-%m-%d %H:%M:%S}"
