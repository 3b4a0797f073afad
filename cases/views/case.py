"""One case: the page, and one POST endpoint per action on it.

Every endpoint fetches the case through the one gate (``case_get_for_user``), so a missing
and a forbidden case are the same 404. Actions call one service each; a ``ValidationError``
from the service (including "someone else moved this case", a compare-and-set conflict) is
shown on the page next to the form that caused it, with the person's input kept. Success
redirects back to the page (post/redirect/get), so a reload never repeats an action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.errors import ConcurrentUpdate
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
    errors_to_form,
)
from cases.models import Case, CaseType, DeadlineStatus, PreservationStatus
from cases.rules import MAX_PRESERVATION_EXTENSIONS
from cases.selectors import (
    CaseAction,
    assignable_users,
    case_deadlines,
    case_get_for_user,
    case_timeline,
    cases_also_requesting,
    cases_visible_to,
)
from cases.services import (
    attachment_add,
    case_assign,
    case_team_change,
    deadline_override,
    note_add,
    preservation_extend,
    preservation_release,
    user_notice_update,
)
from cases.views.common import staff_required
from cases.workflow import (
    TRANSITIONS,
    case_transition,
    transition_get,
    transitions_available,
)
from portal.accounts.roles import ROLE_LABELS, Capability, Role
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record

ACCESS_HISTORY_TEMPLATE = "audit/_case_history.html"
ALSO_SHOWN = 5  # other cases listed per target before "and N more"
IN_FORCE = (PreservationStatus.ACTIVE, PreservationStatus.EXTENDED)
DANGER_TARGETS = frozenset({"rejected", "withdrawn"})


@dataclass
class TransitionButton:
    name: str
    label: str
    needs_reason: bool
    tone: str
    form: TransitionForm


def _can(user: Any, case: Case, action: CaseAction) -> bool:
    """Whether the gate would let ``user`` take ``action`` on this (already visible) case."""
    return cases_visible_to(user, action).filter(pk=case.pk).exists()


def _access_history_template() -> str | None:
    try:
        get_template(ACCESS_HISTORY_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return ACCESS_HISTORY_TEMPLATE


def _processes(user: Any, case: Case) -> list[dict[str, Any]]:
    """Each process with its targets and, per target, the other cases naming it."""
    also: dict[str, list[Case]] = {}
    for row in cases_also_requesting(user, case, limit=50):
        also.setdefault(row["target"].normalised, []).append(row["case"])
    result = []
    for process in case.processes.prefetch_related("targets").order_by("received_at", "pk"):
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
        if step.guard and step.guard(case):
            continue
        labels = [str(ROLE_LABELS[r]) for r in sorted(step.roles - {Role.OFFICER})]
        if labels and not any(w["label"] == str(step.label) for w in found):
            found.append({"label": str(step.label), "roles": labels})
    return found


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the case page. ``bound`` replaces default forms by the ones that failed
    (keys: ``transition:<target>``, ``assign``, ``note``, ``attachment``, ``notice``,
    ``team``, ``override:<pk>``, ``extend:<pk>``, ``release:<pk>``)."""
    bound = bound or {}
    user = request.user
    can_work = _can(user, case, CaseAction.WORK)
    can_supervise = can_work and _can(user, case, CaseAction.SUPERVISE)
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
            if not tone and not transitions:
                tone = "primary"
            transitions.append(
                TransitionButton(t.name, str(t.label), t.reason_required, tone, form)
            )

    waiting = _waiting(case, user, [t.name for t in transitions])

    assign_form = assign_self_form = None
    if can_work:
        users = assignable_users(case)
        assign_form = bound.get("assign") or AssignForm(
            users=users, initial={"assignee": case.assignee_id}
        )
        if case.assignee_id != user.pk and users.filter(pk=user.pk).exists():
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
        if can_work and hold.status in IN_FORCE:
            allowed = MAX_PRESERVATION_EXTENSIONS.get(hold.process.kind, 0)
            if hold.extension_count < allowed:
                extend = bound.get(f"extend:{hold.pk}") or PreservationExtendForm(
                    prefix=f"x{hold.pk}"
                )
            release = bound.get(f"release:{hold.pk}") or PreservationReleaseForm(
                prefix=f"r{hold.pk}"
            )
        preservations.append({"preservation": hold, "extend_form": extend, "release_form": release})

    notice_form = None
    if can_work and case.case_type == CaseType.REQUEST:
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
        "deadlines": deadlines,
        "processes": processes,
        "preservations": preservations,
        "notes": list(case.notes.select_related("author").order_by("-created_at", "-pk")),
        "note_form": (bound.get("note") or NoteForm(prefix="note")) if can_work else None,
        "attachments": list(case.attachments.order_by("created_at", "pk")),
        "attachment_form": (bound.get("attachment") or AttachmentForm(prefix="file"))
        if can_work
        else None,
        "notice_form": notice_form,
        "team_form": (
            bound.get("team") or TeamChangeForm(prefix="team", initial={"team": case.team_id})
        )
        if can_supervise
        else None,
        "timeline": list(case_timeline(case).order_by("-at", "-pk")),
        "access_history_template": _access_history_template(),
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
@staff_required(Capability.WORK_CASES)
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference, request=request)
    return _case_page(request, case)


# --- actions ---------------------------------------------------------------------------------


def _back(case: Case, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("cases:detail", args=[case.reference])
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


def _run(
    request: HttpRequest,
    case: Case,
    form: forms.Form,
    key: str,
    call: Callable[[dict[str, Any]], Any],
    *,
    success: str,
    anchor: str,
) -> HttpResponse:
    """Validate ``form``, call the service, and answer: a redirect with a message on
    success; the page with the form's errors (400) when the input or the rules say no."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ConcurrentUpdate as exc:
            messages.error(request, " ".join(exc.messages))
            return _back(case, anchor)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            if success:
                messages.success(request, success)
            return _back(case, anchor)
    return _case_page(request, case, bound={key: form}, status=400)


def _action_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The decorators every action endpoint carries, outermost first."""
    view = staff_required(Capability.WORK_CASES)(view)
    view = audited(Action.UPDATE, object_type="cases.case")(view)
    return require_POST(view)


@_action_view
def transition(request: HttpRequest, reference: str) -> HttpResponse:
    """One workflow button. Problems with the step itself (not allowed, someone else moved
    the case, a guard) come back as a message at the top; a missing reason comes back on
    the form, with what was typed kept."""
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK, request=request)
    target = request.POST.get("to_status", "")
    step = transition_get(request.POST.get("expected_status") or case.status, target)
    form = TransitionForm(
        request.POST,
        reason_required=bool(step and step.reason_required),
        auto_id=f"id_{target}_%s",
    )
    if form.has_error("to_status") or form.has_error("expected_status"):
        messages.error(request, _("That step does not exist; reload the case."))
        return _back(case)
    if form.is_valid():
        data = form.cleaned_data
        try:
            outcome = case_transition(
                case=case,
                to_status=data["to_status"],
                expected_status=data["expected_status"],
                reason=data.get("reason", ""),
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:  # ConcurrentUpdate is one too
            errors_to_form(form, exc)
        else:
            if outcome.moved:
                messages.success(
                    request,
                    _("%(reference)s is now “%(status)s”.")
                    % {
                        "reference": outcome.case.reference,
                        "status": outcome.case.get_status_display(),
                    },
                )
            else:
                messages.info(
                    request,
                    _("Your approval is recorded (%(count)s so far); another person must approve.")
                    % {"count": len(outcome.approvals)},
                )
            return _back(case)
    if form.non_field_errors() and not form.has_error("reason"):
        for error in form.non_field_errors():
            messages.error(request, error)
        return _back(case)
    return _case_page(request, case, bound={f"transition:{target}": form}, status=400)


@_action_view
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK, request=request)
    users = assignable_users(case)
    if "self-assignee" in request.POST:
        if str(request.user.pk) != request.POST.get("self-assignee"):
            raise Http404
        form: forms.Form = AssignForm({"assignee": request.user.pk}, users=users)
    else:
        form = AssignForm(request.POST, users=users)

    def call(data: dict[str, Any]) -> None:
        case_assign(case=case, assignee=data["assignee"], actor=request.user, request=request)

    assignee = form.data.get("assignee")
    if str(assignee) == str(request.user.pk):
        success = _("%(reference)s is assigned to you.") % {"reference": case.reference}
    elif assignee:
        success = _("Assignee changed.")
    else:
        success = _("%(reference)s is unassigned.") % {"reference": case.reference}
    return _run(request, case, form, "assign", call, success=success, anchor="")


@_action_view
def note_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK, request=request)
    form = NoteForm(request.POST, prefix="note")

    def call(data: dict[str, Any]) -> None:
        note_add(case=case, author=request.user, body=data["body"], request=request)

    return _run(request, case, form, "note", call, success=_("Note added."), anchor="notes")


@_action_view
def attachment_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK, request=request)
    form = AttachmentForm(request.POST, request.FILES, prefix="file")

    def call(data: dict[str, Any]) -> None:
        attachment_add(
            case=case,
            actor=request.user,
            file=data["file"],
            description=data.get("description", ""),
            request=request,
        )

    return _run(
        request, case, form, "attachment", call, success=_("File attached."), anchor="attachments"
    )


@_action_view
def user_notice(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK, request=request)
    if case.case_type != CaseType.REQUEST:
        raise Http404
    form = UserNoticeForm(request.POST, prefix="notice")

    def call(data: dict[str, Any]) -> None:
        user_notice_update(
            case=case,
            status=data["status"],
            reason=data.get("reason", ""),
            note=data.get("note", ""),
            actor=request.user,
            request=request,
        )

    return _run(
        request, case, form, "notice", call, success=_("User notice updated."), anchor="user-notice"
    )


@_action_view
def team_change(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.SUPERVISE, request=request)
    form = TeamChangeForm(request.POST, prefix="team")

    def call(data: dict[str, Any]) -> None:
        case_team_change(
            case=case,
            team=data["team"],
            reason=data["reason"],
            actor=request.user,
            request=request,
        )

    response = _run(
        request, case, form, "team", call, success=_("Case moved to another team."), anchor=""
    )
    if response.status_code == 302 and not _can(request.user, case, CaseAction.VIEW):
        return HttpResponseRedirect(reverse("cases:queue"))  # moved out of the user's teams
    return response


@_action_view
def deadline_override_view(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.SUPERVISE, request=request)
    deadline = case_deadlines(case).filter(pk=pk).first()
    if deadline is None:
        raise Http404
    form = DeadlineOverrideForm(request.POST, prefix=f"d{deadline.pk}")

    def call(data: dict[str, Any]) -> None:
        deadline_override(
            deadline=deadline,
            due_at=data["due_at"],
            reason=data["reason"],
            actor=request.user,
            request=request,
        )

    return _run(
        request,
        case,
        form,
        f"override:{deadline.pk}",
        call,
        success=_("Deadline moved."),
        anchor="deadlines",
    )


def _hold(case: Case, pk: int):
    hold = case.preservations.select_related("process").filter(pk=pk).first()
    if hold is None:
        raise Http404
    return hold


@_action_view
def preservation_extend_view(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK, request=request)
    hold = _hold(case, pk)
    form = PreservationExtendForm(request.POST, prefix=f"x{hold.pk}")

    def call(data: dict[str, Any]) -> None:
        preservation_extend(
            preservation=hold, actor=request.user, note=data.get("note", ""), request=request
        )

    return _run(
        request,
        case,
        form,
        f"extend:{hold.pk}",
        call,
        success=_("Preservation extended."),
        anchor="preservations",
    )


@_action_view
def preservation_release_view(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK, request=request)
    hold = _hold(case, pk)
    form = PreservationReleaseForm(request.POST, prefix=f"r{hold.pk}")

    def call(data: dict[str, Any]) -> None:
        preservation_release(
            preservation=hold, actor=request.user, reason=data["reason"], request=request
        )

    return _run(
        request,
        case,
        form,
        f"release:{hold.pk}",
        call,
        success=_("Preservation released."),
        anchor="preservations",
    )
