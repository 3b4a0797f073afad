"""The report and what it says about the incident: where it happened online and the
people involved."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentType(models.TextChoices):
    """The schema's ``incidentType`` enumeration, value for value (the eight of the XSD)."""

    CHILD_PORNOGRAPHY = (
        "Child Pornography (possession, manufacture, and distribution)",
        _("Child sexual abuse material (possession, manufacture, distribution)"),
    )
    CHILD_SEX_TRAFFICKING = "Child Sex Trafficking", _("Child sex trafficking")
    CHILD_SEX_TOURISM = "Child Sex Tourism", _("Child sex tourism")
    CHILD_SEXUAL_MOLESTATION = "Child Sexual Molestation", _("Child sexual molestation")
    MISLEADING_DOMAIN_NAME = "Misleading Domain Name", _("Misleading domain name")
    MISLEADING_WORDS_OR_IMAGES = (
        "Misleading Words or Digital Images on the Internet",
        _("Misleading words or digital images on the internet"),
    )
    ONLINE_ENTICEMENT = (
        "Online Enticement of Children for Sexual Acts",
        _("Online enticement of children for sexual acts"),
    )
    UNSOLICITED_OBSCENE_MATERIAL = (
        "Unsolicited Obscene Material Sent to a Child",
        _("Unsolicited obscene material sent to a child"),
    )


class ReportAnnotation(models.TextChoices):
    """``reportAnnotations`` flags (written as empty elements, fixed to true)."""

    SEXTORTION = "sextortion", _("sextortion")
    CSAM_SOLICITATION = "csamSolicitation", _("CSAM solicitation")
    MINOR_TO_MINOR = "minorToMinorInteraction", _("minor-to-minor interaction")
    SPAM = "spam", _("spam")
    SADISTIC_ONLINE_EXPLOITATION = (
        "sadisticOnlineExploitation",
        _("sadistic online exploitation"),
    )


class ReportStatus(models.TextChoices):
    """Where the report stands with NCMEC.

    ``submitting``: queued, no NCMEC report id yet; ``open``: NCMEC opened it (report id
    known), files and details going up; ``finished``: NCMEC's receipt is on record (final);
    ``retracted``: cancelled before finish; ``failed``: stopped with an answer a person must
    read (authentication, validation, an unknown code).
    """

    DRAFT = "draft", _("draft")
    SUBMITTING = "submitting", _("submitting")
    OPEN = "open", _("opened at NCMEC")
    FINISHED = "finished", _("filed")
    RETRACTED = "retracted", _("retracted")
    FAILED = "failed", _("failed")


IN_FLIGHT = (ReportStatus.SUBMITTING, ReportStatus.OPEN)


class CyberTipReport(models.Model):
    """One CyberTipline report about one reported user (``reported_user_key``).

    Follow-ups cite earlier NCMEC report ids in ``prior_report_ids`` (``priorCTReports``).
    The reporter and contact person come from settings, not from here: they are the
    provider's, the same on every report. ``attempt`` counts NCMEC transactions: when NCMEC
    discards an unfinished report, or a crash leaves a step's outcome unknown, the report is
    submitted again as a new attempt under a new NCMEC report id.
    """

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="cybertip_reports"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    reported_user_key = models.CharField(
        _("reported user (ESP identifier)"), max_length=255, blank=True, db_index=True
    )
    incident_type = models.CharField(
        _("incident type"), max_length=80, choices=IncidentType.choices
    )
    incident_at = models.DateTimeField(_("incident time"))
    incident_time_zone = models.CharField(
        _("incident time zone"), max_length=64, default="UTC", help_text=_("IANA name")
    )
    incident_time_description = models.CharField(
        _("about the incident time"), max_length=3000, blank=True
    )
    platform = models.CharField(_("platform"), max_length=256, blank=True)
    annotations = ArrayField(
        models.CharField(max_length=32, choices=ReportAnnotation.choices),
        verbose_name=_("report annotations"),
        default=list,
        blank=True,
    )
    escalate_text = models.TextField(
        _("escalate to high priority"),
        blank=True,
        max_length=3000,
        help_text=_("Only for an immediate risk to a child; the reason is sent to NCMEC."),
    )
    # The law-enforcement block: when the incident was reported to police or came from them.
    le_agency_name = models.CharField(_("agency"), max_length=255, blank=True)
    le_case_number = models.CharField(_("agency case number"), max_length=100, blank=True)
    le_officer_first_name = models.CharField(max_length=100, blank=True)
    le_officer_last_name = models.CharField(max_length=100, blank=True)
    le_officer_email = models.CharField(max_length=255, blank=True)
    le_officer_phone = models.CharField(max_length=50, blank=True)
    le_reported_to = models.BooleanField(_("reported to law enforcement"), null=True, blank=True)
    le_served_domestic = models.BooleanField(null=True, blank=True)
    le_served_international = models.BooleanField(null=True, blank=True)
    le_flea_country = models.CharField(max_length=2, blank=True)
    additional_info = models.TextField(_("additional information"), blank=True)
    prior_report_ids = ArrayField(
        models.BigIntegerField(),
        verbose_name=_("prior CyberTipline reports"),
        default=list,
        blank=True,
    )
    # Submission bookkeeping (reports.cybertip.submission).
    attempt = models.PositiveIntegerField(default=0)
    ncmec_report_id = models.BigIntegerField(_("NCMEC report id"), null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    last_change_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    receipt_xml = models.TextField(_("NCMEC receipt"), blank=True)
    last_answer = models.TextField(_("last answer"), blank=True)
    # The archive of what was filed (reports.cybertip.archive), each with its SHA-256.
    archived_xml = models.FileField(max_length=300, blank=True)
    archived_xml_sha256 = models.CharField(max_length=64, blank=True)
    archived_pdf = models.FileField(max_length=300, blank=True)
    archived_pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("CyberTipline report")
        ordering = ["created_at", "pk"]
        indexes = [
            # supervisors' list of failed and stuck submissions
            models.Index(
                fields=["status", "queued_at"],
                condition=models.Q(status__in=["submitting", "open", "failed"]),
                name="cybertip_report_attention",
            ),
        ]
        triggers = [
            # 18 USC 2258A(h): a filed report is a preservation request; it is never deleted.
            pgtrigger.Protect(
                name="cybertip_report_filed_kept",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="finished"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ncmec_report_id"],
                condition=models.Q(ncmec_report_id__isnull=False),
                name="cybertip_report_ncmec_id_once",
            ),
            # One open draft per reported user: a new incident adds to it.
            models.UniqueConstraint(
                fields=["reported_user_key"],
                condition=models.Q(status="draft") & ~models.Q(reported_user_key=""),
                name="cybertip_report_one_draft_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"CyberTipline report {self.pk} ({self.status})"

    @property
    def is_editable(self) -> bool:
        return self.status == ReportStatus.DRAFT


class DetailKind(models.TextChoices):
    """The ``internetDetails`` choice: one element per kind."""

    WEB_PAGE = "webPageIncident", _("web page")
    EMAIL = "emailIncident", _("e-mail")
    NEWSGROUP = "newsgroupIncident", _("newsgroup")
    CHAT_IM = "chatImIncident", _("chat / instant message")
    ONLINE_GAMING = "onlineGamingIncident", _("online gaming")
    CELL_PHONE = "cellPhoneIncident", _("cell phone")
    NON_INTERNET = "nonInternetIncident", _("not on the internet")
    PEER_TO_PEER = "peer2peerIncident", _("peer to peer")


class InternetDetail(models.Model):
    """One ``internetDetails`` block. Each kind uses only its own fields (see
    ``reports.cybertip.validation.DETAIL_FIELDS``); the others stay empty."""

    report = models.ForeignKey(
        CyberTipReport, on_delete=models.CASCADE, related_name="internet_details"
    )
    kind = models.CharField(max_length=24, choices=DetailKind.choices)
    urls = ArrayField(models.CharField(max_length=2083), default=list, blank=True)
    third_party_hosted = models.BooleanField(null=True, blank=True)
    email_addresses = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    name = models.CharField(_("newsgroup name"), max_length=255, blank=True)
    chat_client = models.CharField(max_length=255, blank=True)
    chat_room_name = models.CharField(max_length=255, blank=True)
    game_name = models.CharField(max_length=255, blank=True)
    console = models.CharField(max_length=255, blank=True)
    phone_number = models.CharField(max_length=50, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_name = models.CharField(max_length=255, blank=True)
    p2p_client = models.CharField(max_length=255, blank=True)
    file_names = models.TextField(blank=True)
    content = models.TextField(_("content"), blank=True)
    additional_info = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.kind


class PersonRole(models.TextChoices):
    REPORTED = "reported", _("reported person or user")
    INTENDED_RECIPIENT = "intended_recipient", _("intended recipient")
    VICTIM = "victim", _("child victim")


class ReportPerson(models.Model):
    """A person in the report: the reported user, an intended recipient, or a victim.

    ``ip_events`` and ``device_ids`` are lists of small objects whose keys the service checks
    (``reports.cybertip.validation``): ``{"ip", "event", "at", "port", "proxy"}`` and
    ``{"type", "value", "event", "at"}``.
    """

    report = models.ForeignKey(CyberTipReport, on_delete=models.CASCADE, related_name="persons")
    role = models.CharField(max_length=24, choices=PersonRole.choices)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    emails = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    phones = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    esp_identifier = models.CharField(_("ESP identifier"), max_length=255, blank=True)
    esp_service = models.CharField(max_length=255, blank=True)
    screen_name = models.CharField(max_length=255, blank=True)
    display_names = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    profile_urls = ArrayField(models.CharField(max_length=2083), default=list, blank=True)
    ip_events = models.JSONField(default=list, blank=True)
    device_ids = models.JSONField(default=list, blank=True)
    account_temporarily_disabled = models.BooleanField(default=False)
    account_permanently_disabled = models.BooleanField(default=False)
    disabled_at = models.DateTimeField(null=True, blank=True)
    additional_info = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.role} {self.esp_identifier or self.screen_name}"
