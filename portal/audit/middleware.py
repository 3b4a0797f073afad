"""The access log's request hook: reads and denials no view can forget.

Sits after authentication (Django sessions and, for the API, DRF: DRF puts the user it
authenticated on the Django request too), so it knows who asked. See ``portal.audit.access``
for the markers it reads and what it records.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch

from portal.audit.access import AuditMarker, audit_marker_for
from portal.audit.context import RequestAudit, request_audit_begin, request_audit_end
from portal.audit.models import AccessEvent, Action
from portal.audit.services import access_event_record

DENIAL_STATUSES = frozenset({403, 404})
# Django admin model pages: the URL name's suffix and the method say what happened.
_ADMIN_READS = {"changelist": Action.LIST, "change": Action.VIEW, "history": Action.VIEW,
                "delete": Action.VIEW}  # fmt: skip
_ADMIN_WRITES = {"change": Action.UPDATE, "add": Action.CREATE, "delete": "delete"}


class AccessLogMiddleware:
    """Record a read for marked views that recorded nothing, and every denial on them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state, token = request_audit_begin(request)
        try:
            response = self.get_response(request)
        finally:
            request_audit_end(token)
        match: ResolverMatch | None = getattr(request, "resolver_match", None)
        if match is None or request.method == "OPTIONS":
            return response
        marker = audit_marker_for(match.func)
        if marker is None or marker.exempt:
            return response
        self._record(request, response, match, marker, state)
        return response

    def _record(
        self,
        request: HttpRequest,
        response: HttpResponse,
        match: ResolverMatch,
        marker: AuditMarker,
        state: RequestAudit,
    ) -> None:
        status = response.status_code
        kwargs = match.kwargs
        details: dict[str, Any] = {
            "view": match.view_name,
            "method": request.method,
            "path": request.get_full_path()[:500],
            "status": status,
        }
        record = partial(
            access_event_record,
            request=request,
            object_type=marker.object_type,
            object_id=str(kwargs.get("object_id") or kwargs.get("pk") or ""),
            case_reference=str(kwargs.get(marker.case_kwarg, "") or ""),
        )
        if status in DENIAL_STATUSES:
            if not state.denied:
                record(
                    action=Action.PERMISSION_DENIED,
                    outcome=AccessEvent.Outcome.DENIED,
                    details=details,
                )
            return
        if state.recorded:
            return
        action = self._action(request, status, match, marker)
        if action is not None:
            details["recorded_by"] = "middleware"
            record(action=action, details=details)

    @staticmethod
    def _action(
        request: HttpRequest, status: int, match: ResolverMatch, marker: AuditMarker
    ) -> str | None:
        if not marker.admin:
            return marker.action if 200 <= status < 300 else None
        page = (match.url_name or "").rsplit("_", 1)[-1]
        if request.method in ("GET", "HEAD") and 200 <= status < 300:
            return _ADMIN_READS.get(page)
        if request.method == "POST" and 300 <= status < 400:  # the admin redirects on success
            return _ADMIN_WRITES.get(page)
        return None
