"""The access log: one append-only, hash-chained table.

Rows are inserted unsealed (``seq`` NULL) by whoever acts, in the acting transaction, so
writers never wait on one another. A sealer (``portal.audit.chain.chain_seal``) then gives
committed rows their place in the chain (``seq``) and their hashes, in commit order. The
database refuses every other UPDATE, and every DELETE and TRUNCATE (migration 0001). See
docs/decisions/0003-audit-hash-chain.md.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """Actions the portal records. Apps may record others; these are the ones we name."""

    VIEW = "view", _("view")
    LIST = "list", _("list")
    SEARCH = "search", _("search")
    DOWNLOAD = "download", _("download")
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    TRANSITION = "transition", _("transition")
    EXPORT = "export", _("export")
    LOGIN = "login", _("sign-in")
    LOGIN_FAILED = "login_failed", _("failed sign-in")
    OTP_FAILED = "otp_failed", _("failed second factor")
    LOCKOUT = "lockout", _("lockout")
    LOGOUT = "logout", _("sign-out")
    PERMISSION_DENIED = "permission_denied", _("permission denied")
    TOKEN_USED = "token_used", _("API token used")


class AccessEvent(models.Model):
    """One read, write, download, sign-in or denial, by a person or a task.

    Actor details (roles, agency) are copied at the moment of the event, because they may
    change later and the log must say what was true then. ``seq``, ``prev_hash`` and
    ``hash`` are empty until the sealer chains the row; nothing else ever changes.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        DENIED = "denied", _("denied")
        FAILURE = "failure", _("failure")

    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # people who appear in the log are deactivated, not deleted
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    actor_roles = models.CharField(_("actor roles"), max_length=200, blank=True)
    actor_agency = models.CharField(_("actor agency"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=32)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    case_reference = models.CharField(_("case reference"), max_length=32, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    seq = models.BigIntegerField(_("chain position"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        indexes = [
            # The auditor's search: newest first, optionally narrowed by one of these.
            models.Index(fields=["at", "id"], name="audit_event_at"),
            models.Index(fields=["actor_label", "at"], name="audit_event_actor_at"),
            models.Index(fields=["action", "at"], name="audit_event_action_at"),
            models.Index(
                fields=["case_reference", "at"],
                name="audit_event_case_at",
                condition=~models.Q(case_reference=""),
            ),
            # The sealer's work list stays tiny however large the table grows.
            models.Index(fields=["id"], name="audit_event_unsealed", condition=models.Q(seq=None)),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.outcome}"


class ChainAnchor(models.Model):
    """A keyed mark on the chain: HMAC-SHA256 of (position, hash) of the head after a seal.

    The chain's hashes are plain SHA-256 over the rows, so whoever can write the table can
    recompute them after an edit. An anchor cannot be recomputed without the key, which
    lives in the portal's environment and never in the database (``portal.audit.anchors``).
    The sealer writes one per batch, in the sealing transaction; the table is append-only
    like the log itself (migration 0002).
    """

    seq = models.BigIntegerField(_("chain position"), primary_key=True)
    hash = models.CharField(_("hash"), max_length=64)
    key_id = models.CharField(_("key id"), max_length=16)
    mac = models.CharField(_("HMAC-SHA256"), max_length=64)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("chain anchor")
        verbose_name_plural = _("chain anchors")

    def __str__(self) -> str:
        return f"anchor at {self.seq}"


class ChainVerification(models.Model):
    """One run of ``verify_audit_log``: when it ran and what it found.

    The auditor's page shows the latest, so the chain's state is visible without a shell
    (issue #9, item 16). Written by the command through ``chain_verification_record``.
    """

    at = models.DateTimeField(_("verified at"), db_index=True)
    intact = models.BooleanField(_("intact"))
    events = models.BigIntegerField(_("events checked"))
    head_seq = models.BigIntegerField(_("head position"), null=True, blank=True)
    problem = models.TextField(_("problem found"), blank=True)

    class Meta:
        verbose_name = _("chain verification")
        verbose_name_plural = _("chain verifications")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"verification at {self.at:%Y-%m-%d %H:%M:%S}: {'intact' if self.intact else 'bad'}"
