"""The baseline of ``bench/api.py``: a plain DRF ``ListAPIView`` of the same rows.

No authentication, no agency gate, no access log, no throttle: what the request list costs
without the things that make it safe, so the bench can print the price of those. Served
only by the bench's own server (``bench/baseline_settings.py`` points ``ROOT_URLCONF``
here: the portal's URLs plus this one), so the domain packages hold no bench code and no
production URL conf can mount it.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny

from cases.api.collection import RequestRowOutput
from cases.models import Case
from cases.officer.selectors import request_rows
from portal.api.pagination import StandardPagination
from portal.api.views import ApiEndpointMixin
from portal.audit.access import audit_exempt
from portal.urls import urlpatterns as portal_urlpatterns


@audit_exempt("benchmark baseline, served only by bench/api.py's server")
class PlainRequestListApi(ApiEndpointMixin, ListAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    serializer_class = RequestRowOutput
    pagination_class = StandardPagination
    schema = None  # not part of the API's documentation

    def get_queryset(self) -> QuerySet[Case]:
        return request_rows(Case.objects.filter(agency_id=self.request.query_params["agency"]))


urlpatterns = [
    path("api/v1/bench/plain-requests/", PlainRequestListApi.as_view()),
    *portal_urlpatterns,
]
