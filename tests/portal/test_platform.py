"""The platform shell: health, headers, settings behaviour, client address resolution."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory, override_settings

from portal.net import client_ip

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.smoke
def test_health_check_answers_from_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.smoke
def test_login_page_carries_strict_security_headers(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.smoke
def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _settings_in_subprocess(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(extra_env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings_in_subprocess(
        {
            "LIAISON_ENV": "production",
            "ALLOWED_HOSTS": "liaison.example.com",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        }
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = _settings_in_subprocess(
        {
            "LIAISON_ENV": "production",
            "SECRET_KEY": "x" * 60,
            "DEBUG": "true",
            "ALLOWED_HOSTS": "liaison.example.com",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        }
    )
    assert result.returncode != 0
    assert "DEBUG cannot be on" in result.stderr


def test_production_requires_an_explicit_database():
    result = _settings_in_subprocess(
        {
            "LIAISON_ENV": "production",
            "SECRET_KEY": "x" * 60,
            "DATABASE_URL": "",
            "ALLOWED_HOSTS": "liaison.example.com",
        }
    )
    assert result.returncode != 0
    assert "DATABASE_URL is required" in result.stderr


def test_forwarded_for_is_ignored_from_untrusted_peers():
    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert client_ip(request) == "198.51.100.7"


@override_settings(LIAISON_TRUSTED_PROXIES=["192.0.2.0/24"])
def test_forwarded_for_is_believed_only_up_to_the_first_untrusted_hop():
    request = RequestFactory().get(
        "/",
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.20, 192.0.2.11",
    )
    assert client_ip(request) == "198.51.100.20"
