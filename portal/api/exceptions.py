"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error of the API has the same shape::

    {"type": "urn:liaison:problem:validation_error", "title": "Invalid input.",
     "status": 400, "detail": "...", "instance": "/api/v1/...", "code": "validation_error",
     "errors": [{"field": "targets.0.value", "message": "...", "code": "invalid"}]}

``errors`` lists each field-level message with the field's path (``null`` for a message about
the input as a whole); ``retry_after`` (seconds) accompanies 429 along with the
``Retry-After`` header.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler, set_rollback

from portal.outages import RETRY_AFTER_SECONDS, dependency_down

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:liaison:problem:"

logger = logging.getLogger(__name__)

_TITLES = {
    400: gettext_lazy("Invalid input."),
    401: gettext_lazy("Authentication required."),
    403: gettext_lazy("Forbidden."),
    404: gettext_lazy("Not found."),
    405: gettext_lazy("Method not allowed."),
    406: gettext_lazy("Not acceptable."),
    409: gettext_lazy("Conflict."),
    413: gettext_lazy("Request too large."),
    415: gettext_lazy("Unsupported media type."),
    422: gettext_lazy("Unprocessable content."),
    429: gettext_lazy("Too many requests."),
    500: gettext_lazy("Internal server error."),
    503: gettext_lazy("Service unavailable."),
}


def _field_errors(detail: Any, path: str | None = None) -> list[dict[str, Any]]:
    """Flatten DRF's nested error structure into ``[{field, message, code}]``."""
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                out += _field_errors(value, path)
            else:
                out += _field_errors(value, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                out += _field_errors(value, f"{path}.{index}" if path else str(index))
            else:
                out += _field_errors(value, path)
        return out
    return [
        {"field": path, "message": str(detail), "code": getattr(detail, "code", None) or "invalid"}
    ]


def problem(
    *,
    status_code: int,
    code: str,
    detail: str,
    instance: str = "",
    title: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or str(_TITLES.get(status_code, _("Error."))),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (which sets ``WWW-Authenticate`` and ``Retry-After``), re-shaped."""
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    request = context.get("request")
    instance = request.path if request is not None else ""
    if response is None and dependency_down(exc):
        # PostgreSQL or Redis restarting: nothing was written (rolled back); try again.
        set_rollback()
        body = problem(
            status_code=503,
            code="service_unavailable",
            detail=_("A service Liaison depends on is restarting; try again shortly."),
            instance=instance,
            retry_after=RETRY_AFTER_SECONDS,
        )
        unavailable = Response(body, status=503, content_type=PROBLEM_CONTENT_TYPE)
        unavailable["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return unavailable
    if response is None:
        # An unexpected error: logged with its traceback as Django would, answered in the
        # API's one error shape (a client parses problem+json, not an HTML page), and the
        # request's transaction rolled back so nothing is half-written.
        logger.error("Unexpected API error at %s", instance, exc_info=exc)
        set_rollback()
        body = problem(
            status_code=500,
            code="server_error",
            detail=_("Something went wrong on our side; it has been logged."),
            instance=instance,
        )
        return Response(body, status=500, content_type=PROBLEM_CONTENT_TYPE)
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "validation_error"
        detail = _("The request has invalid fields; see errors.")
        extra["errors"] = _field_errors(exc.detail)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        code = codes if isinstance(codes, str) else _default_code(response.status_code)
        raw = exc.detail if isinstance(exc, exceptions.APIException) else None
        detail = str(raw) if isinstance(raw, str) else str(_TITLES.get(response.status_code, ""))
    # DRF sets Throttled.wait in __init__; djangorestframework-stubs 3.18.1 does not declare it.
    wait = exc.wait if isinstance(exc, exceptions.Throttled) else None  # type: ignore[attr-defined]
    if wait is not None:
        extra["retry_after"] = int(wait) + (0 if float(wait).is_integer() else 1)
        response["Retry-After"] = str(extra["retry_after"])
    response.data = problem(
        status_code=response.status_code,
        code=code,
        detail=detail,
        instance=instance,
        **extra,
    )
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def _as_api_exception(exc: Exception) -> Exception:
    """Django's refusals of an oversized body (raised while DRF parses it) as the clean 4xx
    they are, not an unexpected 500: more than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` of non-file
    data is 413, more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields or
    ``DATA_UPLOAD_MAX_NUMBER_FILES`` files is 400 (issue 18, hostile-input catalogue)."""
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge(
            _("The request body is larger than the %(mb).1f MB this endpoint takes.")
            % {"mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20}
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return exceptions.ParseError(_("The request has too many fields or files."))
    return exc


def _default_code(status_code: int) -> str:
    return {
        status.HTTP_404_NOT_FOUND: "not_found",
        status.HTTP_403_FORBIDDEN: "permission_denied",
        status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    }.get(status_code, "error")
