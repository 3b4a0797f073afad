"""Abuse limits (issue 18, item 3): the public officer pages per client address
(``portal.ratelimits``, django-ratelimit on the shared cache), and 429 with ``Retry-After``
on every API credential (problem+json). The sign-in limits by account and by address are
``tests/portal/accounts/test_lockout.py``; failed API authentications per address
``tests/portal/api/test_auth_failures.py``."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from portal.accounts.models import Officer
from reports.matching.credentials import service_credential_issue
from tests.cases.api.conftest import token_for

pytestmark = pytest.mark.django_db

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def application(agency_id: int, n: int) -> dict:
    return {
        "first_name": "Dana",
        "last_name": f"Example{n}",
        "agency": agency_id,
        "badge_number": f"B-{n}",
        "email": f"dana{n}@a-pd.example.gov",
        "phone": "+12025550142",
    }


def test_officer_applications_are_limited_per_address(officer_a, settings):
    settings.LIAISON_APPLY_RATE = "3/h"
    client = Client(REMOTE_ADDR="192.0.2.10")
    for n in range(3):
        response = client.post("/officer/apply/", application(officer_a.agency_id, n))
        assert response.status_code == 302
    applied, sent = Officer.objects.count(), len(mail.outbox)

    refused = client.post("/officer/apply/", application(officer_a.agency_id, 9))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert b"Too many requests" in refused.content
    assert (Officer.objects.count(), len(mail.outbox)) == (applied, sent)
    # Reading the form is not counted; another address is not limited by this one.
    assert client.get("/officer/apply/").status_code == 200
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post("/officer/apply/", application(officer_a.agency_id, 10)).status_code == 302


def test_a_forged_forwarded_for_does_not_reset_the_count(officer_a, settings):
    """The address is ``portal.net.client_ip``: X-Forwarded-For from an untrusted peer is
    ignored, so rotating it buys no new attempts."""
    settings.LIAISON_APPLY_RATE = "2/h"
    for n in range(3):
        response = Client(REMOTE_ADDR="192.0.2.11", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").post(
            "/officer/apply/", application(officer_a.agency_id, n)
        )
    assert response.status_code == 429


def test_enrolment_link_guesses_are_limited_per_address(settings):
    settings.LIAISON_ENROL_RATE = "5/h"
    client = Client(REMOTE_ADDR="192.0.2.12")
    answers = [client.get(f"/officer/enrol/guess-{n}/").status_code for n in range(6)]
    assert 429 not in answers[:5]
    assert answers[5] == 429


def assert_429(response) -> None:
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/problem+json")
    assert int(response["Retry-After"]) >= 1
    assert response.json()["retry_after"] == int(response["Retry-After"])


def test_every_api_credential_gets_429_with_retry_after(officer_a, settings, tmp_path, monkeypatch):
    from portal.api.throttles import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "rate", "2/min", raising=False)
    officer = APIClient()
    officer.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(officer_a)}")
    for _ in range(2):
        assert officer.get("/api/v1/requests/").status_code == 200
    assert_429(officer.get("/api/v1/requests/"))

    settings.LIAISON_MATCH_RATE = "2/min"
    settings.LIAISON_MATCH_INDEX_DIR = str(tmp_path / "index")
    matcher = APIClient()
    credential = service_credential_issue(name="pipeline", scopes=["match"]).plaintext
    matcher.credentials(HTTP_AUTHORIZATION=f"Bearer {credential}")
    for _ in range(2):
        matcher.post("/api/v1/match/", {"account_id": "u1", "md5": MD5}, format="json")
    assert_429(matcher.post("/api/v1/match/", {"account_id": "u1", "md5": MD5}, format="json"))
