"""Reads of CyberTipline reports, each taking the user (the cases gate plus the roles)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.errors import CaseNotFound
from cases.models import Case, CaseType
from cases.selectors import CaseAction, case_get_for_user, cases_visible_to
from portal.accounts.models import User
from portal.accounts.roles import Role, user_roles
from reports.cybertip.build import report_load
from reports.cybertip.models import CyberTipReport, ReportFile, ReportStatus
from reports.cybertip.services import CYBERTIP_ROLES

STUCK_AFTER = timedelta(minutes=15)


def cybertip_case_for_user(user: User, reference: str) -> Case:
    """The child-safety case if ``user`` works CyberTipline reports on it, else 404."""
    if not user_roles(user) & CYBERTIP_ROLES:
        raise Http404
    try:
        case = case_get_for_user(user, reference, action=CaseAction.WORK)
    except CaseNotFound as exc:
        raise Http404 from exc
    if case.case_type != CaseType.CHILD_SAFETY:
        raise Http404
    return case


def report_for_user(user: User, reference: str, pk: int) -> CyberTipReport:
    case = cybertip_case_for_user(user, reference)
    if not CyberTipReport.objects.filter(pk=pk, case=case).exists():
        raise Http404
    return report_load(pk)


def report_file_for_user(user: User, reference: str, pk: int, file_pk: int) -> ReportFile:
    report = report_for_user(user, reference, pk)
    file = (
        ReportFile.objects.select_related("report__case").filter(pk=file_pk, report=report).first()
    )
    if file is None:
        raise Http404
    return file


def attention_allowed(user: User) -> bool:
    """Who watches the filing of reports (the "needs attention" page): supervisors."""
    return Role.SUPERVISOR in user_roles(user)


def reports_needing_attention(user: User) -> QuerySet[CyberTipReport]:
    """Failed submissions, and ones in flight for longer than ``STUCK_AFTER``: for
    supervisors, on the cases of their teams."""
    if not attention_allowed(user):
        return CyberTipReport.objects.none()
    cases = cases_visible_to(user, CaseAction.SUPERVISE)
    stuck = timezone.now() - STUCK_AFTER
    return (
        CyberTipReport.objects.filter(case__in=cases)
        .filter(
            Q(status=ReportStatus.FAILED)
            | Q(status__in=[ReportStatus.SUBMITTING, ReportStatus.OPEN], queued_at__lt=stuck)
        )
        .select_related("case")
        .order_by("queued_at", "pk")
    )
