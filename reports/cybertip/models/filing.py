"""Filing with NCMEC, one recorded step at a time, so a crash resumes or retracts instead
of filing twice (``reports.cybertip.submission``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reports.cybertip.models.files import ReportFile
from reports.cybertip.models.report import CyberTipReport


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
