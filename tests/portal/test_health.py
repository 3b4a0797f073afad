"""Liveness and readiness: what the orchestrator and the load balancer rely on.

A stopped database or broker must make ``/readyz`` answer 503 (the pod leaves the load
balancer) while ``/healthz`` keeps answering (no restart storm). The "stopped" services
are real ones that cannot be reached: a PostgreSQL connection and a Redis URL aimed at a
loopback port nothing listens on.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connections
from django.db.utils import load_backend
from django.utils import timezone

from portal import health
from portal.notifications.models import Heartbeat
from portal.notifications.services import heartbeat_record

# Readiness depends on the database and broker given: run again on PostgreSQL and Redis.
pytestmark = pytest.mark.server


def closed_loopback_port() -> int:
    """A loopback port nothing listens on (bound once to pick it, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unreachable_database(db) -> Iterator[str]:
    """A database alias whose server is down: the default's settings, a dead port.

    A real psycopg connection through Django's PostgreSQL backend, registered for this
    test only (as a connection made at run time, which Django's test case allows).
    """
    alias = "unreachable"
    config = {
        **connections["default"].settings_dict,
        "HOST": "127.0.0.1",
        "PORT": str(closed_loopback_port()),
    }
    connections[alias] = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias)
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]


@pytest.fixture
def sweep_fresh(db) -> Heartbeat:
    return heartbeat_record(name=health.SWEEP_HEARTBEAT)


@pytest.fixture
def stopped_broker(settings) -> str:
    url = f"redis://127.0.0.1:{closed_loopback_port()}/0"
    settings.CELERY_BROKER_URL = url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    return url


@pytest.mark.smoke
def test_liveness_needs_no_dependency(client, unreachable_database, settings):
    settings.LIAISON_READY_DATABASES = [unreachable_database]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.smoke
def test_ready_when_database_broker_storage_and_sweep_answer(client, sweep_fresh):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok", "sweep": "ok"},
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_stopped_database_is_not_ready(client, unreachable_database, sweep_fresh, settings):
    settings.LIAISON_READY_DATABASES = [unreachable_database]
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "unreachable"
    assert body["checks"]["sweep"] == "unknown"  # cannot be read without the database
    assert "127.0.0.1" not in response.content.decode()  # no infrastructure detail


def test_database_check_reports_the_real_connection_error(unreachable_database):
    check = health.database_check(unreachable_database)
    assert check == health.Check("database", False, "unreachable")
    assert health.database_check("default").ok


def test_stopped_broker_is_not_ready(client, stopped_broker, sweep_fresh):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"] == "unreachable"
    assert checks["database"] == "ok"


def test_broker_check_against_a_closed_port_fails_fast(stopped_broker):
    started = timezone.now()
    assert health.broker_check(stopped_broker) == health.Check("broker", False, "unreachable")
    assert timezone.now() - started < timedelta(seconds=5)


def test_late_sweep_is_not_ready_unless_ignored(client, db, settings):
    settings.LIAISON_READY_SWEEP_MAX_AGE_SECONDS = 300
    beat = heartbeat_record(name=health.SWEEP_HEARTBEAT)
    Heartbeat.objects.filter(pk=beat.pk).update(last_seen=timezone.now() - timedelta(minutes=7))

    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["sweep"].startswith("late 4")  # ~420 s

    # The web tier's probe: the sweep is reported, not enforced.
    response = client.get("/readyz?ignore=sweep")
    assert response.status_code == 200
    assert response.json()["ignored"] == ["sweep"]


def test_sweep_that_never_ran_is_not_ready(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["sweep"] == "never ran"


def test_only_the_sweep_can_be_ignored(client, stopped_broker, sweep_fresh):
    response = client.get("/readyz?ignore=broker,database,storage")
    assert response.status_code == 503
    assert "ignored" not in response.json()


def test_missing_storage_directory_is_not_ready(client, sweep_fresh, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "not-mounted")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "missing"


def test_health_endpoints_need_no_sign_in_and_leave_no_access_event(client, sweep_fresh):
    from portal.audit.models import AccessEvent

    before = AccessEvent.objects.count()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert AccessEvent.objects.count() == before


def test_command_line_check_for_pods_without_http(sweep_fresh, transactional_db):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.deploy.pg import database_url

    env = {**os.environ, "DATABASE_URL": database_url(connections["default"].settings_dict)}
    root = Path(__file__).resolve().parents[2]
    run = [sys.executable, "-m", "portal.healthcheck"]
    done = subprocess.run(
        [*run, "sweep", "database"], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["sweep: ok", "database: ok"]
    Heartbeat.objects.filter(name=health.SWEEP_HEARTBEAT).delete()
    done = subprocess.run(
        [*run, "sweep"], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stdout.strip() == "sweep: never ran"


def test_probes_answer_a_kubelet_on_plain_http_with_the_pod_address(client, sweep_fresh, settings):
    # Production: only the public host is allowed, and plain HTTP is redirected to HTTPS.
    settings.ALLOWED_HOSTS = ["liaison.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    kubelet = {"HTTP_HOST": "192.0.2.15:8000"}  # what a probe sends: the pod's address
    assert client.get("/healthz", **kubelet).status_code == 200
    ready = client.get("/readyz", **kubelet)
    assert ready.status_code == 200  # not a 301 that a probe would count as success
    assert ready.json()["status"] == "ready"
    # Everything else still checks the host and redirects.
    assert client.get("/accounts/login/", **kubelet).status_code == 400
    public = client.get("/accounts/login/", HTTP_HOST="liaison.example.com")
    assert public.status_code == 301 and public["Location"].startswith("https://")
