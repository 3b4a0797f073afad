"""Finding 7 of the security review, the account parts: the second-factor gate's
``/healthz`` prefix, factor changes without re-authentication, and API tokens that
silently outlive a password change."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from portal.accounts.models import ApiToken, BackupCodeDevice
from portal.accounts.tokens import api_token_issue
from portal.accounts.views import REAUTH_AT_KEY
from portal.audit.models import AccessEvent
from tests.factories import PASSWORD, totp_device, verified_client

pytestmark = pytest.mark.django_db


def stale(client: Client) -> Client:
    """The same signed-in session, its password last given an hour ago."""
    session = client.session
    session[REAUTH_AT_KEY] = time.time() - 3600
    session.save()
    return client


def test_healthz_celery_is_behind_the_second_factor(responder):
    totp_device(responder)
    client = Client()
    client.post(reverse("accounts:login"), {"username": responder.username, "password": PASSWORD})
    # password only: the staff page of the worker's health is out of reach
    response = client.get("/healthz/celery")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:verify"))
    # the load balancer's probe stays open
    assert client.get("/healthz").status_code == 200


def test_new_backup_codes_need_the_password_again_in_an_old_session(responder):
    client = stale(verified_client(responder))
    # WHEN someone at the open session asks for new backup codes
    response = client.post(reverse("accounts:backup_codes"))
    # THEN they are asked for the password first, and nothing was generated
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:confirm"))
    assert not BackupCodeDevice.objects.filter(user=responder).exists()
    # a wrong password does not open it (and counts toward the lockout)
    page = client.post(reverse("accounts:confirm"), {"password": "not it at all"})
    assert "That is not your password." in page.content.decode()
    assert client.post(reverse("accounts:backup_codes")).status_code == 302
    # the right one does, for a while
    confirm = client.post(
        reverse("accounts:confirm"),
        {"password": PASSWORD, "next": reverse("accounts:security")},
    )
    assert confirm["Location"] == reverse("accounts:security")
    assert client.post(reverse("accounts:backup_codes")).status_code == 200
    assert BackupCodeDevice.objects.filter(user=responder).exists()
    assert AccessEvent.objects.filter(actor=responder, action="reauthenticated").exists()


def test_adding_another_authenticator_needs_the_password_again(responder):
    client = stale(verified_client(responder))
    response = client.get(reverse("accounts:enrol"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:confirm"))


def test_a_password_change_offers_to_revoke_api_tokens_and_says_they_survive(officer_a):
    user = officer_a.user
    api_token_issue(user=user, name="CAD system", scopes=["read"], actor_label="test")
    api_token_issue(user=user, name="Case tool", scopes=["read"], actor_label="test")
    client = verified_client(user)
    page = client.get(reverse("accounts:security")).content.decode()
    assert "Also revoke my 2 API tokens" in page

    def change(new: str, **extra: str):
        return client.post(
            reverse("accounts:security"),
            {
                "old_password": PASSWORD if new != PASSWORD else "another long passphrase 555",
                "new_password1": new,
                "new_password2": new,
                **extra,
            },
            follow=True,
        )

    # WHEN the password changes without ticking the box: the tokens work, and it says so
    kept = change("another long passphrase 555")
    assert "Your 2 API token(s) still work." in kept.content.decode()
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 2
    # WHEN it changes with the box ticked: both are revoked
    revoked = change(PASSWORD, revoke_tokens="1")
    assert "2 API token(s) revoked." in revoked.content.decode()
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_a_second_factor_change_offers_to_revoke_api_tokens(officer_a):
    """New backup codes (a second-factor change) leave API tokens working: the page that
    shows the codes says so and offers revocation; taking it refuses the tokens at once."""
    user = officer_a.user
    api_token_issue(user=user, name="CAD system", scopes=["read"], actor_label="test")
    issued = api_token_issue(user=user, name="Case tool", scopes=["read"], actor_label="test")
    client = verified_client(user)
    # WHEN the officer generates new backup codes
    page = client.post(reverse("accounts:backup_codes")).content.decode()
    # THEN the codes page says the two tokens still work and offers to revoke them
    assert "Your 2 API tokens still work after this change." in page
    assert reverse("accounts:tokens_revoke") in page
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 2
    # WHEN the officer takes the offer
    done = client.post(reverse("accounts:tokens_revoke"), follow=True)
    assert "2 API token(s) revoked." in done.content.decode()
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert AccessEvent.objects.filter(actor=user, action="token_revoked").count() == 2
    # and the API refuses the token from then on
    api = Client().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert api.status_code == 401
    # the security page now says there are none left
    assert (
        "You have no active API tokens."
        in client.get(reverse("accounts:security")).content.decode()
    )


def test_revoking_ones_own_tokens_leaves_other_users_tokens(officer_a, officer_b):
    mine = api_token_issue(user=officer_a.user, name="Mine", scopes=["read"], actor_label="test")
    theirs = api_token_issue(
        user=officer_b.user, name="Theirs", scopes=["read"], actor_label="test"
    )
    verified_client(officer_a.user).post(reverse("accounts:tokens_revoke"))
    mine.token.refresh_from_db()
    theirs.token.refresh_from_db()
    assert mine.token.revoked_at is not None
    assert theirs.token.revoked_at is None


def test_an_enrolment_link_read_from_a_log_opens_nothing(officer_a):
    """Finding 7: the link's token sits in the URL path, which proxies log. Bound to the
    first browser that opens it, a copy opens nothing elsewhere."""
    from portal.accounts.enrolment import enrolment_link
    from portal.accounts.models import Officer

    Officer.objects.filter(pk=officer_a.pk).update(status=Officer.Status.VERIFIED)
    url = enrolment_link(officer_a.user).split("://", 1)[1].split("/", 1)[1]
    url = "/" + url
    officer_browser, log_reader = Client(), Client()
    assert officer_browser.get(url).status_code == 200
    refused = log_reader.get(url)
    assert refused.status_code == 400
    assert AccessEvent.objects.filter(
        action="enrolment_link_refused", details__reason="opened_elsewhere"
    ).exists()
    assert officer_browser.get(url).status_code == 200  # the officer's own browser goes on


def test_adding_a_passkey_needs_the_password_again_in_an_old_session(responder):
    client = stale(verified_client(responder))
    response = client.post("/webauthn/registration/begin/", content_type="application/json")
    assert response.status_code == 403
    assert "Give your password again first" in response.json()["detail"]
    fresh = verified_client(responder)
    begun = fresh.post("/webauthn/registration/begin/", content_type="application/json")
    assert begun.status_code == 200  # the ceremony's options: the password was just given
