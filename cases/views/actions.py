"""POST endpoints of the case page: one per action, each calling one service.

Every endpoint fetches the case through the one gate (``case_get_for_user``) with the action
it needs (``work`` or ``supervise``), so a missing and a forbidden case are the same 404. A
``ValidationError`` from the service (including "someone else moved this case", a
compare-and-set conflict) is shown on the page next to the form that caused it, with the
person's input kept; success redirects back to the page (post/redirect/get), so a reload
never repeats an action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.forms import (
    AssignForm,
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
from cases.models import Case, Preservation
from cases.policy import CaseCapability, case_allows
from cases.selectors import (
    CaseAction,
    assignable_users,
    case_deadlines,
    case_get_for_user,
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
from cases.views.case import case_page
from cases.views.common import staff_required
from cases.workflow import case_transition, transition_get
from portal.audit.access import audited
from portal.audit.models import Action


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
    success; the page with the form's errors (400) when the input is wrong. When the
    rules refuse the action itself (someone else changed the case, a hold that cannot be
    extended any more), that is a message at the top: the form may no longer apply."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:  # ConcurrentUpdate is one too
            errors_to_form(form, exc)
        else:
            if success:
                messages.success(request, success)
            return _back(case, anchor)
    field_errors = [name for name in form.errors if name != NON_FIELD_ERRORS]
    if not field_errors:
        for error in form.non_field_errors():  # str at run time; the stubs allow ValidationError
            messages.error(request, str(error))
        return _back(case, anchor)
    return case_page(request, case, bound={key: form}, status=400)


def _action_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The decorators every action endpoint carries, outermost first."""
    view = staff_required(CaseCapability.WORK_CASES)(view)
    view = audited(Action.UPDATE, object_type="cases.case")(view)
    return require_POST(view)


@_action_view
def transition(request: HttpRequest, reference: str) -> HttpResponse:
    """One workflow button. Problems with the step itself (not allowed, someone else moved
    the case, a guard) come back as a message at the top; a missing reason comes back on
    the form, with what was typed kept."""
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK)
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
            messages.error(request, str(error))
        return _back(case)
    return case_page(request, case, bound={f"transition:{target}": form}, status=400)


@_action_view
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK)
    users = assignable_users(case)
    if "self-assignee" in request.POST:
        if str(request.user.pk) != request.POST.get("self-assignee"):
            raise Http404
        form: forms.Form = AssignForm({"assignee": request.user.pk}, users=users)
    else:
        form = AssignForm(request.POST, users=users)

    def call(data: dict[str, Any]) -> None:
        case_assign(case=case, assignee=data["assignee"], actor=request.user)

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
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK)
    form = NoteForm(request.POST, prefix="note")

    def call(data: dict[str, Any]) -> None:
        note_add(case=case, author=request.user, body=data["body"])

    return _run(request, case, form, "note", call, success=_("Note added."), anchor="notes")


@_action_view
def attachment_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK)
    form = AttachmentForm(request.POST, request.FILES, prefix="file")

    def call(data: dict[str, Any]) -> None:
        attachment_add(
            case=case,
            actor=request.user,
            file=data["file"],
            description=data.get("description", ""),
        )

    return _run(
        request, case, form, "attachment", call, success=_("File attached."), anchor="attachments"
    )


@_action_view
def user_notice(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK)
    form = UserNoticeForm(request.POST, prefix="notice")

    def call(data: dict[str, Any]) -> None:
        user_notice_update(
            case=case,
            status=data["status"],
            reason=data.get("reason", ""),
            note=data.get("note", ""),
            actor=request.user,
        )

    return _run(
        request, case, form, "notice", call, success=_("User notice updated."), anchor="user-notice"
    )


@_action_view
def team_change(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.SUPERVISE)
    form = TeamChangeForm(request.POST, prefix="team")

    def call(data: dict[str, Any]) -> None:
        case_team_change(
            case=case,
            team=data["team"],
            reason=data["reason"],
            actor=request.user,
        )

    response = _run(
        request, case, form, "team", call, success=_("Case moved to another team."), anchor=""
    )
    if response.status_code == 302:
        case.refresh_from_db(fields=["team"])  # the service moved its own locked copy
        if not case_allows(request.user, case, CaseAction.VIEW):
            return HttpResponseRedirect(reverse("cases:queue"))  # out of the user's teams
    return response


@_action_view
def deadline_override_view(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.SUPERVISE)
    deadline = case_deadlines(case).filter(pk=pk).first()
    if deadline is None:
        raise Http404
    form = DeadlineOverrideForm(request.POST, prefix=f"d{deadline.pk}")

    def call(data: dict[str, Any]) -> None:
        deadline_override(
            deadline=deadline,
            due_at=data["due_at"],
            reason=data["reason"],
            missed=data.get("missed", False),
            actor=request.user,
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


def _hold(case: Case, pk: int) -> Preservation:
    hold = case.preservations.select_related("process").filter(pk=pk).first()
    if hold is None:
        raise Http404
    return hold


@_action_view
def preservation_extend_view(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK)
    hold = _hold(case, pk)
    form = PreservationExtendForm(request.POST, prefix=f"x{hold.pk}")

    def call(data: dict[str, Any]) -> None:
        preservation_extend(preservation=hold, actor=request.user, note=data.get("note", ""))

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
    case = case_get_for_user(request.user, reference, action=CaseAction.WORK)
    hold = _hold(case, pk)
    form = PreservationReleaseForm(request.POST, prefix=f"r{hold.pk}")

    def call(data: dict[str, Any]) -> None:
        preservation_release(preservation=hold, actor=request.user, reason=data["reason"])

    return _run(
        request,
        case,
        form,
        f"release:{hold.pk}",
        call,
        success=_("Preservation released."),
        anchor="preservations",
    )
