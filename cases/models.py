"""The domain's tables: legal process, targets, cases, preservations, deadlines, timeline.

Business rules do not live here: deadlines are computed in ``cases.rules``, the state
machine is ``cases.workflow``, writes go through ``cases.services`` and reads that matter
through ``cases.selectors``. Models hold fields, constraints and the indexes of the hot
queries (each index names the query it serves).
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Agency, Officer, Team


class ProcessKind(models.TextChoices):
    """Every kind of instrument in LEGAL.md; the rule for each lives in ``cases.rules``."""

    US_SUBPOENA = "us_subpoena", _("US subpoena (18 USC 2703(c)(2))")
    US_2703D_ORDER = "us_2703d_order", _("US court order (18 USC 2703(d))")
    US_SEARCH_WARRANT = "us_search_warrant", _("US search warrant (18 USC 2703(a)/(b))")
    US_PRESERVATION = "us_2703f_preservation", _("US preservation request (18 USC 2703(f))")
    US_EMERGENCY = "us_emergency_request", _("Emergency disclosure request (18 USC 2702(b)(8))")
    US_PEN_TRAP = "us_pen_trap", _("US pen register / trap and trace order (18 USC 3123)")
    US_WIRETAP = "us_wiretap", _("US wiretap order (18 USC 2518)")
    US_BACKUP_PRESERVATION = "us_2704_backup", _("US backup preservation (18 USC 2704)")
    CYBERTIPLINE = "cybertipline", _("CyberTipline report duty (18 USC 2258A)")
    EU_EPOC = "eu_epoc", _("EU European Production Order (EPOC)")
    EU_EPOC_PR = "eu_epoc_pr", _("EU European Preservation Order (EPOC-PR)")
    UK_OPO = "uk_opo", _("UK Overseas Production Order")
    CA_PRESERVATION_ORDER = "ca_preservation_order", _("Canada preservation order (CC 487.013)")
    CA_PRESERVATION_DEMAND = "ca_preservation_demand", _("Canada preservation demand (CC 487.012)")
    CA_PRODUCTION_ORDER = "ca_production_order", _("Canada production order (CC 487.014-.018)")
    AU_IPO = "au_ipo", _("Australia international production order")
    MLAT = "mlat", _("MLAT request")
    BR_COURT_ORDER = "br_court_order", _("Brazil court order (Marco Civil)")
    BR_RETENTION_DEMAND = "br_retention_demand", _("Brazil retention demand (Marco Civil 13/15)")


class DataCategory(models.TextChoices):
    """What records a process asks for; the statute decides which it may compel (LEGAL.md):
    a subpoena reaches basic subscriber information, a 2703(d) order non-content records, a
    warrant content."""

    SUBSCRIBER = "subscriber", _("basic subscriber information")
    LOGIN_IP = "login_ip", _("login and IP address history")
    NON_CONTENT = "non_content", _("other non-content records (logs, headers, metadata)")
    CONTENT = "content", _("stored content (messages, files, posts)")
    LOCATION = "location", _("location information")


class LegalProcess(models.Model):
    """One instrument served on the provider: a subpoena, a warrant, an order, a request.

    The uploaded document is immutable once stored (a database trigger refuses changes to
    the document columns): what was served is evidence, and its SHA-256 proves it unchanged.
    ``country``/``subdivision`` are the issuing jurisdiction (ISO 3166-1 alpha-2 / 3166-2).
    """

    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="processes")
    kind = models.CharField(_("kind"), max_length=32, choices=ProcessKind.choices)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    subdivision = models.CharField(
        _("subdivision"), max_length=6, blank=True, help_text=_("ISO 3166-2, e.g. US-CA")
    )
    issuing_authority = models.CharField(_("issuing court or authority"), max_length=300)
    authority_reference = models.CharField(
        _("authority's reference"), max_length=120, blank=True, help_text=_("docket, case no.")
    )
    received_at = models.DateTimeField(_("received at"))
    return_date = models.DateField(_("return date"), null=True, blank=True)
    period_ends_on = models.DateField(
        _("authorised period ends on"),
        null=True,
        blank=True,
        help_text=_("For prospective orders (pen/trap, wiretap) that state their own end."),
    )
    extensions = models.PositiveSmallIntegerField(
        _("extensions granted"), default=0, help_text=_("Renewals of a prospective order.")
    )
    ndo = models.BooleanField(_("non-disclosure order"), default=False)
    ndo_expires_on = models.DateField(_("non-disclosure order expires on"), null=True, blank=True)
    emergency = models.BooleanField(_("emergency"), default=False)
    emergency_justification = models.TextField(_("emergency justification"), blank=True)
    foreign_offence = models.BooleanField(
        _("foreign offence"), default=False, help_text=_("Canada 487.012(3)(b): 90-day demand")
    )
    # What the officer asks for: the records, their period and the agency's own case number.
    data_categories = ArrayField(
        models.CharField(max_length=16, choices=DataCategory.choices),
        verbose_name=_("data requested"),
        default=list,
        blank=True,
    )
    date_from = models.DateField(_("records from"), null=True, blank=True)
    date_to = models.DateField(_("records until"), null=True, blank=True)
    agency_case_number = models.CharField(
        _("agency's case number"), max_length=64, blank=True, help_text=_("The agency's own file")
    )
    enforcing_state_notified = models.BooleanField(
        _("enforcing state notified"), default=False, help_text=_("EU 2023/1543 Art. 8")
    )
    reported_at = models.DateTimeField(
        _("report submitted at"),
        null=True,
        blank=True,
        help_text=_("CyberTipline: when the report was completed (starts the 1-year hold)."),
    )
    document = models.FileField(_("document"), max_length=300, blank=True)
    document_name = models.CharField(_("original file name"), max_length=255, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_content_type = models.CharField(max_length=100, blank=True)
    document_size = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("legal process")
        verbose_name_plural = _("legal processes")
        ordering = ["received_at", "pk"]
        indexes = [
            # transparency reports and the dashboard: process received in a period; covers
            # every column the report reads, so a half-year is an index-only scan
            models.Index(
                fields=["received_at"],
                include=["kind", "country", "case_id", "emergency", "ndo", "id"],
                name="cases_process_received_cover",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(emergency=False) | ~models.Q(emergency_justification=""),
                name="cases_process_emergency_has_justification",
            ),
            models.CheckConstraint(
                condition=models.Q(ndo=True) | models.Q(ndo_expires_on__isnull=True),
                name="cases_process_ndo_expiry_needs_ndo",
            ),
            models.CheckConstraint(
                condition=models.Q(date_from__isnull=True)
                | models.Q(date_to__isnull=True)
                | models.Q(date_from__lte=models.F("date_to")),
                name="cases_process_date_range_in_order",
            ),
        ]
        triggers = [
            pgtrigger.ReadOnly(
                name="cases_process_document_immutable",
                fields=[
                    "document",
                    "document_sha256",
                    "document_content_type",
                    "document_size",
                    "document_name",
                ],
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.country})"

    @property
    def jurisdiction(self) -> str:
        """ISO 3166-2 subdivision when known, else the ISO 3166-1 country."""
        return self.subdivision or self.country


class TargetKind(models.TextChoices):
    EMAIL = "email", _("e-mail address")
    PHONE = "phone", _("phone number")
    USERNAME = "username", _("username")
    ACCOUNT_ID = "account_id", _("account ID")
    IP = "ip", _("IP address or range")
    URL = "url", _("URL")


class Target(models.Model):
    """One identifier a process names. ``normalised`` is what lookups compare.

    ``case`` is copied from the process so "also requested by" is one index lookup plus a
    join, without going through the process table.
    """

    process = models.ForeignKey(LegalProcess, on_delete=models.PROTECT, related_name="targets")
    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="targets")
    kind = models.CharField(_("kind"), max_length=16, choices=TargetKind.choices)
    value = models.CharField(_("as given"), max_length=500)
    normalised = models.CharField(_("normalised"), max_length=500)

    class Meta:
        ordering = ["pk"]
        indexes = [
            # exact target lookup and "also requested by"
            models.Index(fields=["normalised"], name="cases_target_normalised"),
            # substring search: UPPER(normalised::text) LIKE UPPER('%q%') (icontains)
            GinIndex(
                OpClass(Upper("normalised"), name="gin_trgm_ops"),
                name="cases_target_normalised_trgm",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "kind", "normalised"], name="cases_target_once_per_process"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.normalised}"


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
