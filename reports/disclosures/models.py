"""Disclosures: what the provider gives back for one legal process, and the signed package.

A ``Disclosure`` answers one ``LegalProcess``: a production of records, a no-records letter
or a rejection letter. It is prepared (``draft``), handed for approval (``ready``) and
released by a second person (``released``). From release on the row is evidence: the
database refuses every UPDATE and DELETE of it (trigger ``disclosures_released_immutable``),
and a mistake is corrected by a new disclosure that names the one it ``corrects``.

``ProducedFile`` rows are the records produced; they are stored through the cases upload
store (content-addressed, read-only) and can only be added or removed while their disclosure
is a draft (trigger ``disclosures_file_only_in_draft``); no row is ever updated.

``DisclosurePackage`` is what the renderer made of a released disclosure: the signed PDF,
the optional CSV manifest and the delivery ZIP, with their hashes. It is written by the
render task in stages (so a killed worker resumes where it stopped) and frozen once
``done``.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Attachment, Case, DataCategory, LegalProcess


class DisclosureKind(models.TextChoices):
    PRODUCTION = "production", _("production of records")
    NO_RECORDS = "no_records", _("no-records letter")
    REJECTION = "rejection", _("rejection letter")


class DisclosureState(models.TextChoices):
    DRAFT = "draft", _("draft")
    READY = "ready", _("awaiting approval")
    RELEASED = "released", _("released")


class NotProducedReason(models.TextChoices):
    """Why requested records were not (all) produced; printed in the letter."""

    NONE = "", _("everything requested was produced")
    NO_DATA = "no_data", _("no responsive records exist")
    OUT_OF_SCOPE = "out_of_scope", _("outside what the process can compel")
    REJECTED_IN_PART = "rejected_in_part", _("the process was rejected in part")
    NOT_RETAINED = "not_retained", _("records were not retained for the period")


# The reasons by which the provider itself narrowed what it produced (the transparency
# report's "narrowed", as Google and Meta count it). "No records" and "not retained" are
# not narrowing: nothing more existed to produce.
NARROWING_REASONS = frozenset({NotProducedReason.OUT_OF_SCOPE, NotProducedReason.REJECTED_IN_PART})


class Disclosure(models.Model):
    """One answer to one legal process (several per process: rolling productions)."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="disclosures")
    process = models.ForeignKey(LegalProcess, on_delete=models.PROTECT, related_name="disclosures")
    number = models.PositiveSmallIntegerField(_("number"))  # 1, 2, ... within the case
    kind = models.CharField(_("kind"), max_length=16, choices=DisclosureKind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=DisclosureState.choices, default=DisclosureState.DRAFT
    )
    categories = ArrayField(
        models.CharField(max_length=16, choices=DataCategory.choices),
        verbose_name=_("categories produced"),
        default=list,
        blank=True,
    )
    date_from = models.DateField(_("records from"), null=True, blank=True)
    date_to = models.DateField(_("records until"), null=True, blank=True)
    not_produced_categories = ArrayField(
        models.CharField(max_length=16, choices=DataCategory.choices),
        verbose_name=_("categories not produced"),
        default=list,
        blank=True,
    )
    not_produced_reason = models.CharField(
        _("why not produced"),
        max_length=24,
        choices=NotProducedReason.choices,
        blank=True,
        default="",
    )
    explanation = models.TextField(
        _("explanation"),
        blank=True,
        help_text=_("Printed in the letter: what was not produced or why the process was refused."),
    )
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    preparer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(_("sent for approval at"), null=True, blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["case_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "number"], name="disclosures_number_once_per_case"
            ),
            # The two-person rule, also at the bottom: a released row names two people.
            models.CheckConstraint(
                condition=~models.Q(state="released")
                | (
                    models.Q(approver__isnull=False, released_at__isnull=False)
                    & ~models.Q(approver=models.F("preparer"))
                ),
                name="disclosures_released_by_two_people",
            ),
            models.CheckConstraint(
                condition=models.Q(date_from__isnull=True)
                | models.Q(date_to__isnull=True)
                | models.Q(date_from__lte=models.F("date_to")),
                name="disclosures_date_range_in_order",
            ),
        ]
        indexes = [models.Index(fields=["case", "state"], name="disclosures_by_case")]
        triggers = [
            pgtrigger.Protect(
                name="disclosures_released_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__state="released"),
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_released(self) -> bool:
        return self.state == DisclosureState.RELEASED


class ProducedFile(models.Model):
    """One file of a production: stored by SHA-256 through the cases upload store."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    record_count = models.PositiveIntegerField(_("records"))
    source_attachment = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["disclosure_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["disclosure", "name"], name="disclosures_file_name_once"
            )
        ]
        triggers = [
            pgtrigger.Protect(name="disclosures_file_never_updated", operation=pgtrigger.Update),
            pgtrigger.Trigger(
                name="disclosures_file_only_in_draft",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Delete,
                func="""
                IF (SELECT state FROM disclosures_disclosure
                    WHERE id = COALESCE(NEW.disclosure_id, OLD.disclosure_id)) <> 'draft' THEN
                    RAISE EXCEPTION 'files of a disclosure change only while it is a draft'
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN COALESCE(NEW, OLD);
                """,
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PackageStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RENDERING = "rendering", _("rendering")
    DONE = "done", _("ready to download")
    FAILED = "failed", _("failed")


class DisclosurePackage(models.Model):
    """The signed PDF and delivery ZIP of one released disclosure, built in stages.

    Each stage's output is stored before the next starts (``pdf_*`` after signing,
    ``zip_*`` after packing); a re-run skips what is there. ``progress`` is a percentage
    for the case page. Frozen once ``done`` (trigger ``disclosures_package_frozen``).
    """

    disclosure = models.OneToOneField(
        Disclosure, on_delete=models.PROTECT, related_name="package", primary_key=True
    )
    status = models.CharField(
        max_length=16, choices=PackageStatus.choices, default=PackageStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=32, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    csv_file = models.FileField(max_length=300, blank=True)
    csv_sha256 = models.CharField(max_length=64, blank=True)
    pdf_file = models.FileField(max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_size = models.PositiveBigIntegerField(null=True, blank=True)
    pdf_pages = models.PositiveIntegerField(null=True, blank=True)
    signer = models.CharField(max_length=300, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    timestamped = models.BooleanField(default=False)
    # PAdES level the signed PDF validates at ("B-B", "B-T", "B-LT"; "" before signing)
    level = models.CharField(max_length=8, blank=True)
    zip_file = models.FileField(max_length=300, blank=True)
    zip_sha256 = models.CharField(max_length=64, blank=True)
    zip_size = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When its render was last queued or a build last started: a package still queued or
    # rendering long after that lost its task, and the redrive queues it again.
    touched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # verify: "which production is this file?" by the signed PDF's hash
            models.Index(fields=["pdf_sha256"], name="disclosures_package_pdf_hash"),
            models.Index(fields=["zip_sha256"], name="disclosures_package_zip_hash"),
            # the redrive's look for stranded packages (few are ever in flight)
            models.Index(
                fields=["touched_at"],
                condition=models.Q(status__in=["queued", "rendering"]),
                name="disclosures_package_in_flight",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="disclosures_package_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="done"),
            )
        ]

    def __str__(self) -> str:
        return f"package of disclosure {self.disclosure_id}"


class DownloadRenewal(models.Model):
    """Staff renewed the officers' download link of a released disclosure after it expired.

    The disclosure itself is immutable, so the new expiry is a row of its own, never
    changed (trigger ``disclosures_renewal_append_only``). It names the agency it was
    granted to: it only counts while the case still belongs to that agency
    (``links.download_expires``), so a renewal cannot open a production to another one.
    """

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="renewals")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    renewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    renewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = [
            pgtrigger.Protect(
                name="disclosures_renewal_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"renewal of disclosure {self.disclosure_id} until {self.expires_at:%Y-%m-%d}"
