"""The files a report carries, with the reviewer's annotations and classification."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from reports.cybertip.models.report import CyberTipReport


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
