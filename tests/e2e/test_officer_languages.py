"""Officers in their own language, in a real browser: a French and a German officer sign in
with 2FA, read the portal, get a validation error and an e-mail in their language; the
request page is photographed in each of the five languages (``officer-request-<lang>``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from portal.accounts.enrolment import officer_enrolment_link_send
from tests.cases.factories import intake
from tests.e2e.conftest import TIMEOUT_MS, VIEWPORT, csp_violations, screenshot
from tests.factories import PASSWORD, totp_device
from tests.otp import fresh_totp

pytestmark = pytest.mark.e2e

# What each language calls the sign-in steps and the portal (the catalogues' words).
WORDS = {
    "fr": {
        "browser": "fr-BE",
        "username": "Nom d'utilisateur",
        "password": "Mot de passe",
        "continue": "Continuer",
        "code": "Code de votre application d'authentification",
        "verify": "Vérifier",
        "portal": "Les demandes de votre service",
        "file": "Déposer la demande",
        "not_filed": "La demande n'a pas été déposée.",
        "mail": "Votre compte d'agent Liaison est prêt",
    },
    "de": {
        "browser": "de-DE",
        "username": "Benutzername",
        "password": "Passwort",
        "continue": "Weiter",
        "code": "Code aus Ihrer Authenticator-App",
        "verify": "Prüfen",
        "portal": "Anfragen Ihrer Behörde",
        "file": "Anfrage einreichen",
        "not_filed": "Die Anfrage wurde nicht eingereicht.",
        "mail": "Ihr Liaison-Zugang ist bereit",
    },
}
STATUS_RECEIVED = {
    "en": "Received",
    "fr": "Reçue",
    "nl": "Ontvangen",
    "de": "Eingegangen",
    "es": "Recibida",
}


@contextmanager
def browser_tab(browser: Browser, live_server, locale: str) -> Iterator[Page]:
    """A tab whose browser speaks ``locale`` (its Accept-Language), watched for problems."""
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORT, locale=locale, timezone_id="Europe/Brussels"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    try:
        yield tab
        errors.extend(csp_violations(tab))
    finally:
        context.close()
    assert not errors, errors


def sign_in_in(page: Page, language: str, user, device: TOTPDevice) -> None:
    """The two-step sign-in, found by the labels of ``language``."""
    words = WORDS[language]
    page.goto(reverse("accounts:login"))
    page.get_by_label(words["username"]).fill(user.get_username())
    page.get_by_label(words["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["continue"]).click()
    page.get_by_label(words["code"]).fill(fresh_totp(device))
    page.get_by_role("button", name=words["verify"]).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["fr", "de"])
def test_an_officer_reads_the_portal_an_error_and_an_e_mail_in_their_language(
    browser, live_server, officer_a, language
):
    words = WORDS[language]
    device = totp_device(officer_a.user)
    with browser_tab(browser, live_server, words["browser"]) as page:
        sign_in_in(page, language, officer_a.user, device)
        expect(page.get_by_role("table", name=words["portal"])).to_be_visible()
        assert page.locator("html").get_attribute("lang") == language

        page.goto(reverse("officer:request_new"))
        page.get_by_role("button", name=words["file"]).click()
        expect(page.locator(".alert, .message.error").first).to_contain_text(words["not_filed"])
        screenshot(page, f"officer-validation-{language}")

    officer_a.user.refresh_from_db()
    assert officer_a.user.language == ""  # the browser chose; nothing was stored
    officer_a.user.language = language  # as the switcher would store it
    officer_a.user.save(update_fields=["language"])
    mail.outbox.clear()
    officer_enrolment_link_send(officer=officer_a)
    assert mail.outbox[-1].subject == words["mail"]


def test_the_request_page_in_each_of_the_five_languages(browser, live_server, officer_a):
    case = intake(officer_a.user)
    device = totp_device(officer_a.user)
    with browser_tab(browser, live_server, "fr-BE") as page:
        sign_in_in(page, "fr", officer_a.user, device)
        for language, received in STATUS_RECEIVED.items():
            page.goto(reverse("officer:request", args=[case.reference]))
            page.get_by_test_id("language-switch").locator("select").select_option(language)
            page.get_by_test_id("language-switch").get_by_role("button").click()
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == language
            expect(page.get_by_test_id("status")).to_have_text(received)
            screenshot(page, f"officer-request-{language}")
    officer_a.user.refresh_from_db()
    assert officer_a.user.language == "es"  # the last choice, kept in the profile
