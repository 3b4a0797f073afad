"""The baseline of ``bench/api.py``: a plain DRF ``ListAPIView`` of the same rows.

No authentication, no agency gate, no access log, no throttle: what the request list costs
without the things that make it safe, so the bench can print the price of those. Mounted
only when ``LIAISON_BENCH_BASELINE=1`` (``cases/api/urls.py``); never in production.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny

from cases.api.collection import RequestRowOutput
from cases.models import Case
from cases.officer.selectors import request_rows
from portal.api.pagination import StandardPagination
from portal.api.views import ApiEndpointMixin
from portal.audit.access import audit_exempt


@audit_exempt("benchmark baseline, mounted only with LIAISON_BENCH_BASELINE=1")
class PlainRequestListApi(ApiEndpointMixin, ListAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    serializer_class = RequestRowOutput
    pagination_class = StandardPagination
    schema = None  # not part of the API's documentation

    def get_queryset(self) -> QuerySet[Case]:
        return request_rows(Case.objects.filter(agency_id=self.request.query_params["agency"]))
