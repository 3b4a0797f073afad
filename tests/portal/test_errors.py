"""Error answers (issue 9, item 6): a 403, 404 or 500 page in the portal's layout for people
(navigation, the way home, no technical detail), and problem+json under /api/, also for an
error nobody expected.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.accounts.models import Team
from tests.cases.factories import CaseFactory
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_team(db):
    return Team.objects.create(name="EMEA", slug="emea")


def test_a_case_of_another_team_is_a_404_page_in_the_layout(responder, other_team):
    case = CaseFactory(team=other_team)

    response = verified_client(responder).get(reverse("cases:detail", args=[case.reference]))

    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-testid="error-page"' in body
    assert "Page not found" in body
    assert 'class="mainnav"' in body  # the user's navigation is there to go on from
    assert case.reference not in body


def test_an_unknown_address_is_the_404_page(responder):
    response = verified_client(responder).get("/no-such-page/")

    assert response.status_code == 404
    assert 'data-testid="error-page"' in response.content.decode()


def test_the_404_page_shows_under_debug_too(responder, other_team, settings):
    """Django's debug page would otherwise hide what a user sees (``ErrorPageMiddleware``)."""
    settings.DEBUG = True
    case = CaseFactory(team=other_team)

    response = verified_client(responder).get(reverse("cases:detail", args=[case.reference]))

    assert response.status_code == 404
    assert 'data-testid="error-page"' in response.content.decode()


def test_a_refusal_is_the_403_page(responder):
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory

    from portal.errors import permission_denied

    request = RequestFactory().get("/cases/")
    responder.is_verified = lambda: True  # as OTPMiddleware marks a two-factor session
    request.user = responder
    response = permission_denied(request, PermissionDenied())

    assert response.status_code == 403
    body = response.content.decode()
    assert "You may not do this" in body and "recorded in the access log" in body


@pytest.mark.urls("tests.portal.error_urls")
def test_an_unexpected_error_is_the_500_page(responder):
    client = verified_client(responder)
    client.raise_request_exception = False

    response = client.get("/boom/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "RuntimeError" not in body and "Traceback" not in body


@pytest.mark.urls("tests.portal.error_urls")
def test_an_unexpected_api_error_is_problem_json(caplog):
    response = Client(raise_request_exception=False).get("/api/v1/boom/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "server_error" and body["status"] == 500
    assert body["type"] == "urn:liaison:problem:server_error"
    assert "a bug in an endpoint" not in response.content.decode()
    assert "a bug in an endpoint" in caplog.text  # logged for the operator, with the trace


@pytest.mark.urls("tests.portal.error_urls")
def test_the_database_restarting_is_a_503_to_retry_not_a_500(responder):
    api = Client(raise_request_exception=False).get("/api/v1/down/")
    staff = verified_client(responder)
    staff.raise_request_exception = False
    page = staff.get("/down/")

    assert api.status_code == 503 and api["Retry-After"] == "5"
    assert api.json()["code"] == "service_unavailable"
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "briefly unavailable" in page.content.decode()


def test_an_unknown_api_address_is_problem_json():
    response = Client().get("/api/v1/no-such-endpoint/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
