"""The case page's panel of matched uploads (registered in ``apps.py``): hashes, lists
matched, verdict, and the analyst's decision (confirm, or false positive)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cases.models import Case, CaseType
from reports.matching import selectors
from reports.matching.models import ItemStatus


def case_panel_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    """Child-safety cases, for the staff who manage matching (analysts, supervisors)."""
    if case.case_type != CaseType.CHILD_SAFETY:
        return None
    if not selectors.may_manage_lists(request.user):
        return None
    items = list(selectors.matched_items_for(request.user).filter(case=case).order_by("pk"))
    if not items:
        return None
    return {"matched_items": items, "pending_status": ItemStatus.PENDING}
