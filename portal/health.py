"""Health endpoints for orchestrators: liveness (``/healthz``) and readiness (``/readyz``).

Liveness answers from the process alone. A database or broker outage must not make the
orchestrator restart every web pod at once (restarts fix nothing there and add a stampede
when the service comes back); it makes the pods *not ready* instead, so the load balancer
stops sending them requests until the dependency is back.

Readiness checks, each with a short timeout so a probe never hangs:

* ``database``: a ``SELECT 1`` on every connection alias in ``LIAISON_READY_DATABASES``;
* ``broker``: a connection to ``CELERY_BROKER_URL`` (tasks queued by a request, such as
  notification deliveries, would otherwise be lost until the redrive);
* ``storage``: the evidence storage answers (a local directory that exists and can be
  written, or an object-store ``HEAD``);
* ``sweep``: the reminder sweep's heartbeat is younger than
  ``LIAISON_READY_SWEEP_MAX_AGE_SECONDS`` (300 by default): without beat and a worker, no
  deadline reminder goes out. ``?ignore=sweep`` reports the check without failing on it:
  the web tier's own probe uses that, so a stopped beat pages the operator (the metric and
  the full ``/readyz``) rather than taking the officer API off the load balancer.

The answers name each check and say ``ok`` or a short reason, never a host name, error
text or any other detail of the infrastructure; the reason is logged for operators.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import Storage, default_storage
from django.db import DatabaseError, connections
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.urls import resolve
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.audit.access import audit_exempt

if TYPE_CHECKING:
    from portal.http import RequestWithId

logger = logging.getLogger(__name__)

# cases.reminders.sweep.SWEEP_HEARTBEAT; the platform does not import the domain.
SWEEP_HEARTBEAT = "reminders_sweep"
DEFAULT_SWEEP_MAX_AGE = 300.0
DEFAULT_TIMEOUT = 2.0
STORAGE_PROBE_NAME = ".liaison-readyz"
# Only the sweep may be reported without failing readiness: the others are the web tier's own.
IGNORABLE = frozenset({"sweep"})


@dataclass(frozen=True)
class Check:
    """One dependency's state: ``detail`` is a short, infrastructure-free word or two."""

    name: str
    ok: bool
    detail: str = "ok"


def database_check(alias: str = "default") -> Check:
    """``SELECT 1`` on the alias, on a connection opened with a short timeout."""
    connection = connections[alias]
    try:  # a blackholed host waits for libpq's PGCONNECT_TIMEOUT (set in deploy/)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("readyz: database %s unreachable: %s", alias, type(exc).__name__)
        # A broken connection must not be reused by the next probe.
        connection.close_if_unusable_or_obsolete()
        return Check("database", False, "unreachable")
    return Check("database", True)


def broker_check(url: str | None = None) -> Check:
    """Open (and close) a connection to the Celery broker, without retries."""
    from kombu import Connection

    url = url if url is not None else settings.CELERY_BROKER_URL
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    try:
        with Connection(url, connect_timeout=_timeout(), transport_options=options) as conn:
            conn.ensure_connection(max_retries=0, timeout=_timeout())
    except Exception as exc:  # kombu raises the transport's own errors: any is "down"
        logger.warning("readyz: broker unreachable: %s", type(exc).__name__)
        return Check("broker", False, "unreachable")
    return Check("broker", True)


def storage_check(storage: Storage | None = None) -> Check:
    """A local directory must exist and be writable; object storage must answer a HEAD."""
    storage = storage or default_storage
    location = getattr(storage, "location", None)
    try:
        if isinstance(location, str) and not hasattr(storage, "bucket_name"):
            if not os.path.isdir(location):
                return Check("storage", False, "missing")
            if not os.access(location, os.W_OK | os.X_OK):
                return Check("storage", False, "read-only")
        else:
            storage.exists(STORAGE_PROBE_NAME)
    except Exception as exc:  # remote backends raise their SDK's errors
        logger.warning("readyz: storage unreachable: %s", type(exc).__name__)
        return Check("storage", False, "unreachable")
    return Check("storage", True)


def sweep_check(now: datetime | None = None) -> Check:
    """The reminder sweep ran recently (it records a heartbeat at the end of each run)."""
    from portal.notifications.models import Heartbeat

    now = now or timezone.now()
    limit = timedelta(seconds=sweep_max_age())
    try:
        last_seen = (
            Heartbeat.objects.filter(name=SWEEP_HEARTBEAT)
            .values_list("last_seen", flat=True)
            .first()
        )
    except DatabaseError:
        return Check("sweep", False, "unknown")
    if last_seen is None:
        return Check("sweep", False, "never ran")
    age = now - last_seen
    if age > limit:
        return Check("sweep", False, f"late {int(age.total_seconds())} s")
    return Check("sweep", True)


def sweep_max_age() -> float:
    return float(getattr(settings, "LIAISON_READY_SWEEP_MAX_AGE_SECONDS", DEFAULT_SWEEP_MAX_AGE))


def _timeout() -> float:
    return float(getattr(settings, "LIAISON_READY_TIMEOUT_SECONDS", DEFAULT_TIMEOUT))


def readiness_checks(*, ignore: Iterable[str] = ()) -> tuple[bool, list[Check]]:
    """Run every check; ready when each one not in ``ignore`` passed."""
    aliases = getattr(settings, "LIAISON_READY_DATABASES", ["default"])
    checks: list[Check] = []
    for alias in aliases:
        checks.append(database_check(alias))
    database_up = all(check.ok for check in checks)
    runners: list[Callable[[], Check]] = [broker_check, storage_check]
    checks.extend(run() for run in runners)
    checks.append(sweep_check() if database_up else Check("sweep", False, "unknown"))
    skipped = set(ignore)
    ready = all(check.ok for check in checks if check.name not in skipped)
    return ready, checks


@login_not_required
@audit_exempt("process liveness only; no case or personal data")
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process serves requests. Touches no dependency (see the module doc)."""
    return JsonResponse({"status": "ok"})


@login_not_required
@audit_exempt("dependency up/down states only; no case or personal data")
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every dependency answers, 503 (naming the failed checks) if not."""
    ignore = [name for name in request.GET.get("ignore", "").split(",") if name in IGNORABLE]
    ready, checks = readiness_checks(ignore=ignore)
    body: dict[str, object] = {
        "status": "ready" if ready else "not ready",
        "checks": {check.name: check.detail for check in checks},
    }
    if ignore:
        body["ignored"] = sorted(set(ignore))
    return JsonResponse(body, status=200 if ready else 503)


# Paths answered before the rest of the stack (``ProbeMiddleware``).
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class ProbeMiddleware:
    """Answer the orchestrator's probes and the scraper before host checks and redirects.

    A kubelet or Docker health check asks ``http://<pod address>:8000/healthz``: the Host
    header is an address, not one of ``ALLOWED_HOSTS``, and the scheme is plain HTTP, so
    further down Django would answer 400 (host) or 301 (HTTPS redirect). A 301 would even
    count as success to Kubernetes, hiding a failed readiness. These three views build no
    URLs from the host and need no session, so they are served here, from their URL
    patterns (the metrics middleware still labels them by view). Placed right after
    ``RequestMetricsMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from portal.middleware import RequestIdMiddleware

        self.get_response = get_response
        # The request id (X-Request-ID, and on every log line) as for any other request.
        self._serve_with_id = RequestIdMiddleware(self._serve)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in PROBE_PATHS:
            return self.get_response(request)
        return self._serve_with_id(cast("RequestWithId", request))

    def _serve(self, request: HttpRequest) -> HttpResponse:
        from portal.audit.context import request_audit_begin, request_audit_end

        match = resolve(request.path_info)
        request.resolver_match = match
        _state, token = request_audit_begin(request)  # log lines name the request
        try:
            response: HttpResponse = match.func(request, *match.args, **match.kwargs)
        except Http404:
            return HttpResponseNotFound()
        finally:
            request_audit_end(token)
        return response
