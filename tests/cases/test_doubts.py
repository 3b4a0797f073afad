"""Before filing: what the legal rules say is doubtful about a request, on the API's check,
on the officer portal's form, and in the officer's language."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.doubts import intake_doubts
from cases.models import Case, DataCategory, ProcessKind
from cases.services import intake_input
from portal.accounts.tokens import api_token_issue
from tests.cases.documents import pdf_upload
from tests.factories import verified_client

pytestmark = pytest.mark.django_db
K = ProcessKind
TODAY = date(2026, 12, 2)


def codes(**facts) -> list[str]:
    values = {"targets": [("email", "suspect@example.com")], "jurisdiction": "US-IL"}
    values.update(facts)
    return [d.code for d in intake_doubts(intake_input(**values), today=TODAY)]


def test_a_subpoena_asking_for_content_is_doubtful_but_subscriber_data_is_not():
    assert codes(kind=K.US_SUBPOENA, data_categories=[DataCategory.CONTENT]) == ["beyond_statute"]
    assert codes(kind=K.US_SUBPOENA, data_categories=[DataCategory.SUBSCRIBER]) == []
    assert codes(kind=K.US_2703D_ORDER, data_categories=[DataCategory.CONTENT]) == [
        "beyond_statute"
    ]
    assert codes(kind=K.US_SEARCH_WARRANT, data_categories=[DataCategory.CONTENT]) == []


def test_an_eu_order_before_the_regulation_applies_or_from_denmark_is_doubtful():
    early = datetime(2026, 8, 17, 12, tzinfo=timezone.get_current_timezone())
    assert codes(kind=K.EU_EPOC, jurisdiction="DE-BE", received_at=early) == [
        "eu_before_application"
    ]
    on_time = datetime(2026, 8, 18, 9, tzinfo=timezone.get_current_timezone())
    assert codes(kind=K.EU_EPOC, jurisdiction="DE-BE", received_at=on_time) == []
    assert "eu_state_not_bound" in codes(kind=K.EU_EPOC_PR, jurisdiction="DK", received_at=on_time)


def test_an_emergency_without_its_facts_and_past_dates_are_doubtful():
    assert "emergency_without_justification" in codes(kind=K.US_EMERGENCY, emergency=True)
    assert codes(kind=K.US_SUBPOENA, ndo=True, ndo_expires_on=TODAY - timedelta(days=1)) == [
        "ndo_expired"
    ]
    assert codes(kind=K.US_SUBPOENA, ndo=True) == ["ndo_without_end"]
    assert codes(kind=K.US_SUBPOENA, return_date=TODAY - timedelta(days=3)) == ["return_date_past"]


@pytest.fixture
def api(officer_a) -> APIClient:
    cache.clear()
    token = api_token_issue(user=officer_a.user, name="Case system", scopes=["read", "submit"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    return client


def test_the_api_check_answers_doubts_in_the_officer_language_and_stores_nothing(api):
    response = api.post(
        "/api/v1/requests/check/",
        {"kind": "us_subpoena", "jurisdiction": "US-IL", "data_categories": ["content"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 200, response.content
    doubt = response.json()["doubts"][0]
    assert doubt["code"] == "beyond_statute"
    assert doubt["field"] == "data_categories"
    assert "Subpoena" in doubt["message"] and "Durchsuchungsbeschluss" in doubt["message"]
    assert not Case.objects.exists()


def test_the_api_check_refuses_bad_fields_like_filing_does(api):
    response = api.post("/api/v1/requests/check/", {"kind": "nonsense"}, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} >= {"kind", "jurisdiction"}


def test_the_portal_shows_the_doubts_first_and_files_once_confirmed(officer_a):
    client = verified_client(officer_a.user)
    form = {
        "submission_key": "k-doubts-1",
        "kind": "us_subpoena",
        "jurisdiction": "US-IL",
        "targets": "email:suspect@example.com",
        "data_categories": ["content"],
    }
    first = client.post(reverse("officer:request_new"), {**form, "document": pdf_upload()})
    body = first.content.decode()
    assert first.status_code == 200
    assert 'data-testid="doubts"' in body and "2703(c)(2)" in body
    assert not Case.objects.exists()

    confirmed = client.post(
        reverse("officer:request_new"),
        {**form, "document": pdf_upload(), "doubts_confirmed": "on"},
    )
    assert confirmed.status_code == 302
    assert Case.objects.count() == 1
