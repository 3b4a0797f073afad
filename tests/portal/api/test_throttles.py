"""Per-token rate limits answer a clear 429 with Retry-After (issue 6)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from portal.accounts.tokens import api_token_issue
from portal.api.throttles import PublicRateThrottle, TokenRateThrottle
from portal.audit.models import AccessEvent

ME = "/api/v1/me/"


@pytest.fixture
def low_limits(monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min", "public": "2/min"})
    monkeypatch.setattr(PublicRateThrottle, "THROTTLE_RATES", {"token": "3/min", "public": "2/min"})


def client_for(officer) -> APIClient:
    plaintext = api_token_issue(user=officer.user, name="t", scopes=["read"]).plaintext
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def test_the_fourth_request_in_a_minute_is_refused_with_retry_after(officer_a, low_limits):
    client = client_for(officer_a)

    statuses = [client.get(ME).status_code for _ in range(4)]
    refused = client.get(ME)

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 60
    body = refused.json()
    assert body["code"] == "throttled"
    assert body["status"] == 429
    assert body["retry_after"] == retry_after
    # Refused requests are uses of the token too: each is logged once, as denied.
    uses = AccessEvent.objects.filter(action="token_used").order_by("pk")
    assert [(e.outcome, e.details["status"]) for e in uses] == [("success", 200)] * 3 + [
        ("denied", 429)
    ] * 2
    assert {e.details["token"] for e in uses} == {officer_a.user.api_tokens.get().prefix}


def test_limits_are_per_token(officer_a, officer_b, low_limits):
    first = client_for(officer_a)
    second_of_same_officer = client_for(officer_a)
    other_officer = client_for(officer_b)

    for _ in range(3):
        first.get(ME)

    assert first.get(ME).status_code == 429
    assert second_of_same_officer.get(ME).status_code == 200
    assert other_officer.get(ME).status_code == 200


def test_public_endpoints_are_limited_per_address(db, low_limits):
    client = APIClient()

    statuses = [client.get("/api/v1/schema/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
