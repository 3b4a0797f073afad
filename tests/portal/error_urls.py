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


def _database_gone() -> None:
    """What psycopg raises, through Django, while PostgreSQL restarts."""
    import psycopg
    from django.db import OperationalError

    try:
        psycopg.connect("postgres://nobody@127.0.0.1:9/none", connect_timeout=1)
    except psycopg.OperationalError as exc:
        raise OperationalError(str(exc)) from exc


@audit_exempt("a test view whose database is down")
def down(request: HttpRequest) -> HttpResponse:
    _database_gone()
    return HttpResponse()


class ApiDown(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @audit_exempt("a test endpoint whose database is down")
    def get(self, request: Request) -> Response:
        _database_gone()
        return Response()


urlpatterns = [
    path("boom/", boom),
    path("down/", down),
    path("api/v1/down/", audit_exempt("test endpoint")(ApiDown.as_view())),
    path("api/v1/boom/", audit_exempt("test endpoint")(ApiBoom.as_view())),
    *portal_urlpatterns,
]
