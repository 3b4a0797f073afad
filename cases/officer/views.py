"""The officer portal's request pages (``/officer/``): list and track the agency's requests,
file a new one, extend a preservation, withdraw.

The same services and selectors as the API (``cases.api``); the same gate
(``case_get_for_user``: another agency's reference is a 404). ``officer_required`` (the
portal's) turns away anyone who is not an officer in good standing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases.doubts import Doubt, intake_doubts
from cases.errors import ConcurrentUpdate
from cases.extensions import case_panels_for
from cases.forms import errors_to_form
from cases.models import Case, CaseStatus
from cases.officer.forms import (
    FORM_FIELDS,
    ExtendForm,
    RequestForm,
    StatusFilterForm,
    WithdrawForm,
)
from cases.officer.selectors import (
    agency_requests,
    preservation_of_request,
    request_view,
)
from cases.selectors import case_get_for_user
from cases.services import SubmissionKeyReused, case_submit, preservation_extend
from cases.views.common import upload_form_done
from cases.workflow import case_transition
from portal.audit.access import audit_exempt, audited
from portal.audit.models import Action
from portal.audit.services import access_event_record, access_list_record
from portal.datetimes import when
from portal.http import AuthenticatedHttpRequest
from portal.officers.views import officer_required

PAGE_SIZE = 25


@audited(Action.LIST, object_type="cases.case")
@officer_required
def request_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The officer's landing page: the agency's requests, newest first, by status."""
    filters = StatusFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    page = Paginator(agency_requests(request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    access_list_record(
        request=request,
        object_type="cases.case",
        objects=page.object_list,
        page=page.number,
        query={"status": status} if status else None,
    )
    return render(
        request,
        "cases/officer/list.html",
        {
            "officer": request.user.officer,
            "filters": filters,
            "page": page,
            "status": status,
            "now": timezone.now(),
        },
    )


@audit_exempt("the form shows no existing case data; case_intake logs the new request")
@require_http_methods(["GET", "POST"])
@officer_required
def request_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """File a request. On an error every typed value is kept; the document too when the
    page's script is on (it resubmits without reloading), else the page asks for it again."""
    agency = request.user.officer.agency
    form = RequestForm(request.POST or None, request.FILES or None, agency=agency)
    doubts: list[Doubt] = []
    if request.method == "POST" and form.is_valid():
        doubts = intake_doubts(form.intake_data())
        if doubts and not form.cleaned_data.get("doubts_confirmed"):
            # Say what looks wrong before filing; the officer confirms or corrects.
            return render(
                request,
                "cases/officer/new.html",
                {"form": form, "file_sent": bool(request.FILES), "doubts": doubts},
            )
        try:
            submission = case_submit(
                actor=request.user,
                key=form.cleaned_data["submission_key"],
                data=form.intake_data(),
                request=request,
            )
        except SubmissionKeyReused:
            form.add_error(None, _("This form was already sent with other values; reload it."))
        except ValidationError as error:
            errors_to_form(form, _renamed(error))
        else:
            case = submission.case
            messages.success(
                request,
                _("Request %(reference)s filed. Quote this reference in any message about it.")
                % {"reference": case.reference},
            )
            return upload_form_done(request, reverse("officer:request", args=[case.reference]))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "cases/officer/new.html",
        {"form": form, "file_sent": bool(request.FILES), "doubts": doubts},
        status=status,
    )


def _renamed(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    renamed: dict[str, list[str]] = {}
    for key, messages_ in error.message_dict.items():
        renamed.setdefault(FORM_FIELDS.get(key, key), []).extend(messages_)
    return ValidationError(renamed)


@audited(Action.VIEW, object_type="cases.case")
@officer_required
def request_detail(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Track one request: status, deadlines, holds, the public timeline, the actions."""
    case = case_get_for_user(request.user, reference, request=request)
    access_event_record(
        action=Action.VIEW, request=request, obj=case, case_reference=case.reference
    )
    return _detail(request, case)


def _detail(
    request: AuthenticatedHttpRequest,
    case: Case,
    *,
    withdraw_form: WithdrawForm | None = None,
    extend_form: ExtendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    view = request_view(case)
    return render(
        request,
        "cases/officer/detail.html",
        {
            "case": case,
            "view": view,
            "withdraw_form": withdraw_form or WithdrawForm(reference=case.reference),
            "extend_form": extend_form or ExtendForm(),
            "now": timezone.now(),
            "panels": case_panels_for(request, case, audience="officer"),
        },
        status=status,
    )


@audited(Action.UPDATE, object_type="cases.preservation")
@require_POST
@officer_required
def preservation_extend_view(
    request: AuthenticatedHttpRequest, reference: str, pk: int
) -> HttpResponse:
    """A renewed request: extend one hold of the request (the rules give the new expiry)."""
    case = case_get_for_user(request.user, reference, request=request)
    hold = preservation_of_request(case, pk)
    if hold is None:
        raise Http404
    form = ExtendForm(request.POST)
    if form.is_valid():
        try:
            hold = preservation_extend(
                preservation=hold,
                actor=request.user,
                note=form.cleaned_data["note"],
                request=request,
            )
        except (ConcurrentUpdate, ValidationError) as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Preservation extended until %(when)s.") % {"when": when(hold.expires_at)},
            )
            return HttpResponseRedirect(reverse("officer:request", args=[case.reference]))
    return _detail(request, case, extend_form=form, status=400)


@audited(Action.TRANSITION, object_type="cases.case")
@require_POST
@officer_required
def request_withdraw(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """The agency withdraws its request; staff see the reason on the case."""
    case = case_get_for_user(request.user, reference, request=request)
    form = WithdrawForm(request.POST, reference=case.reference)
    if form.is_valid():
        try:
            case_transition(
                case=case,
                to_status=CaseStatus.WITHDRAWN,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except (ConcurrentUpdate, ValidationError) as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(
                request, _("Request %(reference)s withdrawn.") % {"reference": case.reference}
            )
            return HttpResponseRedirect(reverse("officer:request", args=[case.reference]))
    return _detail(request, case, withdraw_form=form, status=400)
