"""Web endpoints of disclosures: the case page's POSTs, downloads, and the verify page.

Staff POSTs follow ``cases/views/actions.py``: the case through the one gate with
``work``, one service call, post/redirect/get on success, the page again with the bound
form (400) on a field error, a message at the top when the step itself is refused.
Officer downloads need the officer session *and* the signed link (``links``): another
agency's production, an expired link and a wrong token all answer the same 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.forms import errors_to_form
from cases.policy import CaseAction, CaseCapability, acts_as_officer, officer_agency_id
from cases.selectors import case_get_for_user
from cases.views.common import staff_required
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record
from portal.http import AuthenticatedHttpRequest
from portal.officers.views import officer_required
from reports.disclosures import services
from reports.disclosures.files import read_upload
from reports.disclosures.forms import DisclosureForm, ProducedFileForm, ReturnForm, VerifyForm
from reports.disclosures.links import download_allowed
from reports.disclosures.models import Disclosure, DisclosurePackage, PackageStatus
from reports.disclosures.panels import BOUND_FORMS_ATTR
from reports.disclosures.policy import may_verify
from reports.disclosures.selectors import disclosure_get
from reports.disclosures.verify import disclosure_verify


def _back(reference: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("cases:detail", args=[reference]) + "#disclosures")


def _page_with(request: HttpRequest, case: Any, key: Any, form: Any) -> HttpResponse:
    from cases.views.case import case_page

    setattr(request, BOUND_FORMS_ATTR, {key: form})
    return case_page(request, case, status=400)


def _attempt(
    request: HttpRequest,
    case: Any,
    call: Callable[[], Any],
    *,
    success: str,
    form: Any = None,
    key: Any = None,
) -> HttpResponse:
    try:
        call()
    except ValidationError as error:
        if form is not None:
            errors_to_form(form, error)
            if any(name != NON_FIELD_ERRORS for name in form.errors):
                return _page_with(request, case, key, form)
            for message in form.non_field_errors():
                messages.error(request, str(message))
        else:
            for message in error.messages:
                messages.error(request, message)
        return _back(case.reference)
    messages.success(request, success)
    return _back(case.reference)


def _action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    view = staff_required(CaseCapability.WORK_CASES)(view)
    view = audited(Action.UPDATE, object_type="disclosures.disclosure")(view)
    return require_POST(view)


def _work_case(request: HttpRequest, reference: str) -> Any:
    return case_get_for_user(request.user, reference, action=CaseAction.WORK)


@_action
def create(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case = _work_case(request, reference)
    form = DisclosureForm(request.POST, case=case)
    if not form.is_valid():
        return _page_with(request, case, "create", form)
    return _attempt(
        request,
        case,
        lambda: services.disclosure_create(case=case, actor=request.user, data=form.as_input()),
        success=_("Disclosure started."),
        form=form,
        key="create",
    )


@_action
def file_add(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _work_case(request, reference)
    disclosure = disclosure_get(case, pk)
    form = ProducedFileForm(request.POST, request.FILES, case=case, disclosure=disclosure)
    key = ("file", disclosure.pk)
    if not form.is_valid():
        return _page_with(request, case, key, form)

    def call() -> None:
        upload = form.cleaned_data.get("file")
        services.disclosure_file_add(
            disclosure=disclosure,
            actor=request.user,
            name=upload.name if upload else "",
            data=read_upload(upload) if upload else b"",
            attachment=form.cleaned_data.get("attachment"),
            record_count=form.cleaned_data.get("record_count"),
        )

    return _attempt(request, case, call, success=_("File added."), form=form, key=key)


@_action
def submit(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _work_case(request, reference)
    disclosure = disclosure_get(case, pk)
    return _attempt(
        request,
        case,
        lambda: services.disclosure_submit(disclosure=disclosure, actor=request.user),
        success=_("Sent for approval: a second person releases it."),
    )


@_action
def release(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _work_case(request, reference)
    disclosure = disclosure_get(case, pk)
    return _attempt(
        request,
        case,
        lambda: services.disclosure_release(disclosure=disclosure, actor=request.user),
        success=_("Released. The signed package is being rendered."),
    )


@_action
def send_back(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    case = _work_case(request, reference)
    disclosure = disclosure_get(case, pk)
    form = ReturnForm(request.POST, auto_id=f"ret{disclosure.pk}_%s")
    key = ("return", disclosure.pk)
    if not form.is_valid():
        return _page_with(request, case, key, form)
    return _attempt(
        request,
        case,
        lambda: services.disclosure_return(
            disclosure=disclosure, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        success=_("Sent back to draft."),
        form=form,
        key=key,
    )


@_action
def renew_link(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    """A new download window for the agency's officers once the link expired."""
    case = _work_case(request, reference)
    disclosure = disclosure_get(case, pk)
    return _attempt(
        request,
        case,
        lambda: services.disclosure_download_renew(disclosure=disclosure, actor=request.user),
        success=_("Download link renewed; the officer was told."),
    )


@_action
def render_again(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    """Queue the render task again for a failed package (it resumes where it stopped)."""
    from reports.disclosures.redrive import package_render_again

    case = _work_case(request, reference)
    disclosure = disclosure_get(case, pk)
    try:
        package_render_again(disclosure=disclosure, actor=request.user)
    except DisclosurePackage.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Rendering again."))
    return _back(case.reference)


def package_file(disclosure: Disclosure, what: str) -> tuple[Any, str, str, str]:
    """(stored file, download name, content type, sha256) of a finished package, else 404."""
    package = getattr(disclosure, "package", None)
    if package is None or package.status != PackageStatus.DONE:
        raise Http404
    if what == "pdf":
        return (
            package.pdf_file,
            f"{disclosure.reference}.pdf",
            "application/pdf",
            package.pdf_sha256,
        )
    if what == "zip":
        return (
            package.zip_file,
            f"{disclosure.reference}.zip",
            "application/zip",
            package.zip_sha256,
        )
    raise Http404


def package_response(stored: Any, name: str, content_type: str) -> FileResponse:
    """A package file as an attachment: never rendered in the portal's origin (nosniff,
    sandboxing CSP), never cached; the name is ours (reference + .pdf/.zip)."""
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _download(request: HttpRequest, case: Any, disclosure: Disclosure, what: str) -> FileResponse:
    stored, name, content_type, sha = package_file(disclosure, what)
    response = package_response(stored, name, content_type)
    access_event_record(
        action=Action.DOWNLOAD,
        request=request,
        obj=disclosure,
        case_reference=case.reference,
        details={"what": what, "sha256": sha},
    )
    return response


@audited(Action.DOWNLOAD, object_type="disclosures.disclosure")
@require_GET
@staff_required(CaseCapability.WORK_CASES)
def staff_download(request: HttpRequest, reference: str, pk: int, what: str) -> FileResponse:
    case = case_get_for_user(request.user, reference)
    return _download(request, case, disclosure_get(case, pk), what)


@audited(Action.DOWNLOAD, object_type="disclosures.disclosure")
@require_GET
@officer_required
def officer_download(
    request: AuthenticatedHttpRequest, reference: str, pk: int, token: str
) -> HttpResponse:
    case = case_get_for_user(request.user, reference)
    disclosure = disclosure_get(case, pk)
    if not disclosure.is_released or not download_allowed(
        token, disclosure, officer_agency_id(request.user)
    ):
        access_event_record(
            action=Action.DOWNLOAD,
            request=request,
            obj=disclosure,
            case_reference=case.reference,
            outcome="denied",
            details={"why": "link"},
        )
        raise Http404
    return cast(HttpResponse, _download(request, case, disclosure, "zip"))


@audited(Action.VIEW, object_type="disclosures.verification")
@require_http_methods(["GET", "POST"])
def verify_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """For officers and staff: upload a PDF or ZIP, see what its signature says."""
    if not may_verify(request.user):
        raise Http404
    verdict = None
    form = VerifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = read_upload(form.cleaned_data["file"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            verdict = disclosure_verify(data, user=request.user)
            access_event_record(
                action="disclosure_verify",
                request=request,
                object_type="disclosures.verification",
                case_reference=(verdict.production or {}).get("request", ""),
                details={"ok": verdict.ok, "pdf_sha256": verdict.pdf_sha256},
            )
    base = "cases/officer/base.html" if acts_as_officer(request.user) else "cases/base.html"
    return render(
        request,
        "disclosures/verify.html",
        {"form": form, "verdict": verdict, "base_template": base},
        status=400 if form.errors else 200,
    )
