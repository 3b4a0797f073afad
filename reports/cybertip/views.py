"""The review UI: draft a report, review its files, submit, retract; supervisors' list.

Thin: each view reads through ``reports.cybertip.selectors`` (404 for anyone but the
case's child-safety analysts and supervisors) and writes through the services.

File review: thumbnails are blurred and greyscale by default (CSS), and the file itself is
served only after an explicit reveal, which records a view of that exact file by that
person. Only such a record makes ``fileViewedByEsp`` true (United States v. Wilson).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.audit.access import audited
from portal.audit.models import AccessEvent, Action
from portal.audit.services import access_event_record, access_list_record
from portal.http import AuthenticatedHttpRequest
from reports.cybertip import services
from reports.cybertip.build import report_problems, reviews_for
from reports.cybertip.forms import FileClassifyForm, FileUploadForm, ReportForm
from reports.cybertip.models import FileRelevance, ReportStatus
from reports.cybertip.selectors import (
    cybertip_case_for_user,
    report_file_for_user,
    report_for_user,
    reports_needing_attention,
)
from reports.cybertip.submission import submission_retract

OBJECT = "cybertip.cybertipreport"


def _report_url(reference: str, pk: int) -> str:
    return reverse("cybertip:report", args=[reference, pk])


@audited(Action.VIEW, object_type="cases.case")
def report_new(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    case = cybertip_case_for_user(request.user, reference)
    form = ReportForm(request.POST or None, initial={"incident_time_zone": "UTC"})
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_draft_create(
                case=case,
                actor=request.user,
                data=form.to_input(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            return HttpResponseRedirect(_report_url(case.reference, report.pk))
    access_event_record(
        action=Action.VIEW, request=request, obj=case, case_reference=case.reference
    )
    return render(request, "cybertip/new.html", {"case": case, "form": form})


@audited(Action.VIEW, object_type=OBJECT)
def report_detail(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    report = report_for_user(request.user, reference, pk)
    form = None
    if report.is_editable:
        form = ReportForm(request.POST or None, initial=ReportForm.initial_for(report))
        if request.method == "POST" and form.is_valid():
            try:
                services.report_draft_update(
                    report=report,
                    actor=request.user,
                    data=form.to_input(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("Draft saved."))
                return HttpResponseRedirect(_report_url(reference, pk))
    access_event_record(action=Action.VIEW, request=request, obj=report, case_reference=reference)
    return render(request, "cybertip/report.html", _context(request, report, form))


def _context(
    request: AuthenticatedHttpRequest, report: Any, form: ReportForm | None
) -> dict[str, Any]:
    reviewed = reviews_for([report])[report.pk]
    revealed = {int(x) for x in request.GET.getlist("revealed") if x.isdigit()} & reviewed.files
    files = [
        {
            "row": f,
            "viewed": f.pk in reviewed.files,
            "revealed": f.pk in revealed,
            "form": FileClassifyForm(
                initial={
                    "industry_classification": f.industry_classification,
                    "annotations": f.annotations,
                },
                prefix=f"file{f.pk}",
            ),
            "is_image": f.content_type.startswith("image/"),
        }
        for f in report.files.all()
    ]
    from reports.cybertip.forms import ReferralForm
    from reports.cybertip.models import UrgentReferral

    return {
        "referral_form": ReferralForm(),
        "referrals": list(
            UrgentReferral.objects.filter(case=report.case).select_related(
                "agency", "requested_by", "approved_by"
            )
        ),
        "case": report.case,
        "report": report,
        "form": form,
        "problems": report_problems(report, loaded=True) if report.is_editable else {},
        "files": files,
        "upload_form": FileUploadForm() if report.is_editable else None,
        "steps": list(report.steps.order_by("-sent_at", "-pk")[:50]),
        "can_retract": report.status in (ReportStatus.SUBMITTING, ReportStatus.OPEN),
    }


@audited(Action.UPDATE, object_type=OBJECT)
@require_POST
def report_submit(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    report = report_for_user(request.user, reference, pk)
    try:
        services.report_submit_request(report=report, actor=request.user)
    except ValidationError as exc:
        for field, problems in exc.message_dict.items():
            for problem in problems:
                messages.error(request, f"{field}: {problem}")
    else:
        messages.success(request, _("Queued for filing with NCMEC."))
    return HttpResponseRedirect(_report_url(reference, pk))


@audited(Action.UPDATE, object_type=OBJECT)
@require_POST
def report_retract(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    report = report_for_user(request.user, reference, pk)
    services.cybertip_case_check(request.user, report.case_id)
    status = submission_retract(report=report, actor=request.user)
    access_event_record(
        action="cybertip_retract",
        request=request,
        obj=report,
        case_reference=reference,
        details={"status": status},
    )
    messages.info(request, _("Report status: %(status)s") % {"status": status})
    return HttpResponseRedirect(_report_url(reference, pk))


@audited(Action.CREATE, object_type=OBJECT)
@require_POST
def file_add(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    report = report_for_user(request.user, reference, pk)
    form = FileUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.report_file_add(
                report=report,
                actor=request.user,
                upload=services.FileInput(
                    name=upload.name,
                    content=upload.read(),
                    content_type=upload.content_type or "",
                    relevance=FileRelevance.SUPPLEMENTAL
                    if form.cleaned_data["supplemental"]
                    else FileRelevance.REPORTED,
                ),
            )
        except ValidationError as exc:
            for problems in exc.message_dict.values():
                for problem in problems:
                    messages.error(request, problem)
    else:
        messages.error(request, _("Choose a file to add."))
    return HttpResponseRedirect(_report_url(reference, pk))


@audited(Action.UPDATE, object_type="cybertip.reportfile")
@require_POST
def file_reveal(
    request: AuthenticatedHttpRequest, reference: str, pk: int, file_pk: int
) -> HttpResponse:
    """The explicit reveal: record the view of this file by this person, then show it."""
    file = report_file_for_user(request.user, reference, pk, file_pk)
    services.report_file_view_record(file=file, actor=request.user)
    return HttpResponseRedirect(f"{_report_url(reference, pk)}?revealed={file.pk}#file-{file.pk}")


@audited(Action.DOWNLOAD, object_type="cybertip.reportfile")
@require_GET
def file_content(
    request: AuthenticatedHttpRequest, reference: str, pk: int, file_pk: int
) -> HttpResponse | FileResponse:
    """The file's bytes, only to someone the access log records as having revealed it."""
    file = report_file_for_user(request.user, reference, pk, file_pk)
    revealed = AccessEvent.objects.filter(
        action=services.ACTION_FILE_VIEW,
        object_type="cybertip.reportfile",
        object_id=str(file.pk),
        actor=request.user,
        case_reference=reference.upper(),
    ).exists()
    if not revealed:
        return HttpResponse(_("Reveal the file first; the view is recorded."), status=403)
    access_event_record(
        action=Action.DOWNLOAD, request=request, obj=file, case_reference=file.report.case.reference
    )
    response = FileResponse(
        default_storage.open(str(file.file.name), "rb"),
        content_type=file.content_type or "application/octet-stream",
    )
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "no-store"
    return response


@audited(Action.UPDATE, object_type="cybertip.reportfile")
@require_POST
def file_classify(
    request: AuthenticatedHttpRequest, reference: str, pk: int, file_pk: int
) -> HttpResponse:
    file = report_file_for_user(request.user, reference, pk, file_pk)
    form = FileClassifyForm(request.POST, prefix=f"file{file.pk}")
    if form.is_valid():
        try:
            services.report_file_classify(
                file=file,
                actor=request.user,
                annotations=form.cleaned_data["annotations"],
                industry_classification=form.cleaned_data["industry_classification"],
                publicly_available=file.publicly_available,
            )
        except ValidationError as exc:
            for problems in exc.message_dict.values():
                for problem in problems:
                    messages.error(request, problem)
    return HttpResponseRedirect(f"{_report_url(reference, pk)}#file-{file.pk}")


@audited(Action.LIST, object_type=OBJECT)
@require_GET
def attention(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Supervisors: failed and stuck submissions, each with NCMEC's last answer."""
    from django.http import Http404

    from reports.cybertip.selectors import attention_allowed

    if not attention_allowed(request.user):
        raise Http404
    rows = list(reports_needing_attention(request.user)[:200])
    access_list_record(object_type=OBJECT, objects=rows, request=request)
    return render(request, "cybertip/attention.html", {"rows": rows})


@audited(Action.CREATE, object_type="cybertip.urgentreferral")
@require_POST
def referral_create(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    """First person: request an urgent referral (escalates the draft report)."""
    from reports.cybertip.forms import ReferralForm
    from reports.cybertip.referrals import referral_request

    report = report_for_user(request.user, reference, pk)
    form = ReferralForm(request.POST)
    if form.is_valid():
        try:
            referral_request(
                case=report.case,
                agency=form.cleaned_data["agency"],
                basis=form.cleaned_data["basis"],
                emergency=form.cleaned_data["emergency"],
                disclosed=form.cleaned_data["disclosed"],
                actor=request.user,
            )
        except ValidationError as exc:
            for problems in exc.message_dict.values():
                for problem in problems:
                    messages.error(request, problem)
        else:
            messages.success(request, _("Urgent referral requested: a second person must approve."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for message in errors:
                messages.error(request, f"{label}: {message}")
    return HttpResponseRedirect(f"{_report_url(reference, pk)}#referrals")


@audited(Action.UPDATE, object_type="cybertip.urgentreferral")
@require_POST
def referral_approve_view(
    request: AuthenticatedHttpRequest, reference: str, pk: int, referral_pk: int
) -> HttpResponse:
    """Second person: approve, which sends the referral and notifies the agency."""
    from django.http import Http404

    from reports.cybertip.models import UrgentReferral
    from reports.cybertip.referrals import referral_approve

    report = report_for_user(request.user, reference, pk)
    referral = UrgentReferral.objects.filter(pk=referral_pk, case=report.case).first()
    if referral is None:
        raise Http404
    try:
        referral_approve(referral=referral, actor=request.user)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("Urgent referral sent; the agency's officers were notified."))
    return HttpResponseRedirect(f"{_report_url(reference, pk)}#referrals")
