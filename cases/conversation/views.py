"""Posting to the thread and downloading its files, from the staff case page and from the
officer's request page. The case comes through the case gate (another agency's reference is
the same logged 404 as a missing one); the service decides who may post."""

from __future__ import annotations

import uuid
from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.conversation.forms import MessageForm
from cases.conversation.panels import BOUND_FORM_ATTR
from cases.conversation.selectors import thread_attachment
from cases.conversation.services import MessageKeyReused, message_post
from cases.forms import errors_to_form
from cases.policy import CaseAction, CaseCapability
from cases.selectors import case_get_for_user
from cases.views.common import staff_required
from cases.views.files import file_response
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record
from portal.http import AuthenticatedHttpRequest
from portal.officers.views import officer_required


def _post(request: AuthenticatedHttpRequest, reference: str, *, officer: bool) -> HttpResponse:
    action = CaseAction.VIEW if officer else CaseAction.WORK
    case = case_get_for_user(request.user, reference, action=action)
    form = MessageForm(request.POST, request.FILES, auto_id="msg_%s")
    if form.is_valid():

        def send(key: str) -> None:
            message_post(
                case=case,
                author=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
                key=key,
            )

        try:
            try:
                send(form.cleaned_data["message_key"])
            except MessageKeyReused:
                # The page was sent before and then edited (Back, change, send): a person
                # wrote a new message, not a retry of the old one.
                send(uuid.uuid4().hex)
        except ValidationError as error:
            if hasattr(error, "error_dict") and "files" in error.error_dict:
                error.error_dict["attachments"] = error.error_dict.pop("files")
            errors_to_form(form, error)
        else:
            messages.success(request, _("Message sent."))
            page = "officer:request" if officer else "cases:detail"
            return HttpResponseRedirect(reverse(page, args=[case.reference]) + "#conversation")
    setattr(request, BOUND_FORM_ATTR, form)  # the panel shows it, with what was typed
    if officer:
        from cases.officer.views import _detail

        return _detail(request, case, status=400)
    from cases.views.case import case_page

    return case_page(request, case, status=400)


@audited(Action.CREATE, object_type="conversation.message")
@require_POST
@staff_required(CaseCapability.WORK_CASES)
def staff_post(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return _post(request, reference, officer=False)


@audited(Action.CREATE, object_type="conversation.message")
@require_POST
@officer_required
def officer_post(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    return _post(request, reference, officer=True)


def _download(request: AuthenticatedHttpRequest, reference: str, pk: int) -> FileResponse:
    case = case_get_for_user(request.user, reference)
    attachment = thread_attachment(case, pk)
    response = file_response(attachment.file, attachment.original_name, attachment.content_type)
    access_event_record(
        action=Action.DOWNLOAD,
        request=request,
        obj=attachment,
        case_reference=case.reference,
        details={"sha256": attachment.sha256, "name": attachment.original_name},
    )
    return response


@audited(Action.DOWNLOAD, object_type="conversation.messageattachment")
@require_GET
@staff_required(CaseCapability.WORK_CASES)
def staff_file(request: AuthenticatedHttpRequest, reference: str, pk: int) -> FileResponse:
    return _download(request, reference, pk)


@audited(Action.DOWNLOAD, object_type="conversation.messageattachment")
@require_GET
@officer_required
def officer_file(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    # A FileResponse streams; officer_required is typed for the HttpResponse of pages.
    return cast(HttpResponse, _download(request, reference, pk))
