"""Staff intake: legal process that arrived by e-mail, fax or post, and child-safety
incidents found on the platform. Which of the two a user may record is the policy's
(``policy.intake_case_types``); a supervisor may record both and switches with ``?type=``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from cases.forms import errors_to_form
from cases.intake_forms import IncidentForm, IntakeForm
from cases.models import CaseType
from cases.policy import intake_case_types, may_intake
from cases.services import case_intake
from cases.views.common import staff_allowed, upload_form_done
from cases.views.landing import intake_landing
from portal.audit.access import audit_exempt

TEMPLATES: dict[str, str] = {
    CaseType.REQUEST: "cases/intake.html",
    CaseType.CHILD_SAFETY: "cases/intake_incident.html",
}


@audit_exempt("the intake form shows no existing case data; case_intake logs the new case")
@require_http_methods(["GET", "POST"])
@staff_allowed(may_intake)
def intake(request: HttpRequest) -> HttpResponse:
    """Create a case with ``case_intake``; its field errors come back next to the fields.
    On an error every typed value is kept, the document too when the page's script is on
    (cases/upload.js, shared with the officer portal), else the page asks for it again."""
    allowed = intake_case_types(request.user)
    case_type = request.GET.get("type") or allowed[0]
    if case_type not in allowed:
        raise Http404
    form_class = IncidentForm if case_type == CaseType.CHILD_SAFETY else IntakeForm
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_intake(actor=request.user, data=form.intake_data())
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            return upload_form_done(request, intake_landing(request, case))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        TEMPLATES[case_type],
        {
            "form": form,
            "file_sent": bool(request.FILES),
            "case_type": case_type,
            "other_types": [t for t in allowed if t != case_type],
        },
        status=status,
    )
