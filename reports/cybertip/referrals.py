"""Urgent referral: escalate the CyberTipline report and disclose at once to a verified
agency, after two people agreed (18 USC 2702(b)(8) contents, 2702(c)(4) records).

``referral_request`` records the emergency, what will be disclosed and to which agency,
and marks the case's open draft report for escalation (``escalateToHighPriority``).
``referral_approve`` by a second person sends it: the agency's verified officers are
notified at once and see it in ``GET /api/v1/referrals/``; the case's timeline says who
was told what and when.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Case, TimelineKind
from cases.policy import officer_agency_id
from cases.selectors import denials_logged
from cases.services.timeline import timeline_event_add
from portal.accounts.models import Agency, Officer, User
from portal.audit.services import access_event_record
from portal.notifications.services import notification_send
from reports.cybertip.models import (
    CyberTipReport,
    ReferralBasis,
    ReferralStatus,
    ReportStatus,
    UrgentReferral,
)
from reports.cybertip.services import cybertip_case_check


@denials_logged
def referral_request(
    *,
    case: Case,
    agency: Agency,
    basis: str,
    emergency: str,
    disclosed: str,
    actor: User,
) -> UrgentReferral:
    """The first person's request; nothing reaches the agency until a second approves."""
    errors: dict[str, str] = {}
    if basis not in ReferralBasis.values:
        errors["basis"] = _("Contents (2702(b)(8)) or records (2702(c)(4)).")
    if not emergency.strip():
        errors["emergency"] = _("Say what danger of death or serious injury, to whom, now.")
    if not disclosed.strip():
        errors["disclosed"] = _("Say what will be disclosed.")
    if agency.status != Agency.Status.ACTIVE:
        errors["agency"] = _("Only a verified, active agency can receive a referral.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        case = cybertip_case_check(actor, case.pk)
        draft = CyberTipReport.objects.filter(case=case, status=ReportStatus.DRAFT).first()
        if draft is not None and not draft.escalate_text.strip():
            CyberTipReport.objects.filter(pk=draft.pk).update(
                escalate_text=emergency.strip()[:3000]
            )
        referral = UrgentReferral.objects.create(
            case=case,
            report=draft,
            agency=agency,
            basis=basis,
            emergency=emergency.strip(),
            disclosed=disclosed.strip(),
            requested_by=actor,
            requested_at=now,
        )
        timeline_event_add(
            case=case,
            kind=TimelineKind.APPROVAL,
            actor=actor,
            message=gettext_noop(
                "Urgent referral to %(agency)s requested; needs a second approval."
            ),
            params={"agency": agency.name},
        )
        access_event_record(
            action="referral_request",
            actor=actor,
            obj=referral,
            case_reference=case.reference,
            details={
                "agency": agency.pk,
                "basis": basis,
                "escalated_report": draft.pk if draft else None,
            },
        )
    return referral


@denials_logged
def referral_approve(*, referral: UrgentReferral, actor: User) -> UrgentReferral:
    """The second person's approval sends the referral and notifies the agency at once."""
    if referral.requested_by_id == actor.pk:
        raise ValidationError(_("A second person must approve an urgent referral."))
    now = timezone.now()
    with transaction.atomic():
        case = cybertip_case_check(actor, referral.case_id)
        updated = UrgentReferral.objects.filter(
            pk=referral.pk, status=ReferralStatus.AWAITING_APPROVAL
        ).update(status=ReferralStatus.SENT, approved_by=actor, sent_at=now)
        if updated != 1:
            raise ValidationError(_("This referral was already decided; reload the page."))
        referral.refresh_from_db()
        officers = list(
            Officer.objects.filter(
                agency_id=referral.agency_id,
                status=Officer.Status.VERIFIED,
                user__is_active=True,
            ).select_related("user")
        )
        for officer in officers:
            notification_send(
                user=officer.user,
                subject=_("Urgent referral from the provider: a child may be at risk"),
                body=_(
                    "Urgent referral %(id)s: open it in the officer portal now "
                    "(or GET /api/v1/referrals/)."
                )
                % {"id": referral.pk},
                url=reverse("officer:referral", args=[referral.pk]),
                dedupe_key=f"urgent-referral-{referral.pk}",
                severity="urgent",
                kind="urgent_referral",
            )
        UrgentReferral.objects.filter(pk=referral.pk).update(notified=[o.user_id for o in officers])
        timeline_event_add(
            case=case,
            kind=TimelineKind.APPROVAL,
            actor=actor,
            message=gettext_noop(
                "Urgent referral sent to %(agency)s (%(basis)s): %(disclosed)s; "
                "%(count)s officer(s) notified."
            ),
            params={
                "agency": referral.agency.name,
                "basis": referral.get_basis_display(),
                "disclosed": referral.disclosed[:200],
                "count": len(officers),
            },
        )
        access_event_record(
            action="referral_sent",
            actor=actor,
            obj=referral,
            case_reference=case.reference,
            details={"agency": referral.agency_id, "officers": [o.user_id for o in officers]},
        )
    referral.refresh_from_db()
    return referral


def referrals_for_officer(user: User) -> QuerySet[UrgentReferral]:
    """What the officer's agency was sent; nothing for anyone else."""
    agency_id = officer_agency_id(user)
    if agency_id is None:
        return UrgentReferral.objects.none()
    return (
        UrgentReferral.objects.filter(agency_id=agency_id, status=ReferralStatus.SENT)
        .select_related("case")
        .order_by("-sent_at", "pk")
    )


def referral_get_for_officer(user: User, pk: int) -> UrgentReferral:
    """One referral of ``referrals_for_officer``; another agency's (or a missing) one is a
    404, so the officer pages keep the API's single rule of who sees what."""
    referral = referrals_for_officer(user).select_related("report").filter(pk=pk).first()
    if referral is None:
        raise Http404
    return referral
