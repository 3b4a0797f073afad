"""Template helpers for the access log: the case page's history and event formatting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import template
from django.utils.translation import gettext as _

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


# What the keys services write into ``details`` mean, as an auditor would say it; a key not
# named here is shown with its underscores as spaces.
_DETAIL_LABELS = {
    "ids": _("objects shown"),
    "shown": _("rows shown"),
    "page": _("page"),
    "query": _("searched for"),
    "reason": _("reason"),
    "sha256": _("file SHA-256"),
    "pdf_sha256": _("PDF SHA-256"),
    "zip_sha256": _("ZIP SHA-256"),
    "name": _("file name"),
    "what": _("what"),
    "why": _("why"),
    "status": _("status"),
    "allowed": _("allowed"),
    "step": _("sign-in step"),
    "device": _("second factor"),
    "user": _("user"),
    "prefix": _("token prefix"),
    "ok": _("verified"),
    "size": _("size (bytes)"),
}
_VALUE_MAX = 120  # characters of one value in the table; the CSV has everything


@register.filter
def audit_details(details: Any) -> list[tuple[str, str]]:
    """The event's details as (label, value) lines in words: "objects shown: 3 (12, 14,
    15)", "searched for: q = newcomer", "verified: yes" rather than raw JSON."""
    if not isinstance(details, dict):
        return [(str(_("details")), _detail_value(details))] if details else []
    return [
        (str(_DETAIL_LABELS.get(key, key.replace("_", " "))), _detail_value(value))
        for key, value in sorted(details.items())
    ]


def _detail_value(value: Any) -> str:
    if isinstance(value, bool):
        text = str(_("yes") if value else _("no"))
    elif value is None or value == "":
        text = "—"
    elif isinstance(value, list):
        shown = ", ".join(_detail_value(item) for item in value[:10])
        more = " …" if len(value) > 10 else ""
        text = f"{len(value)} ({shown}{more})"
    elif isinstance(value, dict):
        text = "; ".join(f"{k} = {_detail_value(v)}" for k, v in sorted(value.items()))
    else:
        text = str(value)
    return text if len(text) <= _VALUE_MAX else text[: _VALUE_MAX - 1] + "…"


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


@register.filter
def action_label(action: str) -> str:
    """The action in words ("failed sign-in" for ``login_failed``); another app's own
    action as stored."""
    from portal.audit.models import Action

    try:
        return str(Action(action).label)
    except ValueError:
        return action
