"""Preservations (holds), deadlines and the reminders sent about them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case, _render
from cases.models.process import LegalProcess, Target


class PreservationStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    EXTENDED = "extended", _("extended")
    RELEASED = "released", _("released")
    SUPERSEDED = "superseded", _("superseded by legal process")


class Preservation(models.Model):
    """A hold on the targets' records from ``starts_at`` to ``expires_at``.

    ``expires_at`` mirrors the computed preservation deadline (``cases.rules``); services
    recompute both when the hold is extended, so the two never disagree.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="preservations")
    process = models.ForeignKey(
        LegalProcess, on_delete=models.PROTECT, related_name="preservations"
    )
    targets = models.ManyToManyField(Target, related_name="preservations", blank=True)
    starts_at = models.DateTimeField(_("from"))
    expires_at = models.DateTimeField(_("expires at"))
    extension_count = models.PositiveSmallIntegerField(_("extensions"), default=0)
    status = models.CharField(
        max_length=16, choices=PreservationStatus.choices, default=PreservationStatus.ACTIVE
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_by = models.ForeignKey(
        LegalProcess, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["expires_at", "pk"]
        indexes = [
            # expiry sweep: holds still in force, soonest first
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status__in=["active", "extended"]),
                name="cases_preservation_in_force",
            )
        ]

    def __str__(self) -> str:
        return f"preservation until {self.expires_at:%Y-%m-%d}"


class DeadlineKind(models.TextChoices):
    RESPONSE = "response", _("response due")
    FIRST_DECISION = "first_decision", _("first decision")
    REPORT = "report", _("report due")
    PRESERVATION_EXPIRY = "preservation_expiry", _("preservation expires")
    REFUSAL_WINDOW = "refusal_window", _("enforcing state's refusal window ends")
    AUTHORISATION_END = "authorisation_end", _("authorised period ends")
    BACKUP_COPY = "backup_copy", _("backup copy due")
    BACKUP_HOLD = "backup_hold", _("backup may be released")
    COURT_ORDER_DUE = "court_order_due", _("court order must follow")
    USER_NOTICE = "user_notice", _("user notice due")
    NDO_REVIEW = "ndo_review", _("legal review of non-disclosure order")


class DeadlineStatus(models.TextChoices):
    OPEN = "open", _("open")
    MET = "met", _("met")
    MISSED = "missed", _("missed")
    CANCELLED = "cancelled", _("cancelled")


class Deadline(models.Model):
    """One legal or internal clock of a case, as computed by a rule of ``cases.rules``.

    ``explanation`` is the rule's untranslated message id and ``explanation_params`` its
    values, so staff read it in their own language. An override keeps the computed time in
    ``original_due_at`` and names the supervisor and the reason; recomputation refreshes
    ``original_due_at`` but never undoes the override.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="deadlines")
    process = models.ForeignKey(
        LegalProcess, null=True, blank=True, on_delete=models.PROTECT, related_name="deadlines"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=DeadlineKind.choices)
    due_at = models.DateTimeField(_("due at"))
    rule_id = models.CharField(_("rule"), max_length=64)
    citation = models.CharField(_("citation"), max_length=200)
    explanation = models.TextField(_("explanation"))
    explanation_params = models.JSONField(default=dict, blank=True)
    needs_legal_review = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=DeadlineStatus.choices, default=DeadlineStatus.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    original_due_at = models.DateTimeField(null=True, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    # The reminder schedule (cases.reminders): the next step's code ("7d", "overdue:2",
    # "release") and the moment it is due; the sweep claims rows by this time.
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    next_reminder_step = models.CharField(max_length=24, blank=True, default="", db_default="")
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            # the reminder sweep (issue 5): claim open deadlines whose reminder is due
            models.Index(
                fields=["next_reminder_at"],
                condition=models.Q(status="open", next_reminder_at__isnull=False),
                name="cases_deadline_reminder_due",
            ),
            # nearest open deadline of a case (next_due_at upkeep) and the case page
            models.Index(
                fields=["case", "due_at"],
                condition=models.Q(status="open"),
                name="cases_deadline_open_by_case",
            ),
            # the missed sweep: open deadlines past due
            models.Index(
                fields=["due_at"], condition=models.Q(status="open"), name="cases_deadline_open"
            ),
            # the operations dashboard: deadlines met and missed per week (any status)
            models.Index(fields=["due_at"], name="cases_deadline_due"),
            # the missed sweep (cases.services.missed.MET_LATE): met after the due time
            models.Index(
                fields=["id"],
                condition=models.Q(
                    status="met",
                    kind__in=[
                        "response",
                        "first_decision",
                        "report",
                        "backup_copy",
                        "user_notice",
                        "ndo_review",
                    ],
                    closed_at__gt=models.F("due_at"),
                ),
                name="cases_deadline_met_late",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(overridden_by__isnull=True)
                | (~models.Q(override_reason="") & models.Q(original_due_at__isnull=False)),
                name="cases_deadline_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_overridden(self) -> bool:
        return self.overridden_by_id is not None

    @property
    def explanation_text(self) -> str:
        """The rule's explanation in the active language."""
        return _render(self.explanation, self.explanation_params)


class ReminderOutcome(models.TextChoices):
    REMINDED = "reminded", _("reminded")
    ESCALATED = "escalated", _("escalated to supervisors")
    RELEASED = "released", _("hold released on expiry")
    RELEASE_BLOCKED = "release_blocked", _("hold not released: legal process on the case")


class Reminder(models.Model):
    """One reminder step of one deadline, acted on exactly once (``cases.reminders``).

    The row is inserted in the same transaction that moves the deadline's schedule on and
    creates the notifications, so a step is either fully sent or not at all; the unique
    key makes a second insert for the same step impossible, whatever races. The key
    includes the deadline's due time: when a deadline moves (override, extension), its
    steps start again for the new time, and the old rows stay as history.
    """

    deadline = models.ForeignKey(Deadline, on_delete=models.PROTECT, related_name="reminders")
    step = models.CharField(_("step"), max_length=24)
    deadline_due_at = models.DateTimeField(_("deadline due at"))
    due_at = models.DateTimeField(_("step due at"))
    sent_at = models.DateTimeField(_("sent at"))
    late = models.BooleanField(_("sent late"), default=False)
    outcome = models.CharField(
        max_length=16, choices=ReminderOutcome.choices, default=ReminderOutcome.REMINDED
    )
    recipients = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "deadline_due_at", "step"], name="cases_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.step} of deadline {self.deadline_id}"


class DigestRun(models.Model):
    """The daily digest of one business day: started, and finished once every user had theirs.

    The digest task runs every quarter of an hour and does the day's work until this row
    says it is finished, so a scheduler that was down at 07:00 still sends it later.
    """

    day = models.DateField(unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"digest of {self.day}"
