"""What is recorded on a case as it is worked: notes, attachments, approvals, the
timeline."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case, _render


class Note(models.Model):
    """An internal note on a case. Staff only; never shown to officers."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"note on case {self.case_id}"


class Attachment(models.Model):
    """A file added to a case after intake. Immutable: the database refuses UPDATE/DELETE."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        triggers = [
            pgtrigger.Protect(
                name="cases_attachment_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class Approval(models.Model):
    """One person's approval of an emergency disclosure; two distinct ones are required."""

    class Purpose(models.TextChoices):
        EMERGENCY_DISCLOSURE = "emergency_disclosure", _("emergency disclosure")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "approver", "purpose"], name="cases_approval_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} approval on case {self.case_id}"


class TimelineKind(models.TextChoices):
    INTAKE = "intake", _("received")
    TRANSITION = "transition", _("status change")
    APPROVAL = "approval", _("approval")
    ASSIGNMENT = "assignment", _("assignment")
    TEAM = "team", _("team change")
    NOTE = "note", _("note")
    ATTACHMENT = "attachment", _("attachment")
    DEADLINE = "deadline", _("deadline")
    PRESERVATION = "preservation", _("preservation")
    USER_NOTICE = "user_notice", _("user notice")


class TimelineEvent(models.Model):
    """What happened to a case, in order. Append-only.

    ``message`` is an untranslated message id with ``%(name)s`` placeholders filled from
    ``params`` at display time, so each reader sees it in their language. ``public`` events
    are the ones an officer of the requesting agency may see.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="timeline")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=TimelineKind.choices)
    public = models.BooleanField(default=False)
    message = models.TextField()
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="cases_timeline_by_case")]
        triggers = [
            pgtrigger.Protect(
                name="cases_timeline_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    @property
    def text(self) -> str:
        """The message in the active language."""
        return _render(self.message, self.params)
