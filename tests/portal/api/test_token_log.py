"""Each use of an API token is in the access log once (issue 6, issue 3): named by the
request's own event when it keeps one, else by a ``token_used`` event of its own."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from portal.accounts.tokens import api_token_issue
from portal.audit.models import AccessEvent
from tests.portal.api.tokenviews import REFERENCE

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.api.tokenviews")]

WRITE = "/t/api/write/"


@pytest.fixture
def issued(officer_a):
    return api_token_issue(user=officer_a.user, name="RMS", scopes=["read", "submit"])


@pytest.fixture
def client(issued) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    return client


def events_after_issue() -> list[AccessEvent]:
    return list(AccessEvent.objects.exclude(action="token_issued").order_by("pk"))


def test_a_write_that_commits_is_logged_by_its_own_event_naming_the_token(
    client, issued, officer_a
):
    answer = client.post(WRITE, {}, format="json")

    assert answer.status_code == 200
    [event] = events_after_issue()
    assert (event.action, event.case_reference) == ("update", REFERENCE)
    assert event.details["token"] == issued.token.prefix
    assert event.actor_id == officer_a.user_id


def test_a_write_that_rolls_back_still_leaves_the_token_use_in_the_log(client, issued, officer_a):
    answer = client.post(WRITE, {"fail": True}, format="json")

    assert answer.status_code == 400
    [event] = events_after_issue()  # the write's own event went with its transaction
    assert (event.action, event.outcome) == ("token_used", "success")
    assert event.details == {
        "method": "POST",
        "path": WRITE,
        "status": 400,
        "token": issued.token.prefix,
    }
    assert event.actor_id == officer_a.user_id
