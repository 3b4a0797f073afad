"""Passkeys as a second factor, in a real browser with Chromium's virtual authenticator.

The authenticator is Chromium's own WebAuthn implementation driven through the DevTools
protocol (``WebAuthn.addVirtualAuthenticator``): the browser runs the real ceremonies
(``navigator.credentials.create`` / ``get``) through django-otp-webauthn's own scripts,
and the server verifies real signatures. Nothing on the server side is stubbed.

WebAuthn needs a secure context whose host matches the relying-party id (``localhost``):
the live server is opened as ``http://localhost:<port>`` (pytest-django's default host),
and its origin is added to ``OTP_WEBAUTHN_ALLOWED_ORIGINS`` for the test. The live server
runs in a thread of this process, so the settings override reaches it.

Screenshots land in test-artifacts/screenshots/ (named ``passkey-*``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import CDPSession, Page, Route, expect

from portal.accounts.models import LoginFailure, User
from portal.accounts.services import login_failure_record, user_security_stamp_rotate
from portal.audit.models import AccessEvent
from tests.e2e.conftest import password_step, screenshot, sign_in, sign_out, url_path
from tests.factories import verified_client

pytestmark = pytest.mark.e2e

REGISTERED = "Registration successful!"  # django-otp-webauthn's own status text
LOCKED_MESSAGE = "This account is locked after repeated failed sign-in attempts."
SESSION_ENDED = "Your session has ended. Please sign in again."
SIGN_IN_PAGES = ("/accounts/login/", "/accounts/verify/", "/accounts/enrol/")


@dataclass
class VirtualAuthenticator:
    """A platform authenticator (like Touch ID or Windows Hello) living in one browser tab."""

    cdp: CDPSession
    authenticator_id: str

    def credentials(self) -> list[dict]:
        answer = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )
        return answer["credentials"]


@pytest.fixture
def passkey_origin(live_server, settings) -> str:
    """The live server's origin, as the browser sees it, accepted for passkeys."""
    origin = live_server.url
    assert urlsplit(origin).hostname == "localhost", (
        "Passkeys for RP id 'localhost' need the page opened on http://localhost "
        f"(a secure context); the live server is at {origin}"
    )
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [origin]
    return origin


@pytest.fixture
def authenticator(page: Page, passkey_origin: str) -> Iterator[VirtualAuthenticator]:
    """Chromium's virtual authenticator, attached to the test's tab: it answers WebAuthn
    calls at once, with user verification passed (as a fingerprint would)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    yield VirtualAuthenticator(cdp=cdp, authenticator_id=added["authenticatorId"])
    cdp.detach()


def session_key(page: Page) -> str:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return cookies.get("sessionid", "")


def register_passkey(page: Page) -> WebAuthnCredential:
    """On the security page, press "Add a passkey" and wait for the library's success text."""
    page.goto(reverse("accounts:security"))
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-register-status-message")).to_have_text(REGISTERED)
    return WebAuthnCredential.objects.get()


def assert_landed_home(page: Page, user: User) -> None:
    assert url_path(page) not in SIGN_IN_PAGES
    expect(page.locator(".usermenu a", has_text=user.get_username())).to_be_visible()


def test_passkey_is_registered_then_passes_the_second_step(
    page: Page, live_server, authenticator: VirtualAuthenticator, legal
):
    # GIVEN a legal officer signed in with an authenticator app
    sign_in(page, live_server, legal)
    # WHEN they add a passkey on their security page
    page.goto(reverse("accounts:security"))
    screenshot(page, "passkey-1-security")
    passkey = register_passkey(page)
    screenshot(page, "passkey-2-registered")
    # THEN the browser's authenticator holds a credential for this site, the portal the
    # matching public key, and the access log says a second factor was enrolled
    (held,) = authenticator.credentials()
    assert held["rpId"] == "localhost"
    assert held["isResidentCredential"] is True
    assert passkey.user == legal
    assert passkey.confirmed
    enrolled = AccessEvent.objects.get(action="otp_enrolled", actor=legal)
    assert enrolled.details == {"device": "passkey"}
    assert enrolled.object_id == str(passkey.pk)
    # AND the passkey is listed with the user's second factors
    page.reload()
    devices = page.locator("table.table tbody tr")
    expect(devices).to_have_count(2)
    expect(devices.filter(has_text="Passkey")).to_have_count(1)
    screenshot(page, "passkey-3-listed")
    # AND their own session carries on, verified
    page.goto(reverse("home"))
    assert_landed_home(page, legal)

    # WHEN they sign out and back in with their password
    sign_out(page)
    password_step(page, legal)
    # THEN the second step offers the passkey beside the code field
    assert url_path(page) == reverse("accounts:verify")
    use_passkey = page.get_by_role("button", name="Use a passkey instead")
    expect(use_passkey).to_be_visible()
    screenshot(page, "passkey-4-verify")
    half_signed_in = session_key(page)
    # WHEN they use it
    with page.expect_navigation():
        use_passkey.click()
    page.wait_for_load_state()
    # THEN they land home, signed in with both factors, on a new session id
    assert_landed_home(page, legal)
    assert session_key(page) not in ("", half_signed_in)
    screenshot(page, "passkey-5-home")
    page.goto(reverse("accounts:security"))  # a page only verified sessions may open
    assert url_path(page) == reverse("accounts:security")
    # AND the access log holds the sign-in, naming the passkey
    login = AccessEvent.objects.get(action="login", actor=legal, details__device="passkey")
    assert login.details == {"step": "second_factor", "device": "passkey"}
    assert login.outcome == AccessEvent.Outcome.SUCCESS
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None


def lock_account(user: User) -> None:
    """Five failed password tries elsewhere, as someone guessing would make (CJIS AC-7)."""
    for _ in range(5):
        login_failure_record(
            user=user, username=user.username, kind=LoginFailure.Kind.PASSWORD, request=None
        )
    user.refresh_from_db()
    assert user.is_locked


@pytest.mark.parametrize("lock_falls", ["before", "during"])
def test_locked_account_cannot_finish_with_a_passkey(
    page: Page, live_server, authenticator: VirtualAuthenticator, responder, lock_falls
):
    """The lock falls while the person is on the second step: before they press the button
    (the challenge is refused) or during the ceremony, between the challenge and the signed
    answer (the answer is refused)."""
    # GIVEN a responder with a passkey, half-way through signing in (password accepted)
    sign_in(page, live_server, responder)
    passkey = register_passkey(page)
    sign_out(page)
    password_step(page, responder)
    assert url_path(page) == reverse("accounts:verify")
    # AND the account is locked by failed attempts elsewhere
    if lock_falls == "before":
        lock_account(responder)
    else:

        def lock_then_send(route: Route) -> None:
            # Playwright runs this handler in a greenlet of its own, where Django opens a
            # connection of that context: closed here, or it outlives the test database.
            try:
                lock_account(responder)
            finally:
                connections.close_all()
            route.continue_()

        page.route("**/webauthn/authentication/complete/**", lock_then_send)
    # WHEN they use the passkey
    page.get_by_role("button", name="Use a passkey instead").click()
    # THEN the portal refuses and says why
    status = page.locator("#passkey-verification-status-message")
    expect(status).to_have_text(re.compile(re.escape(LOCKED_MESSAGE)))
    screenshot(page, f"passkey-6-locked-{lock_falls}")
    # AND the refusal is logged, no sign-in is, and the passkey counts as unused
    refused = AccessEvent.objects.get(
        action="login_failed", actor=responder, details__device="passkey"
    )
    assert refused.outcome == AccessEvent.Outcome.DENIED
    assert refused.details == {"reason": "locked", "device": "passkey"}
    assert not AccessEvent.objects.filter(
        action="login", actor=responder, details__device="passkey"
    ).exists()
    passkey.refresh_from_db()
    if lock_falls == "before":
        assert passkey.last_used_at is None
    # AND the half-signed-in session is over: the portal sends them to sign in
    page.goto(reverse("home"))
    assert url_path(page) == reverse("accounts:login")
    # AND signing in again is refused, in the words an unknown username gets
    password_step(page, responder)
    expect(page.get_by_text("Wrong username or password, or sign-in is paused")).to_be_visible()


def test_a_session_ended_elsewhere_gets_a_reason_not_a_script_error(
    page: Page, live_server, authenticator: VirtualAuthenticator, auditor
):
    # GIVEN an auditor on their security page
    sign_in(page, live_server, auditor)
    page.goto(reverse("accounts:security"))
    # AND their session is ended elsewhere (their password changed in another session)
    user_security_stamp_rotate(user=auditor)
    # WHEN they try to add a passkey
    page.get_by_role("button", name="Add a passkey").click()
    # THEN the page says the session has ended (the page watcher checks no script failed)
    expect(page.locator("#passkey-register-status-message")).to_have_text(SESSION_ENDED)
    screenshot(page, "passkey-7-session-ended")
    # AND no passkey was created, in the portal or in the authenticator
    assert not WebAuthnCredential.objects.exists()
    assert authenticator.credentials() == []


def test_registering_a_passkey_ends_the_users_other_sessions(
    page: Page, live_server, authenticator: VirtualAuthenticator, supervisor
):
    # GIVEN a supervisor signed in twice: in this browser and elsewhere (a second client)
    sign_in(page, live_server, supervisor)
    elsewhere: Client = verified_client(supervisor)
    assert elsewhere.get(reverse("accounts:security")).status_code == 200
    # WHEN they add a passkey in this browser
    register_passkey(page)
    # THEN the other session is over: it is sent to sign in again
    response = elsewhere.get(reverse("accounts:security"))
    assert response.status_code == 302
    assert re.match(rf"^{re.escape(reverse('accounts:login'))}(\?|$)", response.url)
    # AND the session that added the passkey carries on
    page.goto(reverse("home"))
    assert_landed_home(page, supervisor)
