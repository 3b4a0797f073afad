"""Urgent referrals: an emergency disclosure to an agency, sent only after a second person
approves (18 USC 2702(b)(8), 2702(c)(4))."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from reports.cybertip.models.report import CyberTipReport


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
