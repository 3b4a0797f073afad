"""A message between the agency and the provider about one request, and its files.

Messages are records of what each side told the other, so, like evidence, they never
change: the database refuses UPDATE and DELETE (a correction is a new message). Internal
staff notes are ``cases.Note`` and never appear here.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case


class Side(models.TextChoices):
    AGENCY = "agency", _("Agency")
    PROVIDER = "provider", _("Provider")


class Message(models.Model):
    """One message of a request's thread.

    ``asks_for_information`` marks the provider's question that put the request on "needs
    information"; the agency's next message answers it (``answers``) and moves the request
    back to triage.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    body = models.TextField(_("message"), max_length=10000, blank=True)
    asks_for_information = models.BooleanField(default=False)
    answers = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="answered_by"
    )
    created_at = models.DateTimeField()
    # The sender's idempotency key (API header, the form's hidden field) and a hash of what
    # was sent with it: a retry with the same key is answered with this message.
    client_key = models.CharField(max_length=255, blank=True, default="")
    client_fingerprint = models.CharField(max_length=64, blank=True, default="")

    # Not stored: True on the message a retry was answered with (``message_post``).
    replayed: bool = False

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="conv_message_case_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "author", "client_key"],
                condition=~models.Q(client_key=""),
                name="conv_message_client_key",
            )
        ]
        triggers = [
            pgtrigger.Protect(
                name="conversation_message_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.pk}"


class MessageAttachment(models.Model):
    """A file sent with a message: checked, hashed and stored like every other evidence."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["pk"]
        triggers = [
            pgtrigger.Protect(
                name="conversation_attachment_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return self.original_name
