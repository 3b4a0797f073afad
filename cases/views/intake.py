"""Intake of legal process that arrived by e-mail, fax or post."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from cases.forms import IntakeForm, errors_to_form
from cases.policy import CaseCapability
from cases.services import case_intake
from cases.views.common import staff_required
from cases.views.landing import intake_landing
from portal.audit.access import audit_exempt


@audit_exempt("the intake form shows no existing case data; case_intake logs the new case")
@require_http_methods(["GET", "POST"])
@staff_required(CaseCapability.INTAKE)
def intake(request: HttpRequest) -> HttpResponse:
    """Create a case with ``case_intake``; its field errors come back next to the fields."""
    form = IntakeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_intake(actor=request.user, data=form.intake_data(), request=request)
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            return HttpResponseRedirect(intake_landing(request, case))
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/intake.html", {"form": form}, status=status)
