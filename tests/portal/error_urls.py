"""The portal's URL conf plus two views that fail on purpose, for the error-page tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.audit.access import audit_exempt
from portal.urls import *  # noqa: F403 - the handlers too
from portal.urls import urlpatterns as portal_urlpatterns


@audit_exempt("a test view that fails before it reads anything")
def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a page")


class ApiBoom(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @audit_exempt("a test endpoint that fails before it reads anything")
    def get(self, request: Request) -> Response:
        raise RuntimeError("a bug in an endpoint")


urlpatterns = [
    path("boom/", boom),
    path("api/v1/boom/", audit_exempt("test endpoint")(ApiBoom.as_view())),
    *portal_urlpatterns,
]
