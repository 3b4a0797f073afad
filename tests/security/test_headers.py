"""Response headers and cookies under the production settings (issue 18, item 4).

The settings that differ in production are read from ``portal.settings`` loaded with
``LIAISON_ENV=production`` in a child process (settings are evaluated once, at import), then
applied to this process, so the test follows what production really sets and fails when a
production default is weakened. Requests go over HTTPS, as behind the TLS proxy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from http.cookies import Morsel
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD, totp_device
from tests.otp import fresh_totp

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
ORIGIN = "https://testserver"

# Every setting that shapes a header or a cookie.
HEADER_AND_COOKIE_SETTINGS = [
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_PATH",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "CSRF_COOKIE_DOMAIN",
    "CSRF_COOKIE_PATH",
    "CSRF_TRUSTED_ORIGINS",
    "LANGUAGE_COOKIE_NAME",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "LIAISON_PERMISSIONS_POLICY",
]


@pytest.fixture(scope="module")
def production_values() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "CSRF_"))}
    env.update(
        {
            "LIAISON_ENV": "production",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "liaison.example.com",
            "DATABASE_URL": "postgres://liaison_app@127.0.0.1:5432/liaison",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
        }
    )
    env.pop("DEBUG", None)
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {HEADER_AND_COOKIE_SETTINGS!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    values = json.loads(result.stdout.strip().splitlines()[-1])
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


@pytest.fixture(autouse=True)
def production(settings, production_values):
    for name, value in production_values.items():
        setattr(settings, name, value)
    return settings


def https_client() -> Client:
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def get(client: Client, path: str, **extra):
    return client.get(path, secure=True, **extra)


def post(client: Client, path: str, data: dict, *, token: bool = True):
    """A browser's same-origin form post: the form's CSRF token (the cookie's value, as the
    page renders it) and, over HTTPS, the Referer Django also checks."""
    if token:
        data = {**data, "csrfmiddlewaretoken": client.cookies["__Host-csrftoken"].value}
    return client.post(path, data, secure=True, HTTP_REFERER=ORIGIN + path)


def assert_host_only_cookie(cookie: Morsel, *, httponly: bool = True) -> None:
    """What the ``__Host-`` prefix makes browsers demand, and the flags we add to it."""
    assert cookie.key.startswith("__Host-"), cookie.key
    assert cookie["secure"] is True, cookie.OutputString()
    assert cookie["path"] == "/", cookie.OutputString()
    assert cookie["domain"] == "", cookie.OutputString()
    assert cookie["samesite"] == "Lax", cookie.OutputString()
    assert bool(cookie["httponly"]) is httponly, cookie.OutputString()


def assert_security_headers(response, *, html: bool = True) -> None:
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy, policy
    assert "publickey-credentials-get=(self)" in policy
    if not html:
        return
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp, csp


def test_plain_http_is_sent_to_https():
    response = https_client().get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


def test_pages_api_answers_errors_and_static_files_carry_the_headers(responder):
    client = https_client()
    assert_security_headers(get(client, "/accounts/login/"))
    assert_security_headers(get(client, "/no-such-page/"))
    api = APIClient(raise_request_exception=False)
    unauthenticated = api.get("/api/v1/requests/", secure=True)
    assert unauthenticated.status_code == 401
    assert_security_headers(unauthenticated)
    # Static files are answered by WhiteNoise before the CSP and frame middleware; a style
    # sheet or a script is not a document, so it needs the transport and sniffing headers.
    static = get(client, "/static/portal/js/passkey-verify.js")
    assert static.status_code == 200
    assert_security_headers(static, html=False)


def test_sign_in_sets_host_only_secure_httponly_cookies_and_they_are_read_back(responder):
    """GIVEN the production cookie names and flags WHEN an officer of the provider signs in
    with password and TOTP over HTTPS THEN each cookie is a ``__Host-`` cookie, Secure,
    HttpOnly, SameSite=Lax, and the portal reads them back (the signed-in page opens, a
    form post passes CSRF, the language choice sticks)."""
    device = totp_device(responder)
    client = https_client()
    page = get(client, reverse("accounts:login"))
    csrf = page.cookies["__Host-csrftoken"]
    assert_host_only_cookie(csrf)

    step_one = post(
        client,
        reverse("accounts:login"),
        {"username": responder.username, "password": PASSWORD},
    )
    assert step_one.status_code == 302, step_one.content[:300]
    assert_host_only_cookie(step_one.cookies["__Host-sessionid"])
    assert "sessionid" not in client.cookies

    step_two = post(client, reverse("accounts:verify"), {"token": fresh_totp(device)})
    assert step_two.status_code == 302, step_two.content[:300]
    assert_host_only_cookie(step_two.cookies["__Host-sessionid"])  # rotated on sign-in

    home = get(client, "/cases/")
    assert home.status_code == 200
    assert home.wsgi_request.user == responder

    switched = post(client, reverse("language_set"), {"language": "fr", "next": "/"})
    assert switched.status_code == 302
    assert_host_only_cookie(switched.cookies["__Host-django_language"])
    anonymous = https_client()
    anonymous.cookies["__Host-django_language"] = "fr"
    assert get(anonymous, reverse("accounts:login"))["Content-Language"] == "fr"


@pytest.mark.parametrize("case", ["no token", "no referer", "foreign origin"])
def test_a_form_post_without_same_origin_proof_is_refused(responder, case):
    """CSRF on every form: the token and, over HTTPS, a same-origin Referer or Origin."""
    client = https_client()
    token = get(client, reverse("accounts:login")).cookies["__Host-csrftoken"].value
    data = {"username": responder.username, "password": PASSWORD}
    path = reverse("accounts:login")
    if case == "no token":
        response = post(client, path, data, token=False)
    elif case == "no referer":
        response = client.post(path, {**data, "csrfmiddlewaretoken": token}, secure=True)
    else:
        response = client.post(
            path,
            {**data, "csrfmiddlewaretoken": token},
            secure=True,
            HTTP_ORIGIN="https://evil.example.com",
        )
    assert response.status_code == 403
    assert "__Host-sessionid" not in client.cookies
