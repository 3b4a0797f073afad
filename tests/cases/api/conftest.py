"""Fixtures of the request API tests: tokens per persona, a bearer client, a form."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from portal.accounts.models import Officer
from portal.accounts.tokens import api_token_issue
from tests.cases.documents import pdf_upload

LIST = "/api/v1/requests/"


def detail(reference: str) -> str:
    return f"/api/v1/requests/{reference}/"


def extend(reference: str) -> str:
    return f"/api/v1/requests/{reference}/extend-preservation/"


def withdraw(reference: str) -> str:
    return f"/api/v1/requests/{reference}/withdraw/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def token_for(officer: Officer, scopes: tuple[str, ...] = ("read", "submit")) -> str:
    return api_token_issue(user=officer.user, name="Case system", scopes=list(scopes)).plaintext


def bearer(plaintext: str | None) -> APIClient:
    client = APIClient()
    if plaintext:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def api_a(officer_a) -> APIClient:
    """Officer A's software, with a read+submit token."""
    return bearer(token_for(officer_a))


@pytest.fixture
def api_b(officer_b) -> APIClient:
    return bearer(token_for(officer_b))


def submission(**overrides: Any) -> dict[str, Any]:
    """A valid multipart submission (a subpoena from Illinois with its PDF)."""
    values: dict[str, Any] = {
        "kind": "us_subpoena",
        "jurisdiction": "US-IL",
        "issuing_authority": "Circuit Court of Example County",
        "agency_case_number": "SPD-26-0412",
        "targets": json.dumps([{"type": "email", "value": "Suspect@Example.com"}]),
        "data_categories": ["subscriber", "login_ip"],
        "date_from": "2026-01-01",
        "date_to": "2026-02-28",
        "legal_process": pdf_upload(),
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def submit(client: APIClient, key: str | None = None, **overrides: Any):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(LIST, submission(**overrides), format="multipart", **headers)
