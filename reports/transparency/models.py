"""A transparency report once generated: its figures frozen with their inputs and a hash.

A report is what the provider tells the public and regulators; once published it must
never change, and anyone must be able to tell that it did not. So the row stores the
figures exactly as rendered (the JSON every output form is built from), the period and
options they were computed with, and the SHA-256 of the figures' canonical JSON. The
database refuses any change to those columns (trigger) and any deletion; publishing only
fills ``published_at``/``published_by``, once.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    LE_REQUESTS = "le_requests", _("law-enforcement requests")
    DSA_ORDERS = "dsa_orders", _("EU DSA orders to provide information")


class TransparencyReport(models.Model):
    """One generated report (a draft until published), frozen at generation."""

    kind = models.CharField(_("kind"), max_length=16, choices=ReportKind.choices)
    period_label = models.CharField(_("period"), max_length=32)
    period_first = models.DateField(_("first day"))
    period_last = models.DateField(_("last day"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    options = models.JSONField(_("options"), default=dict, blank=True)
    figures = models.JSONField(_("figures"))
    figures_sha256 = models.CharField(_("SHA-256 of the figures"), max_length=64)
    generated_at = models.DateTimeField(_("generated at"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-generated_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "period_label", "-generated_at"], name="transp_by_period")
        ]
        constraints = [
            # One published report per kind and period: a correction is a new period label.
            models.UniqueConstraint(
                fields=["kind", "period_label"],
                condition=models.Q(published_at__isnull=False),
                name="transp_published_once",
            ),
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True)
                | models.Q(published_by__isnull=False),
                name="transp_published_has_publisher",
            ),
        ]
        triggers = [
            pgtrigger.ReadOnly(
                name="transp_report_frozen",
                fields=[
                    "kind",
                    "period_label",
                    "period_first",
                    "period_last",
                    "time_zone",
                    "options",
                    "figures",
                    "figures_sha256",
                    "generated_at",
                    "generated_by",
                ],
            ),
            pgtrigger.Protect(name="transp_report_kept", operation=pgtrigger.Delete),
            # Publication happens once: a published row's publication columns never change.
            pgtrigger.Protect(
                name="transp_publication_final",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_label}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class CaseOutcome(models.Model):
    """How a case ended, kept for the figures: the last of disclosed / rejected / withdrawn
    it reached and when, when it *first* reached disclosed (data was produced), and
    whether what was produced was narrowed.

    Written by a transition effect (``reports.transparency.outcomes``) inside the move's
    transaction, so it is never out of step with the case; a closed case keeps it. The
    figures join this narrow table on ``case_id`` instead of asking each closed case's
    timeline what happened (measured: 6.4 s for a half-year at 1M cases, bench).
    """

    case = models.OneToOneField(
        "cases.Case",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="transparency_outcome",
    )
    outcome = models.CharField(_("outcome"), max_length=16)
    outcome_at = models.DateTimeField(_("outcome at"))
    disclosed_at = models.DateTimeField(_("first disclosed at"), null=True, blank=True)
    # Data was produced but less than asked, for a narrowing reason of a released
    # production (``reports.disclosures.rules.case_narrowed``); set when it reaches disclosed.
    narrowed = models.BooleanField(_("narrowed"), default=False, db_default=False)

    def __str__(self) -> str:
        return f"{self.outcome} ({self.case_id})"
