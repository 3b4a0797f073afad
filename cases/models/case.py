"""The case: its type, status and priority, the reference counter, the submission keys
that make an officer's retry idempotent, and the routing rules that pick its team."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Agency, Officer, Team


class CaseType(models.TextChoices):
    REQUEST = "request", _("law-enforcement request")
    CHILD_SAFETY = "child_safety", _("child-safety incident")


class CaseStatus(models.TextChoices):
    """States of ``cases.workflow``; the transitions between them are defined there."""

    RECEIVED = "received", _("received")
    EMERGENCY_REVIEW = "emergency_review", _("emergency review")
    TRIAGE = "triage", _("triage")
    NEEDS_INFO = "needs_info", _("needs information")
    LEGAL_REVIEW = "legal_review", _("legal review")
    APPROVED = "approved", _("approved")
    COLLECTING = "collecting", _("collecting records")
    READY_TO_DISCLOSE = "ready_to_disclose", _("ready to disclose")
    DISCLOSED = "disclosed", _("disclosed")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")
    CLOSED = "closed", _("closed")


# Statuses in which a case is worked and shows in the queue. The partial indexes below are
# built on exactly this list; a query must repeat it for PostgreSQL to use them.
OPEN_STATUSES: tuple[str, ...] = (
    CaseStatus.RECEIVED,
    CaseStatus.EMERGENCY_REVIEW,
    CaseStatus.TRIAGE,
    CaseStatus.NEEDS_INFO,
    CaseStatus.LEGAL_REVIEW,
    CaseStatus.APPROVED,
    CaseStatus.COLLECTING,
    CaseStatus.READY_TO_DISCLOSE,
)
_OPEN = models.Q(status__in=OPEN_STATUSES)


class Priority(models.IntegerChoices):
    """Lower sorts first."""

    URGENT = 1, _("urgent")
    HIGH = 2, _("high")
    NORMAL = 3, _("normal")
    LOW = 4, _("low")


class UserNoticeStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    WITHHELD = "withheld", _("withheld")
    SENT = "sent", _("sent")


class UserNoticeWithheldReason(models.TextChoices):
    NDO = "ndo", _("non-disclosure order")
    EMERGENCY = "emergency", _("emergency")
    FUTILE = "futile", _("notice would be futile")
    DANGEROUS = "dangerous", _("notice would be dangerous")
    OTHER = "other", _("other")


class ReceivedVia(models.TextChoices):
    PORTAL = "portal", _("officer portal")
    API = "api", _("API")
    EMAIL = "email", _("e-mail")
    FAX = "fax", _("fax")
    MAIL = "mail", _("post")
    INTERNAL = "internal", _("internal detection")


class Case(models.Model):
    """The unit of work: one request (``LR-``) or child-safety incident (``CS-``).

    ``next_due_at`` is the nearest open deadline, kept by the services whenever deadlines
    change, so the queue is one ordered range scan of a partial index instead of a join.
    ``search_vector`` (reference, agency, targets) is likewise kept by the services.
    """

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    case_type = models.CharField(_("type"), max_length=16, choices=CaseType.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.RECEIVED
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    emergency = models.BooleanField(_("emergency"), default=False)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    submitting_officer = models.ForeignKey(
        Officer, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    received_via = models.CharField(
        _("received via"), max_length=16, choices=ReceivedVia.choices, default=ReceivedVia.EMAIL
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    user_notice_status = models.CharField(
        _("user notice"),
        max_length=16,
        choices=UserNoticeStatus.choices,
        default=UserNoticeStatus.PENDING,
    )
    user_notice_withheld_reason = models.CharField(
        _("reason notice is withheld"),
        max_length=16,
        choices=UserNoticeWithheldReason.choices,
        blank=True,
    )
    user_notice_note = models.TextField(_("user notice note"), blank=True)
    user_notice_sent_at = models.DateTimeField(_("user notice sent at"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["next_due_at", "pk"]
        indexes = [
            # queue "all open" / due in 48 h / overdue: WHERE team IN (..) AND open
            # ORDER BY next_due_at
            models.Index(fields=["team", "next_due_at"], condition=_OPEN, name="cases_case_queue"),
            # queue "mine"
            models.Index(
                fields=["assignee", "next_due_at"], condition=_OPEN, name="cases_case_queue_mine"
            ),
            # queue "unassigned"
            models.Index(
                fields=["team", "next_due_at"],
                condition=_OPEN & models.Q(assignee__isnull=True),
                name="cases_case_queue_unassigned",
            ),
            # queue "emergency"
            models.Index(
                fields=["team", "next_due_at"],
                condition=_OPEN & models.Q(emergency=True),
                name="cases_case_queue_emergency",
            ),
            # "all" / "unassigned" (and the deadline tabs) across teams (``_x``): for a
            # supervisor or auditor of several teams, "team IN (a, b)" cannot walk the
            # per-team indexes in deadline order, so without these PostgreSQL sorts every
            # open case of those teams (17,000 rows, 140 ms at 1M; bench/queue.py).
            models.Index(fields=["next_due_at", "id"], condition=_OPEN, name="cases_case_queue_x"),
            models.Index(
                fields=["next_due_at", "id"],
                condition=_OPEN & models.Q(assignee__isnull=True),
                name="cases_case_queue_unassigned_x",
            ),
            # officers' list of their agency's requests
            models.Index(fields=["agency", "created_at"], name="cases_case_agency"),
            # reference substring search (reference LIKE '%q%')
            GinIndex(OpClass("reference", name="gin_trgm_ops"), name="cases_case_reference_trgm"),
            # full-text search over reference, agency name, targets
            GinIndex(fields=["search_vector"], name="cases_case_search"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(user_notice_status=UserNoticeStatus.WITHHELD)
                | ~models.Q(user_notice_withheld_reason=""),
                name="cases_case_withheld_notice_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(user_notice_status=UserNoticeStatus.SENT)
                | models.Q(user_notice_sent_at__isnull=False),
                name="cases_case_sent_notice_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferenceCounter(models.Model):
    """Last number handed out per prefix and year (``LR``/``CS``), bumped by an upsert.

    ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` takes the row lock until commit, so two
    intakes can never receive the same number; numbering restarts each year.
    """

    prefix = models.CharField(max_length=4)
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="cases_reference_counter_key")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.value}"


class SubmissionKey(models.Model):
    """An officer's ``Idempotency-Key`` and the request its submission created.

    The row is inserted first, in the intake's transaction: a concurrent retry with the same
    key waits on the unique index until the first commits, then finds this row and answers
    with the same case instead of creating a second one. ``fingerprint`` (SHA-256 of the
    submitted values and document) tells a true retry from a different request that reuses
    the key. Keys are kept: a client generates a new one per submission (a UUID).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    case = models.ForeignKey(
        "Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="cases_submission_key_once")
        ]

    def __str__(self) -> str:
        return f"submission key of user {self.user_id}"


class RoutingRule(models.Model):
    """Which team gets a new case: the first matching rule by ``position``, else the default.

    Blank fields match anything; ``jurisdiction`` matches a country (``DE``) or a
    subdivision (``US-CA``).
    """

    position = models.PositiveSmallIntegerField(default=100)
    case_type = models.CharField(max_length=16, choices=CaseType.choices, blank=True)
    jurisdiction = models.CharField(max_length=6, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="routing_rules")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.case_type or '*'} / {self.jurisdiction or '*'} -> {self.team}"


def _render(message: str, params: dict) -> str:
    from cases.texts import text_render  # times among the values shown as the UI shows them

    return text_render(message, params)
