"""The case page's CyberTipline panel (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cases.models import Case, CaseType
from portal.accounts.roles import user_roles
from reports.cybertip.models import CyberTipReport
from reports.cybertip.services import CYBERTIP_ROLES


def case_panel_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    """Shown on child-safety cases to child-safety analysts and supervisors only."""
    if case.case_type != CaseType.CHILD_SAFETY:
        return None
    if not user_roles(request.user) & CYBERTIP_ROLES:
        return None
    reports = list(CyberTipReport.objects.filter(case=case).order_by("created_at", "pk"))
    from portal.accounts.roles import Role

    return {
        "cybertip_reports": reports,
        "cybertip_case": case,
        "cybertip_supervisor": Role.SUPERVISOR in user_roles(request.user),
    }
