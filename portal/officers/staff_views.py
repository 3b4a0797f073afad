"""Staff pages (``/officers/``): pending applications, call-back verification, suspension
of officers and agencies. Only users with ``Capability.MANAGE_OFFICERS`` see anything."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.accounts.enrolment import officer_enrolment_link_send
from portal.accounts.models import Agency, Officer
from portal.accounts.onboarding import (
    agency_reinstate,
    agency_suspend,
    officer_approve,
    officer_reinstate,
    officer_reject,
    officer_suspend,
)
from portal.accounts.onboarding_risk import officer_risk_signals
from portal.accounts.roles import Capability, has_capability
from portal.accounts.tokens import api_token_revoke
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record
from portal.http import AuthenticatedHttpRequest
from portal.officers.forms import ApproveForm, NoteForm
from portal.officers.selectors import (
    agencies_visible_to,
    agency_get_for_staff,
    api_token_get_for_staff,
    officer_get_for_staff,
    officers_visible_to,
)

STATUS_TABS = [
    Officer.Status.APPLIED,
    Officer.Status.VERIFIED,
    Officer.Status.SUSPENDED,
    Officer.Status.REJECTED,
]


def _require_capability(request: AuthenticatedHttpRequest) -> None:
    if not has_capability(request.user, Capability.MANAGE_OFFICERS):
        raise Http404


@audited(Action.LIST, object_type="accounts.officer")
def officer_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_capability(request)
    status = request.GET.get("status", Officer.Status.APPLIED)
    if status not in STATUS_TABS:
        status = Officer.Status.APPLIED
    officers = officers_visible_to(request.user).filter(status=status).order_by("created_at")
    access_event_record(
        action=Action.LIST,
        request=request,
        object_type="accounts.officer",
        details={"status": status},
    )
    return render(
        request,
        "officers/list.html",
        {
            "officers": officers,
            "status": status,
            "tabs": [(s, Officer.Status(s).label) for s in STATUS_TABS],
            "agencies": agencies_visible_to(request.user),
        },
    )


@audited(Action.VIEW, object_type="accounts.officer")
def officer_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    officer = officer_get_for_staff(request.user, pk)
    access_event_record(action=Action.VIEW, request=request, obj=officer)
    return _render_detail(request, officer)


def _render_detail(
    request: AuthenticatedHttpRequest,
    officer: Officer,
    approve_form: forms.Form | None = None,
    note_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "officers/detail.html",
        {
            "officer": officer,
            "agency": officer.agency,
            "signals": officer_risk_signals(officer),
            "approve_form": approve_form or ApproveForm(),
            "note_form": note_form or NoteForm(),
            "tokens": officer.user.api_tokens.all(),
        },
        status=status,
    )


def _officer_action(
    service: Callable[..., bool],
    done: str | Promise,
    stale: str | Promise,
    form_class: type[forms.Form] = NoteForm,
    field: str = "reason",
) -> Callable[..., HttpResponse]:
    """One POST endpoint per action: validate the note, call the service, say what happened."""

    @audited(Action.UPDATE, object_type="accounts.officer")
    @require_POST
    def view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        officer = officer_get_for_staff(request.user, pk)
        form = form_class(request.POST)
        if not form.is_valid():
            kwargs = {"approve_form": form} if form_class is ApproveForm else {"note_form": form}
            return _render_detail(request, officer, status=400, **kwargs)
        try:
            changed = service(
                officer=officer,
                actor=request.user,
                **{field: form.cleaned_data["note"]},
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("officers:detail", pk=officer.pk)
        if changed:
            messages.success(request, str(done))
        else:
            messages.warning(request, str(stale))
        return redirect("officers:detail", pk=officer.pk)

    return view


_STALE = gettext_lazy(
    "Nothing changed: the officer's status had already changed. Check the page again."
)
officer_approve_view = _officer_action(
    officer_approve,
    gettext_lazy("Officer verified; an enrolment link was e-mailed."),
    _STALE,
    ApproveForm,
    "note",
)
officer_reject_view = _officer_action(
    officer_reject, gettext_lazy("Application rejected."), _STALE, field="note"
)
officer_suspend_view = _officer_action(
    officer_suspend, gettext_lazy("Officer suspended: tokens and sessions stopped."), _STALE
)
officer_reinstate_view = _officer_action(
    officer_reinstate, gettext_lazy("Officer reinstated."), _STALE
)


@audited(Action.UPDATE, object_type="accounts.officer")
@require_POST
def officer_enrolment_link_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    officer = officer_get_for_staff(request.user, pk)
    if officer.status != Officer.Status.VERIFIED:
        raise Http404
    officer_enrolment_link_send(officer=officer, actor=request.user)
    messages.success(
        request, _("A new enrolment link was e-mailed to %(e)s.") % {"e": officer.user.email}
    )
    return redirect("officers:detail", pk=officer.pk)


@audited(Action.UPDATE, object_type="accounts.apitoken")
@require_POST
def officer_token_revoke_view(
    request: AuthenticatedHttpRequest, pk: int, token_pk: int
) -> HttpResponse:
    officer = officer_get_for_staff(request.user, pk)
    token = api_token_get_for_staff(request.user, token_pk)
    if token.user_id != officer.user_id:
        raise Http404
    if api_token_revoke(token=token, actor=request.user):
        messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("officers:detail", pk=officer.pk)


@audited(Action.VIEW, object_type="accounts.agency")
def agency_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    agency = agency_get_for_staff(request.user, pk)
    access_event_record(action=Action.VIEW, request=request, obj=agency)
    return _render_agency(request, agency)


def _render_agency(
    request: AuthenticatedHttpRequest,
    agency: Agency,
    note_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "officers/agency.html",
        {
            "agency": agency,
            "officers": officers_visible_to(request.user).filter(agency=agency),
            "note_form": note_form or NoteForm(),
        },
        status=status,
    )


def _agency_action(service: Callable[..., bool], done: str) -> Callable[..., HttpResponse]:
    @audited(Action.UPDATE, object_type="accounts.agency")
    @require_POST
    def view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        agency = agency_get_for_staff(request.user, pk)
        form = NoteForm(request.POST)
        if not form.is_valid():
            return _render_agency(request, agency, note_form=form, status=400)
        if service(agency=agency, actor=request.user, reason=form.cleaned_data["note"]):
            messages.success(request, done)
        else:
            messages.warning(
                request, _("Nothing changed: the agency's status had already changed.")
            )
        return redirect("officers:agency", pk=agency.pk)

    return view


agency_suspend_view = _agency_action(
    agency_suspend, _("Agency suspended: its officers' tokens and sessions stopped.")
)
agency_reinstate_view = _agency_action(agency_reinstate, _("Agency reinstated."))
