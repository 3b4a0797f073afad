"""Template helpers for the access log: the case page's history and event formatting."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django import template

from portal.accounts.roles import Capability, has_capability
from portal.audit.models import AccessEvent
from portal.audit.selectors import CASE_HISTORY_LIMIT, access_events_for_case

register = template.Library()


@dataclass
class CaseHistory:
    allowed: bool
    events: list[AccessEvent] = field(default_factory=list)
    more: bool = False  # older events exist beyond those shown


@register.simple_tag(takes_context=True)
def case_access_events(context: template.Context, case_reference: str) -> CaseHistory:
    """The latest access events of a case for the signed-in user (none unless allowed)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not case_reference or not has_capability(user, Capability.READ_AUDIT_LOG):
        return CaseHistory(allowed=False)
    rows = list(access_events_for_case(user, str(case_reference), limit=CASE_HISTORY_LIMIT + 1))
    return CaseHistory(
        allowed=True, events=rows[:CASE_HISTORY_LIMIT], more=len(rows) > CASE_HISTORY_LIMIT
    )


@register.filter
def audit_details(details: Any) -> str:
    """Compact JSON for the table; long lists of ids are cut (the CSV has them all)."""
    if not details:
        return ""
    text = json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 240 else text[:239] + "…"


@register.filter
def audit_outcome_class(outcome: str) -> str:
    return {"success": "ok", "denied": "danger", "failure": "warn"}.get(outcome, "info")


@register.filter
def object_label(object_type: str) -> str:
    """``cases.case`` as a reader names it ("Case"): the model's verbose name in the
    viewer's language; a type no installed model has (a task, a removed app) as stored."""
    from django.apps import apps
    from django.utils.text import capfirst

    app_label, _, model_name = (object_type or "").partition(".")
    if not model_name:
        return object_type
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return object_type
    return str(capfirst(model._meta.verbose_name))
