"""Finding 6 of the security review: unauthenticated API noise.

Invalid tokens were never throttled (authentication fails before DRF's throttles run) and
each wrote an access event, so anyone could flood the log. Now failures are limited per
client address before any token lookup, and identical ones are logged in aggregate.
"""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from portal.audit.models import AccessEvent

ME = "/api/v1/me/"
BOGUS = "lia_abcdefgh_" + "x" * 43

pytestmark = pytest.mark.django_db


def flood(n: int, address: str = "203.0.113.9") -> list[int]:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {BOGUS}")
    return [client.get(ME).status_code for _ in range(n)]


def test_a_flood_of_invalid_tokens_is_cut_off_before_any_lookup(settings):
    settings.LIAISON_API_AUTH_FAILURES = 20
    # WHEN one address sends 120 invalid tokens
    statuses = flood(120)
    # THEN the first 20 are refused as invalid, the rest slowed down with 429
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}
    # AND a further one costs no database query at all (no token lookup, no log row)
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {BOGUS}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ME)
    assert response.status_code == 429
    assert "Retry-After" in response
    assert [q["sql"] for q in queries.captured_queries] == []
    # AND another address is unaffected
    assert flood(1, address="198.51.100.20") == [401]


def test_identical_failures_are_logged_in_aggregate(settings):
    settings.LIAISON_API_AUTH_FAILURES = 1000
    flood(150)
    events = AccessEvent.objects.filter(action="token_used", outcome="denied").order_by("id")
    # the 1st, 10th and 100th of 150 identical failures: three rows, each with its count
    assert [e.details.get("repeats", 1) for e in events] == [1, 10, 100]
    assert {e.ip for e in events} == {"203.0.113.9"}


def test_production_needs_a_shared_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert "accounts.E001" in {m.id for m in run_checks(include_deployment_checks=True)}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
        }
    }
    assert "accounts.E001" not in {m.id for m in run_checks(include_deployment_checks=True)}


def test_x_forwarded_proto_is_believed_from_trusted_proxies_only(settings, client):
    """Finding 7: a client reaching gunicorn directly could claim HTTPS."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from portal.net import ForwardedProtoFromProxiesMiddleware

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.LIAISON_TRUSTED_PROXIES = ["10.0.0.0/8"]
    seen = {}

    def view(request):
        seen["secure"] = request.is_secure()
        return HttpResponse()

    middleware = ForwardedProtoFromProxiesMiddleware(view)
    factory = RequestFactory()
    middleware(factory.get("/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="203.0.113.5"))
    assert seen["secure"] is False
    middleware(factory.get("/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.1.2.3"))
    assert seen["secure"] is True
