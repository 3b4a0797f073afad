"""CyberTipline reports: what the provider tells NCMEC about one reported user's incident.

A report is built from a child-safety case (``cases.Case``) and holds exactly the facts the
NCMEC schema can carry (``reports/cybertip/schema/cyber_tipline.xsd``); the XML is built by
``reports.cybertip.xml`` and never stored as the source of truth. Submission to NCMEC is a
sequence of API calls (submit, upload, fileinfo, finish), each recorded as a
``SubmissionStep`` before and after it is made, so a crash in the middle resumes or
retracts instead of filing twice (``reports.cybertip.submission``).

Business rules do not live here: writes go through ``reports.cybertip.services``.
"""

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


class FileAnnotation(models.TextChoices):
    """``fileAnnotations`` flags (empty elements, fixed to true)."""

    ANIME = "animeDrawingVirtualHentai", _("anime, drawing or virtual")
    POTENTIAL_MEME = "potentialMeme", _("potential meme")
    VIRAL = "viral", _("viral")
    POSSIBLE_SELF_PRODUCTION = "possibleSelfProduction", _("possible self-production")
    PHYSICAL_HARM = "physicalHarm", _("physical harm")
    VIOLENCE_GORE = "violenceGore", _("violence / gore")
    BESTIALITY = "bestiality", _("bestiality")
    LIVE_STREAMING = "liveStreaming", _("live streaming")
    INFANT = "infant", _("infant")
    GENERATIVE_AI = "generativeAi", _("generative AI")


class IndustryClassification(models.TextChoices):
    """The industry categorisation scheme NCMEC uses (A: prepubescent, B: pubescent;
    1: sex act, 2: lascivious exhibition)."""

    A1 = "A1", _("A1: prepubescent minor, sex act")
    A2 = "A2", _("A2: prepubescent minor, lascivious exhibition")
    B1 = "B1", _("B1: pubescent minor, sex act")
    B2 = "B2", _("B2: pubescent minor, lascivious exhibition")


class FileRelevance(models.TextChoices):
    REPORTED = "Reported", _("reported")
    SUPPLEMENTAL = "Supplemental Reported", _("supplemental (e.g. a chat log)")


class ReportFile(models.Model):
    """A file that goes to NCMEC with the report, stored under its SHA-256.

    ``fileViewedByEsp`` is not a column: it is true only when the access log holds a
    ``cybertip_file_view`` event of a named person for this row (United States v. Wilson,
    9th Cir. 2021), and the XML builder asks the log. ``exif_viewed`` likewise comes from a
    ``cybertip_exif_view`` event. ``ncmec_file_id`` and ``fileinfo_sent_at`` belong to the
    report's current attempt and are cleared when a new attempt starts.
    """

    report = models.ForeignKey(CyberTipReport, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(max_length=300)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()
    md5 = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)
    pdq = models.CharField(_("PDQ hash"), max_length=64, blank=True)
    uploaded_to_esp_at = models.DateTimeField(
        _("uploaded to the platform at"), null=True, blank=True
    )
    location_of_file = models.CharField(max_length=2083, blank=True)
    publicly_available = models.BooleanField(null=True, blank=True)
    relevance = models.CharField(
        max_length=24, choices=FileRelevance.choices, default=FileRelevance.REPORTED
    )
    annotations = ArrayField(
        models.CharField(max_length=32, choices=FileAnnotation.choices), default=list, blank=True
    )
    industry_classification = models.CharField(
        max_length=2, choices=IndustryClassification.choices, blank=True
    )
    uploader_ip = models.GenericIPAddressField(null=True, blank=True)
    additional_info = models.TextField(blank=True)
    ncmec_file_id = models.CharField(max_length=64, blank=True)
    fileinfo_sent_at = models.DateTimeField(null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["report", "sha256"], name="cybertip_file_once")
        ]
        triggers = [
            # Reported content is evidence under a preservation duty: its bytes and hashes
            # never change and its row is never deleted (the database refuses both).
            pgtrigger.ReadOnly(
                name="cybertip_file_content_immutable",
                fields=["file", "md5", "sha256", "size", "original_name", "report"],
            ),
            pgtrigger.Protect(name="cybertip_file_kept", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return self.original_name


class Step(models.TextChoices):
    STATUS = "status", "status"
    SUBMIT = "submit", "submit"
    UPLOAD = "upload", "upload"
    FILEINFO = "fileinfo", "fileinfo"
    FINISH = "finish", "finish"
    RETRACT = "retract", "retract"


class StepOutcome(models.TextChoices):
    PENDING = "pending", _("sent, no answer recorded")
    OK = "ok", _("accepted")
    TRANSIENT = "transient", _("failed, will retry")
    REFUSED = "refused", _("refused")
    DISCARDED = "discarded", _("report no longer exists at NCMEC")


class SubmissionStep(models.Model):
    """One call to NCMEC's reporting API, written before it is sent (``pending``) and
    completed with the answer. A ``pending`` row after a crash means the outcome is
    unknown: the submission never repeats such a call blindly (``submission``)."""

    report = models.ForeignKey(CyberTipReport, on_delete=models.PROTECT, related_name="steps")
    attempt = models.PositiveIntegerField()
    step = models.CharField(max_length=16, choices=Step.choices)
    file = models.ForeignKey(
        ReportFile, null=True, blank=True, on_delete=models.PROTECT, related_name="steps"
    )
    outcome = models.CharField(
        max_length=16, choices=StepOutcome.choices, default=StepOutcome.PENDING
    )
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_code = models.IntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    request_id = models.CharField(_("NCMEC Request-ID"), max_length=128, blank=True)
    ncmec_report_id = models.BigIntegerField(null=True, blank=True)
    ncmec_file_id = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["sent_at", "pk"]
        indexes = [models.Index(fields=["report", "attempt"], name="cybertip_step_by_attempt")]

    def __str__(self) -> str:
        return f"{self.step} #{self.attempt}: {self.outcome} {self.response_code}"


class ReferralBasis(models.TextChoices):
    """The voluntary-disclosure exceptions an urgent referral relies on (LEGAL.md)."""

    CONTENT = "2702b8", _("contents: 18 USC 2702(b)(8)")
    RECORDS = "2702c4", _("records: 18 USC 2702(c)(4)")


class ReferralStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("awaiting second approval")
    SENT = "sent", _("sent to the agency")
    CANCELLED = "cancelled", _("cancelled")


class UrgentReferral(models.Model):
    """A voluntary emergency disclosure to a verified agency about a child at risk.

    Good faith that an emergency involves danger of death or serious physical injury
    (18 USC 2702(b)(8) for contents, (c)(4) for records). Like an emergency disclosure it
    needs two people: the requester and a different approver; only then do the agency's
    officers see it (their API, ``GET /api/v1/referrals/``) and get notified. The row says
    who was told what and when.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    report = models.ForeignKey(
        CyberTipReport, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="urgent_referrals"
    )
    basis = models.CharField(max_length=8, choices=ReferralBasis.choices)
    emergency = models.TextField(_("the emergency"), help_text=_("What danger, to whom, now."))
    disclosed = models.TextField(_("what is disclosed"))
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.AWAITING_APPROVAL
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    notified = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        ordering = ["-requested_at", "pk"]
        indexes = [
            # an agency's officers list what was sent to them
            models.Index(
                fields=["agency", "sent_at"],
                condition=models.Q(status="sent"),
                name="cybertip_referral_by_agency",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | ~models.Q(approved_by=models.F("requested_by")),
                name="cybertip_referral_two_people",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent")
                | (models.Q(approved_by__isnull=False) & models.Q(sent_at__isnull=False)),
                name="cybertip_referral_sent_when_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"urgent referral {self.pk} ({self.status})"
