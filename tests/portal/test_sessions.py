"""Sessions are renewed once a minute, not written on every page (issue 9, item 17)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.sessions import RENEWED_AT_KEY
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


def session_writes(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return sum('"django_session"' in q["sql"] and "UPDATE" in q["sql"] for q in context)


def test_a_second_page_within_the_minute_writes_no_session(responder):
    client = verified_client(responder)
    page = reverse("cases:queue")

    first = session_writes(client, page)
    second = session_writes(client, page)

    assert first == 1  # the renewal: the idle limit starts again
    assert second == 0


def test_the_session_is_renewed_again_after_the_interval(responder, settings):
    settings.LIAISON_SESSION_RENEW_SECONDS = 60
    client = verified_client(responder)
    page = reverse("cases:queue")
    session_writes(client, page)
    key = client.session.session_key
    stored = client.session
    stored[RENEWED_AT_KEY] = stored[RENEWED_AT_KEY] - 61
    stored.save()
    before = Session.objects.get(session_key=key).expire_date

    assert session_writes(client, page) == 1
    assert Session.objects.get(session_key=key).expire_date >= before


def test_a_stale_cookie_creates_no_session(client):
    client.cookies["sessionid"] = "nosuchsessionkey0000000000000000"

    client.get("/no-such-page/")

    assert Session.objects.count() == 0
