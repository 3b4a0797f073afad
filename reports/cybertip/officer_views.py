"""The officer portal's urgent referrals (``/officer/referrals/``): what the provider sent
the officer's agency, in the browser as in ``GET /api/v1/referrals/``.

Same selector as the API (``referrals_for_officer``): one rule of who sees what. Another
agency's referral is a 404; every page shown is one event in the access log.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record, access_list_record
from portal.http import AuthenticatedHttpRequest
from portal.officers.views import officer_required
from reports.cybertip.referrals import referral_get_for_officer, referrals_for_officer

PAGE_SIZE = 25
OBJECT_TYPE = "cybertip.urgentreferral"


@audited(Action.LIST, object_type=OBJECT_TYPE)
@officer_required
def referral_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The agency's urgent referrals, newest first."""
    page = Paginator(
        referrals_for_officer(request.user).select_related("report"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    access_list_record(
        request=request, object_type=OBJECT_TYPE, objects=page.object_list, page=page.number
    )
    return render(
        request,
        "cybertip/officer/referral_list.html",
        {"officer": request.user.officer, "page": page},
    )


@audited(Action.VIEW, object_type=OBJECT_TYPE)
@officer_required
def referral_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One referral: the emergency, what is disclosed, when, and the report's number."""
    referral = referral_get_for_officer(request.user, pk)
    access_event_record(
        action=Action.VIEW,
        request=request,
        obj=referral,
        case_reference=referral.case.reference,
    )
    return render(request, "cybertip/officer/referral_detail.html", {"referral": referral})
