"""API tokens (issue 6): hashed at rest, scoped, expiring, revocable, logged on every use,
and stopped at once when the officer, the agency or the account may no longer act."""

from __future__ import annotations

import hashlib
import io
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal.accounts.middleware import AUTH_AT_KEY
from portal.accounts.models import Agency, ApiToken, Officer
from portal.accounts.onboarding import agency_suspend, officer_reinstate, officer_suspend
from portal.accounts.roles import Role, user_roles
from portal.accounts.tokens import (
    IssuedToken,
    api_token_check,
    api_token_issue,
    api_token_revoke,
    token_digest,
)
from portal.audit.models import AccessEvent
from tests.factories import UserFactory, verified_client

ME = "/api/v1/me/"


def issue(officer: Officer, scopes=("read",), days: int | None = None) -> IssuedToken:
    return api_token_issue(user=officer.user, name="Case system", scopes=list(scopes), days=days)


def bearer(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


# --- hashing and issue ------------------------------------------------------------------------


def test_the_plaintext_is_nowhere_in_the_database(officer_a):
    issued = issue(officer_a)
    secret = issued.plaintext.split("_", 2)[2]

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = repr(cursor.fetchall())
        cursor.execute("SELECT details::text FROM audit_accessevent")
        events = repr(cursor.fetchall())
    assert secret not in rows
    assert secret not in events
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(issued.plaintext.encode()).hexdigest()
    assert issued.plaintext.startswith(f"lia_{token.prefix}_")
    assert len(secret) >= 43  # 32 random bytes, URL-safe base64


def test_default_lifetime_is_90_days_and_issue_is_audited(officer_a):
    issued = issue(officer_a)

    lifetime = issued.token.expires_at - issued.token.created_at
    assert lifetime == timedelta(days=90)
    event = AccessEvent.objects.get(action="token_issued")
    assert event.object_id == str(issued.token.pk)
    assert event.details["scopes"] == ["read"]


@pytest.mark.parametrize(
    ("scopes", "days"), [([], 90), (["admin"], 90), (["read"], 0), (["read"], 400)]
)
def test_bad_scopes_or_lifetimes_are_refused(officer_a, scopes, days):
    with pytest.raises(ValidationError):
        api_token_issue(user=officer_a.user, name="x", scopes=scopes, days=days)
    assert not ApiToken.objects.exists()


def test_only_verified_officers_get_tokens(responder, officer_a):
    Officer.objects.filter(pk=officer_a.pk).update(status=Officer.Status.APPLIED)
    officer_a.refresh_from_db()

    with pytest.raises(ValidationError):
        api_token_issue(user=responder, name="x", scopes=["read"])
    with pytest.raises(ValidationError):
        api_token_issue(user=officer_a.user, name="x", scopes=["read"])
    assert not ApiToken.objects.exists()


# --- using a token ----------------------------------------------------------------------------


def test_a_token_opens_the_api_and_every_use_is_logged(officer_a):
    issued = issue(officer_a, scopes=("read", "submit"))
    client = bearer(issued.plaintext)

    answers = [client.get(ME) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    body = answers[0].json()
    assert body["agency"]["name"] == "Agency A Police"
    assert body["token"]["scopes"] == ["read", "submit"]
    assert body["token"]["prefix"] == issued.token.prefix
    # /me/ shows no case data and records no read, so each use is its own token_used event,
    # one per request, naming the token.
    assert AccessEvent.objects.count() == 1 + 3  # issue, then three uses
    uses = AccessEvent.objects.filter(action="token_used", outcome="success")
    assert uses.count() == 3
    assert {e.actor_id for e in uses} == {officer_a.user_id}
    assert {e.actor_agency for e in uses} == {"Agency A Police"}
    assert {e.actor_roles for e in uses} == {"officer"}
    assert uses.first().details["path"] == ME
    assert {e.details["token"] for e in uses} == {issued.token.prefix}
    assert {e.details["status"] for e in uses} == {200}


def test_the_check_reads_token_officer_agency_and_roles_in_one_query(
    officer_a, django_assert_num_queries
):
    issued = issue(officer_a, scopes=("read", "submit"))

    with django_assert_num_queries(1):
        token = api_token_check(plaintext=issued.plaintext)
        user = token.user
        agency = user.officer.agency
        roles = user_roles(user)

    assert token.pk == issued.token.pk and token.scopes == ["read", "submit"]
    assert token.expires_at == issued.token.expires_at and token.expires_at.tzinfo is not None
    assert user.pk == officer_a.user_id and user.officer.pk == officer_a.pk
    assert agency.name == "Agency A Police"
    assert roles == {Role.OFFICER}


def test_a_token_whose_user_is_no_officer_is_refused(responder):
    now = timezone.now()
    plaintext = "lia_abcdefgh_" + "s" * 43
    ApiToken.objects.create(
        user=responder,
        name="left over",
        prefix="abcdefgh",
        digest=token_digest(plaintext),
        scopes=["read"],
        created_at=now,
        expires_at=now + timedelta(days=1),
    )

    assert refusal(bearer(plaintext).get(ME)) == "not_officer"
    event = AccessEvent.objects.get(action="token_used")
    assert event.outcome == "denied" and event.actor == responder


def test_a_token_stops_when_its_officer_is_moved_to_staff_work(officer_a):
    """Issue 18 (found by the persona fuzzer): the officer row stays when an administrator
    takes the officer role away; the token must stop with the role, as the officer pages
    do, or the account keeps acting as an officer of its agency through the API."""
    plaintext = issue(officer_a).plaintext
    user = officer_a.user
    user.groups.set([Group.objects.get(name=Role.RESPONDER)])

    assert refusal(bearer(plaintext).get(ME)) == "not_officer"


def test_last_used_is_written_at_most_once_a_minute(officer_a):
    issued = issue(officer_a)
    client = bearer(issued.plaintext)

    client.get(ME)
    first = ApiToken.objects.get().last_used_at
    client.get(ME)
    second = ApiToken.objects.get().last_used_at
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get(ME)
    third = ApiToken.objects.get().last_used_at

    assert first is not None
    assert second == first
    assert third > first


def refusal(answer) -> str:
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    assert answer["WWW-Authenticate"].startswith("Bearer")
    return answer.json()["code"]


def test_an_expired_token_is_refused(officer_a):
    issued = issue(officer_a)
    past = timezone.now() - timedelta(seconds=1)
    ApiToken.objects.update(created_at=past - timedelta(days=90), expires_at=past)

    assert refusal(bearer(issued.plaintext).get(ME)) == "expired"
    denied = AccessEvent.objects.get(action="token_used", outcome="denied")
    assert denied.actor_id == officer_a.user_id
    assert denied.details["reason"] == "expired"


def test_a_revoked_token_stops_on_the_next_request(officer_a):
    issued = issue(officer_a)
    client = bearer(issued.plaintext)
    assert client.get(ME).status_code == 200

    assert api_token_revoke(token=issued.token, actor=officer_a.user) is True

    assert refusal(client.get(ME)) == "revoked"
    assert api_token_revoke(token=issued.token, actor=officer_a.user) is False
    assert AccessEvent.objects.filter(action="token_revoked").count() == 1


def test_suspending_the_officer_stops_the_token_at_once_and_reinstating_restores_it(
    officer_a, supervisor
):
    issued = issue(officer_a)
    client = bearer(issued.plaintext)
    assert client.get(ME).status_code == 200

    officer_suspend(officer=officer_a, actor=supervisor, reason="Left the agency")
    assert refusal(client.get(ME)) == "officer_suspended"

    officer_reinstate(officer=officer_a, actor=supervisor, reason="Mistaken identity")
    assert client.get(ME).status_code == 200


def test_suspending_the_agency_stops_its_officers_tokens_but_not_others(
    officer_a, officer_b, supervisor
):
    token_a = issue(officer_a).plaintext
    token_b = issue(officer_b).plaintext

    agency_suspend(agency=officer_a.agency, actor=supervisor, reason="Forged request")

    assert refusal(bearer(token_a).get(ME)) == "agency_suspended"
    assert bearer(token_b).get(ME).status_code == 200
    assert Agency.objects.get(pk=officer_a.agency_id).status == Agency.Status.SUSPENDED


def test_a_locked_web_sign_in_keeps_the_token_a_deactivated_account_does_not(officer_a):
    """Issue 9 item 13: anyone who knows a username can lock the web sign-in for a while;
    that must not also cut the officer's software off the API (the token is another
    credential, with its own rate limit). Deactivating the account does."""
    plaintext = issue(officer_a).plaintext
    user = officer_a.user

    user.locked_at = timezone.now()
    user.save(update_fields=["locked_at"])
    assert user.is_locked
    assert bearer(plaintext).get(ME).status_code == 200

    user.locked_at = None
    user.is_active = False
    user.save(update_fields=["locked_at", "is_active"])
    assert refusal(bearer(plaintext).get(ME)) == "inactive"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer lia_abcdefgh_" + "x" * 43,  # well-formed, unknown
        "Bearer not-a-token",
        "Bearer",
        "Bearer two parts",
    ],
)
def test_unknown_or_malformed_tokens_are_refused_and_logged(header, officer_a):
    issued = issue(officer_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    answer = client.get(ME)

    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    assert issued.token.prefix not in answer.content.decode()


def test_a_token_with_the_right_prefix_but_wrong_secret_is_refused(officer_a):
    issued = issue(officer_a)
    forged = issued.plaintext[:-4] + ("AAAA" if not issued.plaintext.endswith("AAAA") else "BBBB")

    assert refusal(bearer(forged).get(ME)) == "invalid"
    event = AccessEvent.objects.get(action="token_used", outcome="denied")
    assert event.actor_id is None  # not attributed to the officer: the secret did not match


def test_a_signed_in_browser_session_does_not_open_the_api(officer_a):
    client = verified_client(officer_a.user)

    answer = client.get(ME)

    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"


def test_a_token_without_the_read_scope_cannot_read(officer_a):
    issued = issue(officer_a, scopes=("submit",))

    answer = bearer(issued.plaintext).get(ME)

    assert answer.status_code == 403
    assert answer.json()["code"] == "insufficient_scope"
    [event] = AccessEvent.objects.exclude(action="token_issued")
    assert (event.action, event.outcome) == ("token_used", "denied")
    assert event.details["status"] == 403
    assert event.details["token"] == issued.token.prefix


# --- the officer's token page -----------------------------------------------------------------


def test_an_officer_creates_a_token_sees_it_once_and_it_works(officer_a):
    client = verified_client(officer_a.user)

    created = client.post(
        reverse("officer:tokens"), {"name": "RMS", "scopes": ["read", "submit"], "days": 30}
    )

    assert created.status_code == 200
    plaintext = created.context["issued"].plaintext
    assert plaintext in created.content.decode()
    token = ApiToken.objects.get(user=officer_a.user)
    assert token.scopes == ["read", "submit"]
    assert token.expires_at - token.created_at == timedelta(days=30)
    assert plaintext not in client.get(reverse("officer:tokens")).content.decode()
    assert bearer(plaintext).get(ME).status_code == 200


def test_an_officer_revokes_their_own_token_but_not_another_officers(officer_a, officer_b):
    own = issue(officer_a)
    other = issue(officer_b)
    client = verified_client(officer_a.user)

    denied = client.post(reverse("officer:token_revoke", args=[other.token.pk]))
    done = client.post(reverse("officer:token_revoke", args=[own.token.pk]))

    assert denied.status_code == 404
    assert done.status_code == 302
    assert ApiToken.objects.get(pk=own.token.pk).revoked_at is not None
    assert ApiToken.objects.get(pk=other.token.pk).revoked_at is None


def test_the_token_page_needs_both_factors(officer_a):
    client = Client()
    client.force_login(officer_a.user)  # password only, as after step one of sign-in
    session = client.session
    session[AUTH_AT_KEY] = time.time()
    session.save()

    answer = client.get(reverse("officer:tokens"))

    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("accounts:enrol"))


def test_staff_have_no_token_page(responder):
    assert verified_client(responder).get(reverse("officer:tokens")).status_code == 404


def test_a_suspended_officer_cannot_make_tokens_on_the_web(officer_a, supervisor):
    officer_suspend(officer=officer_a, actor=supervisor, reason="Inquiry")
    officer_a.user.refresh_from_db()  # a new sign-in after the suspension ended the session
    client = verified_client(officer_a.user)

    answer = client.post(reverse("officer:tokens"), {"name": "x", "scopes": ["read"], "days": 30})

    assert answer.status_code == 403
    assert not ApiToken.objects.exists()


# --- the command --------------------------------------------------------------------------------


def test_issue_api_token_prints_the_token_once_and_is_audited(officer_a):
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "issue_api_token",
        officer_a.user.username,
        "--days",
        "7",
        "--scopes",
        "read,submit",
        stdout=out,
        stderr=err,
    )

    plaintext = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.scopes == ["read", "submit"]
    assert token.expires_at - token.created_at == timedelta(days=7)
    event = AccessEvent.objects.get(action="token_issued")
    assert event.actor_label == "manage.py issue_api_token"
    assert bearer(plaintext).get(ME).status_code == 200


@pytest.mark.parametrize("args", [["nobody"], ["{staff}"], ["{officer}", "--scopes", "write"]])
def test_issue_api_token_refuses_with_a_clear_error(args, officer_a, db):
    staff = UserFactory(username="staffer")
    args = [a.format(staff=staff.username, officer=officer_a.user.username) for a in args]

    with pytest.raises(CommandError):
        call_command("issue_api_token", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()
