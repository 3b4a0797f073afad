"""Prometheus metrics: what an operator alerts on before a legal deadline is lost.

Two kinds, both served by ``/metrics`` (``metrics_view``) in the text exposition format:

* **process metrics** counted where things happen, with ``prometheus_client``: request
  latency by view (``RequestMetricsMiddleware``) and CyberTipline submissions by outcome
  (``cybertip_submission_record``, called by the reports code that talks to NCMEC). Under
  gunicorn or a prefork Celery worker every process counts for itself; with
  ``PROMETHEUS_MULTIPROC_DIR`` set (the container image sets it) the scrape adds them up.
  A Celery worker serves its own on ``LIAISON_WORKER_METRICS_PORT`` when that is set
  (``worker_metrics_serve``), since submissions are counted in workers;
* **state metrics** read from the database and the broker at scrape time
  (``StateCollector``): queue depth, sweep lag, deadlines at risk and overdue, reminder
  steps acted on and reminder deliveries that failed. They are the truth whichever process
  did the work and survive restarts; one scrape's answer is cached for
  ``LIAISON_METRICS_STATE_CACHE_SECONDS`` (15) in the shared cache so that several web pods
  scraped together cost the database one set of queries.

The endpoint sits outside sign-in and the second-factor gate (a scraper has no session)
and is protected instead by a bearer token (``LIAISON_METRICS_TOKEN``) or by the scraper's
network (``LIAISON_METRICS_NETWORKS``, CIDRs; a request relayed by a proxy never matches).
Anything else gets a 404. No metric carries a label with personal or case data: views are
labelled by URL name, outcomes and statuses by fixed words.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any, Literal, get_args

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from portal.audit.access import audit_exempt

logger = logging.getLogger(__name__)

CybertipOutcome = Literal["accepted", "rejected", "failed"]
CYBERTIP_OUTCOMES: tuple[str, ...] = get_args(CybertipOutcome)

REQUEST_LATENCY = Histogram(
    "liaison_http_request_duration_seconds",
    "Time to answer a request, by URL name (view), method and status class.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
CYBERTIP_SUBMISSIONS = Counter(
    "liaison_cybertip_submissions",
    "CyberTipline report submissions to NCMEC, by outcome: accepted (a report id came back), "
    "rejected (NCMEC refused the report; a person must act), failed (transport or server "
    "error; retried).",
    ["outcome"],
)
for _outcome in CYBERTIP_OUTCOMES:  # every outcome exported from the start, at 0
    CYBERTIP_SUBMISSIONS.labels(outcome=_outcome)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
STATE_CACHE_KEY = "liaison:metrics:state"
SWEEP_HEARTBEAT = "reminders_sweep"  # cases.reminders.sweep.SWEEP_HEARTBEAT


def cybertip_submission_record(*, outcome: CybertipOutcome) -> None:
    """Count one CyberTipline submission attempt by its outcome (a fixed word, no data)."""
    if outcome not in CYBERTIP_OUTCOMES:
        raise ValueError(f"unknown CyberTipline outcome {outcome!r}; one of {CYBERTIP_OUTCOMES}")
    CYBERTIP_SUBMISSIONS.labels(outcome=outcome).inc()


class RequestMetricsMiddleware:
    """Time each request and label it with its URL name (never the path: it holds ids)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or "unnamed") if match is not None else "unresolved"
        method = request.method if request.method in _METHODS else "other"
        REQUEST_LATENCY.labels(
            view=view, method=method, status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response


# --- State read at scrape time --------------------------------------------------------


def _queue_names() -> list[str]:
    """The default queue plus every queue named in the task routes (rendering, NCMEC...)."""
    names = {str(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))}
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    if isinstance(routes, dict):
        for route in routes.values():
            if isinstance(route, dict) and route.get("queue"):
                names.add(str(route["queue"]))
    names.update(getattr(settings, "LIAISON_METRICS_QUEUES", []))
    return sorted(names)


def _queue_depths() -> dict[str, float] | None:
    """Messages waiting per queue, or None when the broker does not answer."""
    from kombu import Connection

    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    depths: dict[str, float] = {}
    try:
        with Connection(
            settings.CELERY_BROKER_URL, connect_timeout=2, transport_options=options
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
            channel = conn.default_channel
            for name in _queue_names():
                try:
                    _name, count, _consumers = channel.queue_declare(queue=name, passive=True)
                except Exception:  # a queue nobody declared yet holds nothing
                    count = 0
                    channel = conn.channel()  # amqp closes the channel on a passive miss
                depths[name] = float(count)
    except Exception as exc:
        logger.warning("metrics: broker unreachable: %s", type(exc).__name__)
        return None
    return depths


def state_snapshot() -> dict[str, Any]:
    """One set of database and broker readings (plain data, so the cache can hold it)."""
    from django.apps import apps
    from django.db.models import Count, Q

    from portal.notifications.models import Delivery, Heartbeat

    now = timezone.now()
    at_risk_hours = float(getattr(settings, "LIAISON_METRICS_AT_RISK_HOURS", 24))
    deadline_model = apps.get_model("cases", "Deadline")
    reminder_model = apps.get_model("cases", "Reminder")
    deadlines = deadline_model.objects.filter(status="open").aggregate(
        at_risk=Count(
            "pk", filter=Q(due_at__gte=now, due_at__lt=now + timedelta(hours=at_risk_hours))
        ),
        overdue=Count("pk", filter=Q(due_at__lt=now)),
    )
    reminders = dict(
        reminder_model.objects.order_by()
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
    )
    reminder_deliveries = dict(
        Delivery.objects.filter(
            notification__dedupe_key__startswith="reminder:",
            status__in=[Delivery.Status.SENT, Delivery.Status.FAILED],
        )
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    heartbeats = {
        beat.name: {
            "age": (now - beat.last_seen).total_seconds(),
            "lag": beat.lag.total_seconds() if beat.lag is not None else None,
        }
        for beat in Heartbeat.objects.all()
    }
    return {
        "deadlines_at_risk": deadlines["at_risk"],
        "deadlines_overdue": deadlines["overdue"],
        "at_risk_hours": at_risk_hours,
        "reminders": reminders,
        "reminder_deliveries": reminder_deliveries,
        "heartbeats": heartbeats,
        "queues": _queue_depths(),
    }


class StateCollector(Collector):
    """Gauges and database-backed counters, computed (or taken from the cache) per scrape."""

    def collect(self) -> Iterable[Metric]:
        ttl = float(getattr(settings, "LIAISON_METRICS_STATE_CACHE_SECONDS", 15))
        snapshot = cache.get(STATE_CACHE_KEY) if ttl > 0 else None
        if snapshot is None:
            snapshot = state_snapshot()
            if ttl > 0:
                cache.set(STATE_CACHE_KEY, snapshot, ttl)
        yield from _state_metrics(snapshot)


def _state_metrics(snap: dict[str, Any]) -> Iterator[Metric]:
    from portal.notifications.models import Heartbeat

    queues = snap["queues"]
    up = GaugeMetricFamily("liaison_broker_up", "1 when the Celery broker answered the scrape.")
    up.add_metric([], 0.0 if queues is None else 1.0)
    yield up
    depth = GaugeMetricFamily(
        "liaison_queue_depth", "Celery messages waiting in each queue.", labels=["queue"]
    )
    for name, count in sorted((queues or {}).items()):
        depth.add_metric([name], count)
    yield depth

    beats = snap["heartbeats"]
    sweep = beats.get(SWEEP_HEARTBEAT)
    lag = GaugeMetricFamily(
        "liaison_sweep_lag_seconds",
        "Seconds since the reminder sweep last finished (NaN: it never ran). Reminders are "
        "late when this grows past a few minutes.",
    )
    lag.add_metric([], sweep["age"] if sweep else math.nan)
    yield lag
    age = GaugeMetricFamily(
        "liaison_heartbeat_age_seconds", "Seconds since each periodic job ran.", labels=["job"]
    )
    for name, beat in sorted(beats.items()):
        age.add_metric([name], beat["age"])
    yield age
    beat = beats.get(Heartbeat.BEAT)
    queue_lag = GaugeMetricFamily(
        "liaison_beat_queue_lag_seconds",
        "How long the last beat heartbeat waited in the queue before a worker ran it.",
    )
    queue_lag.add_metric([], beat["lag"] if beat and beat["lag"] is not None else math.nan)
    yield queue_lag

    at_risk = GaugeMetricFamily(
        "liaison_deadlines_at_risk",
        "Open deadlines falling due within LIAISON_METRICS_AT_RISK_HOURS "
        f"({snap['at_risk_hours']:g} h).",
    )
    at_risk.add_metric([], float(snap["deadlines_at_risk"]))
    yield at_risk
    overdue = GaugeMetricFamily(
        "liaison_deadlines_overdue", "Open deadlines whose due time has passed."
    )
    overdue.add_metric([], float(snap["deadlines_overdue"]))
    yield overdue

    sent = CounterMetricFamily(
        "liaison_reminders_sent",
        "Reminder steps acted on (one row each), by outcome: reminded, escalated, released, "
        "release_blocked.",
        labels=["outcome"],
    )
    for outcome in ("reminded", "escalated", "released", "release_blocked"):
        sent.add_metric([outcome], float(snap["reminders"].get(outcome, 0)))
    yield sent
    deliveries = CounterMetricFamily(
        "liaison_reminder_deliveries",
        "E-mail and webhook deliveries of reminders that finished, by status: sent, or "
        "failed (every retry used up).",
        labels=["status"],
    )
    for status in ("sent", "failed"):
        deliveries.add_metric([status], float(snap["reminder_deliveries"].get(status, 0)))
    yield deliveries


_STATE_REGISTRY = CollectorRegistry(auto_describe=False)
_STATE_REGISTRY.register(StateCollector())


def process_registry() -> CollectorRegistry:
    """This process's counters, or every process's when they share a multiprocess dir."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def exposition() -> bytes:
    """The scrape's body: process metrics then state metrics."""
    return generate_latest(process_registry()) + generate_latest(_STATE_REGISTRY)


# --- Who may scrape ---------------------------------------------------------------------


def scrape_allowed(request: HttpRequest) -> bool:
    """A matching bearer token, or a direct (not proxied) peer in the allowed networks."""
    token = str(getattr(settings, "LIAISON_METRICS_TOKEN", "") or "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_X_REAL_IP" in request.META:
        return False  # came through a proxy: the peer address is the proxy's, not the caller's
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for network in getattr(settings, "LIAISON_METRICS_NETWORKS", []):
        try:
            if peer in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            logger.warning("metrics: LIAISON_METRICS_NETWORKS has an invalid entry")
    return False


@login_not_required
@audit_exempt("operational counters and gauges; no case or personal data")
@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape endpoint; 404 (like a missing page) for anyone not allowed."""
    if not scrape_allowed(request):
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


# --- Celery workers ---------------------------------------------------------------------


def worker_metrics_serve(port: int, addr: str = "0.0.0.0") -> None:  # noqa: S104 - a pod port
    """Serve this worker's process metrics (CyberTipline submissions) for the scraper.

    Reached only inside the cluster (the NetworkPolicy admits the monitoring namespace);
    the state metrics are the web tier's, so they are not served twice.
    """
    from prometheus_client import start_http_server

    start_http_server(port, addr=addr, registry=process_registry())
