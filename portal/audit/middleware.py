"""The access log's request hook: reads and denials no view can forget.

Sits after authentication (Django sessions and, for the API, DRF: DRF puts the user it
authenticated on the Django request too), so it knows who asked. See ``portal.audit.access``
for the markers it reads and what it records.

A request made with an API token leaves one event naming the token (``details.token``): the
view's read or write event, the middleware's own (read safety net, denial), or, when none of
those was kept, a ``token_used`` event written here (exempt views, 400, 429, a write that
rolled back). So every use is logged without a second row for requests that log their read.
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
# A request with an accepted token that was still refused: no permission (scope, gate) or
# over its rate limit.
TOKEN_REFUSALS = frozenset({403, 404, 429})
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
            # Still inside the request's audit state: these events name its API token too.
            match: ResolverMatch | None = getattr(request, "resolver_match", None)
            if match is not None and request.method != "OPTIONS":
                marker = audit_marker_for(match.func)
                if marker is not None and not marker.exempt:
                    self._record(request, response, match, marker, state)
            if state.token and not self._token_use_kept(state):
                refused = response.status_code in TOKEN_REFUSALS
                access_event_record(
                    action=Action.TOKEN_USED,
                    request=request,
                    outcome=AccessEvent.Outcome.DENIED if refused else AccessEvent.Outcome.SUCCESS,
                    details={
                        "method": request.method,
                        "path": request.path[:200],
                        "status": response.status_code,
                    },
                )
        finally:
            request_audit_end(token)
        return response

    @staticmethod
    def _token_use_kept(state: RequestAudit) -> bool:
        """Whether an event naming the request's API token is in the log for good.

        Events written outside a transaction are; one written inside a transaction is only
        if that transaction committed (a write that failed rolls its event back).
        """
        if state.token_logged:
            return True
        return bool(state.token_events) and (
            AccessEvent.objects.filter(pk__in=state.token_events).exists()
        )

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
