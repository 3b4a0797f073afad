"""Logs and metrics as production runs them: JSON lines with the request id and no personal
data; metrics added up over every gunicorn worker (multiprocess mode, real gunicorn)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from portal.logs import ContextFilter, JsonFormatter, redact
from tests.deploy.pg import database_url
from tests.portal.test_health import closed_loopback_port

ROOT = Path(__file__).resolve().parents[2]
PORT = 8107  # this area's port (never shared with another test run)


def test_redaction_masks_personal_data_and_secrets():
    line = (
        "login for jane.doe@example.com from 203.0.113.7 and 2001:db8::1:2:3 with "
        "Authorization: Bearer abcdef0123456789 to postgres://liaison:s3cret@db/liaison "
        "password=hunter22; case LR-2026-000101"
    )
    masked = redact(line)
    for secret in ("jane.doe@example.com", "203.0.113.7", "2001:db8", "abcdef0123456789",
                   "s3cret", "hunter22"):  # fmt: skip
        assert secret not in masked
    assert "LR-2026-000101" in masked  # ids stay: they lead to the audit trail


def test_log_lines_of_a_request_are_json_with_its_request_id(client, db, settings):
    # A stopped broker: readyz logs a warning while serving the request.
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_loopback_port()}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("portal.health")
    logger.addHandler(handler)
    try:
        response = client.get("/readyz")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    broker = next(line for line in lines if "broker unreachable" in line["message"])
    assert broker["level"] == "WARNING"
    assert broker["logger"] == "portal.health"
    assert broker["request_id"] == response["X-Request-ID"]
    assert broker["time"].endswith("+00:00")


@pytest.mark.server
def test_gunicorn_workers_add_up_their_request_counts(transactional_db, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "GUNICORN_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "LIAISON_METRICS_STATE_CACHE_SECONDS": "0",
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
         "portal.wsgi"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{PORT}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.3)
        for _ in range(30):  # a new connection each: both workers take some
            urllib.request.urlopen(f"{base}/healthz", timeout=5)  # noqa: S310 - loopback
        counts = []
        for _ in range(6):  # whichever worker answers the scrape, it reports all of them
            body = urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode()  # noqa: S310
            for family in text_string_to_metric_families(body):
                for sample in family.samples:
                    if (
                        sample.name == "liaison_http_request_duration_seconds_count"
                        and sample.labels.get("view") == "healthz"
                    ):
                        counts.append(sample.value)
        assert len(counts) == 6
        assert min(counts) >= 31
        assert len(list((tmp_path / "prometheus").glob("*.db"))) >= 2  # two workers counted
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


@pytest.mark.server
def test_celery_worker_serves_its_counters_when_asked(celery_worker_factory, tmp_path, monkeypatch):
    # The worker inherits these (tests/celery_harness.py passes the environment on).
    monkeypatch.setenv("LIAISON_WORKER_METRICS_PORT", str(PORT))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "worker-prometheus"))
    (tmp_path / "worker-prometheus").mkdir()
    celery_worker_factory("worker")
    deadline = time.monotonic() + 30
    while True:
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=5).read()
            break
        except OSError:
            assert time.monotonic() < deadline, "the worker's metrics server never answered"
            time.sleep(0.3)
    names = {f.name for f in text_string_to_metric_families(body.decode())}
    assert "liaison_cybertip_submissions" in names
