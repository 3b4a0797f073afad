"""Error answers: a page in the portal's layout for people, problem+json for the API.

Django's own 403/404/500 answers are bare text in production and its debug pages in
development; a user who follows a stale link or lacks access must still see where they are
and where to go. The handlers are named in ``portal.urls`` (``handler403`` …); in
development (``DEBUG``) Django shows its technical page for a raised ``Http404`` before any
handler runs, so ``ErrorPageMiddleware`` renders the same page for a 404 or 403 a view
raises (the way every gate refuses). Unmatched URLs under ``DEBUG`` keep Django's page.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from portal.api.exceptions import PROBLEM_CONTENT_TYPE, problem
from portal.outages import RETRY_AFTER_SECONDS, dependency_down

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

_PAGES: dict[int, str] = {
    400: "errors/400.html",
    403: "errors/403.html",
    404: "errors/404.html",
    500: "errors/500.html",
}
_CODES: dict[int, str] = {
    400: "bad_request",
    403: "permission_denied",
    404: "not_found",
    500: "server_error",
    503: "service_unavailable",
}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def problem_response(request: HttpRequest, status: int, detail: str) -> JsonResponse:
    """An RFC 9457 body like every other API error, for errors DRF never saw."""
    body = problem(status_code=status, code=_CODES[status], detail=detail, instance=request.path)
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def _page(request: HttpRequest, status: int) -> HttpResponse:
    if _is_api(request):
        details = {
            400: _("The request could not be understood."),
            403: _("You do not have permission to do this."),
            404: _("Nothing is at this address, or it is not yours to see."),
            500: _("Something went wrong on our side; it has been logged."),
        }
        return problem_response(request, status, details[status])
    body = loader.render_to_string(_PAGES[status], {"status": status}, request=request)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 answer, or a 503 with ``Retry-After`` when the database or Redis is down: a
    restart of either is an outage to wait out, and clients (ours retry on 503, as any HTTP
    client may) should try again. The request's transaction was rolled back either way.

    It must not fail in turn: if the layout cannot render (the database that the
    navigation reads is what failed), a page without context processors answers."""
    if dependency_down(sys.exc_info()[1]):
        return service_unavailable(request)
    try:
        return _page(request, 500)
    except Exception:
        logger.exception("the error page itself failed; answering the plain one")
        if _is_api(request):
            body = b'{"type":"urn:liaison:problem:server_error","status":500}'
            return HttpResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)
        return HttpResponse(loader.render_to_string("errors/500_plain.html"), status=500)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 without touching the database (the navigation's context processors would)."""
    if _is_api(request):
        response: HttpResponse = problem_response(
            request, 503, _("A service Liaison depends on is restarting; try again shortly.")
        )
    else:
        response = HttpResponse(loader.render_to_string("errors/503_plain.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ErrorPageMiddleware:
    """Under ``DEBUG`` only: the designed 403/404 page for refusals a view raises, so what a
    developer sees is what a user will (Django's debug page would hide it). Off in
    production, where the URL conf's handlers already answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if not settings.DEBUG:
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return permission_denied(request, exception)
        return None
