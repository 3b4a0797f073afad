"""The viewer's language: profile first, then the switcher's cookie, then the browser."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.audit.models import AccessEvent
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    body = response.content.decode()
    start = body.index('<html lang="') + len('<html lang="')
    return body[start : body.index('"', start)]


def test_the_browser_language_is_used_when_nothing_was_chosen():
    response = Client().get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert html_lang(response) == "de"


def test_every_language_of_the_portal_is_offered_in_its_own_name():
    response = Client().get(reverse("accounts:login"))
    body = response.content.decode()
    assert 'data-testid="language-switch"' in body
    for name in ("English", "Français", "Nederlands", "Deutsch", "Español"):
        assert name in body


def test_the_switcher_remembers_the_choice_in_a_cookie_and_goes_back():
    client = Client()
    response = client.post(
        reverse("language_set"),
        {"language": "nl"},
        HTTP_REFERER=f"http://testserver{reverse('accounts:login')}",
    )
    assert response.status_code == 302
    assert response["Location"] == f"http://testserver{reverse('accounts:login')}"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="de")
    assert html_lang(page) == "nl"  # the choice beats the browser


def test_the_switcher_never_sends_anyone_to_another_site():
    response = Client().post(
        reverse("language_set"), {"language": "fr"}, HTTP_REFERER="https://evil.example.com/"
    )
    assert response["Location"] == "/"
    response = Client().post(
        reverse("language_set"), {"language": "fr", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/"


def test_an_unknown_language_changes_nothing():
    client = Client()
    client.post(reverse("language_set"), {"language": "xx", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_a_signed_in_officer_keeps_the_language_on_any_computer(officer_a):
    client = verified_client(officer_a.user)
    client.post(reverse("language_set"), {"language": "es", "next": "/"})
    officer_a.user.refresh_from_db()
    assert officer_a.user.language == "es"
    assert AccessEvent.objects.filter(
        actor=officer_a.user, action="update", details__language="es"
    ).exists()

    elsewhere = verified_client(officer_a.user)  # another browser: no cookie
    page = elsewhere.get(reverse("officer:requests"), HTTP_ACCEPT_LANGUAGE="de")
    assert html_lang(page) == "es"


def test_the_api_answers_bad_input_in_the_language_asked_for(officer_a):
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from portal.accounts.tokens import api_token_issue

    cache.clear()
    token = api_token_issue(user=officer_a.user, name="Case system", scopes=["read", "submit"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    response = client.post(
        "/api/v1/requests/", {"kind": "us_subpoena"}, format="multipart", HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "urn:liaison:problem:validation_error"  # machine part unchanged
    assert problem["title"] == "Ongeldige invoer."
    assert "ongeldige velden" in problem["detail"]
    targets = next(e for e in problem["errors"] if e["field"] == "targets")
    assert targets == {"field": "targets", "message": "Dit veld is vereist.", "code": "required"}


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "2026-03-02 14:05 UTC"),
        ("fr", "02/03/2026 14:05 UTC"),
        ("de", "02.03.2026 14:05 UTC"),
        ("nl", "2-3-2026 14:05 UTC"),
        ("es", "02/03/2026 14:05 UTC"),
    ],
)
def test_times_are_written_the_way_the_language_writes_them_with_their_zone(language, shown):
    from datetime import UTC, datetime

    from django.utils import translation

    from cases.templatetags.case_ui import when

    with translation.override(language):
        assert when(datetime(2026, 3, 2, 14, 5, tzinfo=UTC)) == shown
