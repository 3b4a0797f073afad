"""Legal process as received and the targets it names (accounts, identifiers)."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


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
