"""One case's page: everything about the case, and a form for each action the viewer may
take (the forms post to ``cases.views.actions``).

The case comes through the one gate (``case_get_for_user``), so a missing and a forbidden
case are the same 404; which forms show is asked of the gate too (``work``, ``supervise``)
and of the workflow (``transitions_available``), never decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.casework import Work, work_refusal
from cases.extensions import case_panels_for
from cases.forms import (
    AssignForm,
    AssignSelfForm,
    AttachmentForm,
    DeadlineOverrideForm,
    NoteForm,
    PreservationExtendForm,
    PreservationReleaseForm,
    TeamChangeForm,
    TransitionForm,
    UserNoticeForm,
)
from cases.holds import hold_can_extend, hold_in_force
from cases.models import Case, DeadlineStatus
from cases.policy import CaseCapability, case_allows, may_be_assigned
from cases.selectors import (
    CaseAction,
    assignable_users,
    case_deadlines,
    case_get_for_user,
    case_timeline,
    cases_also_requesting,
)
from cases.services import user_notice_applies
from cases.views.common import staff_required
from cases.workflow import (
    TRANSITIONS,
    transition_blocked,
    transitions_available,
)
from portal.accounts.roles import ROLE_LABELS, Role
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record

ACCESS_HISTORY_TEMPLATE = "audit/_case_history.html"
ALSO_SHOWN = 5  # other cases listed per target before "and N more"
DANGER_TARGETS = frozenset({"rejected", "withdrawn"})


@dataclass
class TransitionButton:
    name: str
    label: str
    needs_reason: bool
    tone: str
    form: TransitionForm


def _access_history_template() -> str | None:
    try:
        get_template(ACCESS_HISTORY_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return ACCESS_HISTORY_TEMPLATE


def _processes(user: Any, case: Case) -> list[dict[str, Any]]:
    """Each process with its targets and, per target, the other cases naming it."""
    processes = list(case.processes.prefetch_related("targets").order_by("received_at", "pk"))
    normalised = sorted({t.normalised for p in processes for t in p.targets.all()})
    also: dict[str, list[Case]] = {}
    for row in cases_also_requesting(user, case, limit=50, normalised=normalised):
        also.setdefault(row["target"].normalised, []).append(row["case"])
    result = []
    for process in processes:
        targets = []
        for target in process.targets.all():
            others = also.get(target.normalised, [])
            targets.append(
                {
                    "target": target,
                    "also": [
                        {
                            "reference": other.reference,
                            "agency_name": other.agency.name if other.agency else "",
                        }
                        for other in others[:ALSO_SHOWN]
                    ],
                    "also_more": max(len(others) - ALSO_SHOWN, 0),
                }
            )
        result.append({"process": process, "targets": targets})
    return result


def _waiting(case: Case, user: Any, available: list[str]) -> list[dict[str, Any]]:
    """Steps from the current status that others may take ("Approve (Legal, Supervisor)"),
    read from the transition table, so a responder sees why no button moves the case on."""
    found: list[dict[str, Any]] = []
    for step in TRANSITIONS:
        if step.source != case.status or step.name in available:
            continue
        if transition_blocked(case, step):
            continue
        labels = [str(ROLE_LABELS[r]) for r in sorted(step.roles - {Role.OFFICER})]
        if labels and not any(w["label"] == str(step.label) for w in found):
            found.append({"label": str(step.label), "roles": labels})
    return found


def case_page(
    request: HttpRequest,
    case: Case,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the case page and log the read. ``bound`` replaces default forms by the
    ones that failed (keys: ``transition:<target>``, ``assign``, ``note``, ``attachment``,
    ``notice``, ``team``, ``override:<pk>``, ``extend:<pk>``, ``release:<pk>``)."""
    bound = bound or {}
    user = request.user
    can_work = case_allows(user, case, CaseAction.WORK)
    can_supervise = can_work and case_allows(user, case, CaseAction.SUPERVISE)
    now = timezone.now()

    transitions: list[TransitionButton] = []
    if can_work:
        for t in transitions_available(case, user):
            form = bound.get(f"transition:{t.target}") or TransitionForm(
                initial={"to_status": t.target, "expected_status": case.status},
                reason_required=t.reason_required,
                auto_id=f"id_{t.target}_%s",
            )
            tone = "danger" if t.target in DANGER_TARGETS else ""
            first_plain = not any(b.tone == "primary" for b in transitions)
            if not tone and not t.reason_required and first_plain:
                tone = "primary"  # the step forward; the others are quieter
            transitions.append(
                TransitionButton(t.name, str(t.label), t.reason_required, tone, form)
            )

    waiting = _waiting(case, user, [t.name for t in transitions])

    assign_form = assign_self_form = None
    assign_refusal = work_refusal(case, Work.ASSIGN)
    if can_work and not assign_refusal:
        users = assignable_users(case)
        assign_form = bound.get("assign") or AssignForm(
            users=users, initial={"assignee": case.assignee_id}
        )
        mine = case.assignee_id == user.pk
        if case.is_open and not mine and may_be_assigned(user, case):
            assign_self_form = AssignSelfForm(initial={"assignee": user.pk}, prefix="self")

    deadlines = []
    for deadline in case_deadlines(case):
        override = None
        if can_supervise and deadline.status == DeadlineStatus.OPEN:
            override = bound.get(f"override:{deadline.pk}") or DeadlineOverrideForm(
                prefix=f"d{deadline.pk}",
                initial={"due_at": timezone.localtime(deadline.due_at).replace(second=0)},
            )
        deadlines.append({"deadline": deadline, "override_form": override})

    preservations = []
    for hold in case.preservations.select_related("process").order_by("expires_at", "pk"):
        extend = release = None
        if can_work and hold_in_force(hold):
            if hold_can_extend(hold):
                extend = bound.get(f"extend:{hold.pk}") or PreservationExtendForm(
                    prefix=f"x{hold.pk}"
                )
            release = bound.get(f"release:{hold.pk}") or PreservationReleaseForm(
                prefix=f"r{hold.pk}"
            )
        preservations.append({"preservation": hold, "extend_form": extend, "release_form": release})

    notice_form = None
    if can_work and user_notice_applies(case) and not work_refusal(case, Work.USER_NOTICE):
        notice_form = bound.get("notice") or UserNoticeForm(
            prefix="notice",
            initial={
                "status": case.user_notice_status,
                "reason": case.user_notice_withheld_reason,
                "note": case.user_notice_note,
            },
        )

    processes = _processes(user, case)
    first = processes[0]["process"] if processes else None
    context = {
        "case": case,
        "now": now,
        "authority": first.issuing_authority if first else "",
        "transitions": transitions,
        "waiting": waiting,
        "assign_form": assign_form,
        "assign_self_form": assign_self_form,
        "assign_refusal": assign_refusal,
        "deadlines": deadlines,
        "processes": processes,
        "preservations": preservations,
        "notes": list(case.notes.select_related("author").order_by("-created_at", "-pk")),
        "note_form": (bound.get("note") or NoteForm(prefix="note"))
        if can_work and not work_refusal(case, Work.NOTE)
        else None,
        "attachments": list(case.attachments.order_by("created_at", "pk")),
        "attachment_form": (bound.get("attachment") or AttachmentForm(prefix="file"))
        if can_work and not work_refusal(case, Work.ATTACH)
        else None,
        "notice_form": notice_form,
        "team_form": (
            bound.get("team") or TeamChangeForm(prefix="team", initial={"team": case.team_id})
        )
        if can_supervise
        else None,
        "timeline": list(case_timeline(case).order_by("-at", "-pk")),
        "access_history_template": _access_history_template(),
        "panels": case_panels_for(request, case),
    }
    access_event_record(
        action=Action.VIEW,
        request=request,
        obj=case,
        case_reference=case.reference,
    )
    return render(request, "cases/detail.html", context, status=status)


@require_GET
@audited(Action.VIEW, object_type="cases.case")
@staff_required(CaseCapability.WORK_CASES)
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference)
    return case_page(request, case)
