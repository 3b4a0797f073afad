"""Sign-in in a real browser: enrolment, TOTP, backup codes, lockout, keyboard, CSP, roles.

Screenshots land in test-artifacts/screenshots/ (named ``sign-in-*``).
"""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import Page, expect

from portal.accounts.models import BackupCode, User
from portal.accounts.services import backup_codes_generate
from tests.e2e.conftest import (
    csp_violations,
    enter_code,
    password_step,
    screenshot,
    sign_in,
    sign_out,
    url_path,
)
from tests.factories import PASSWORD, totp_device
from tests.otp import device_key, hotp, key_from_base32, time_step, totp

pytestmark = pytest.mark.e2e

LOCKED_MESSAGE = "This account is locked after repeated failed sign-in attempts."
SIGN_IN_PAGES = ("/accounts/login/", "/accounts/verify/", "/accounts/enrol/")


def wrong_code(key: bytes) -> str:
    """Six digits outside the window of steps the server accepts."""
    now = time_step()
    window = {hotp(key, step) for step in range(now - 1, now + 3)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in window)


def url_exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def assert_landed_home(page: Page, user: User) -> None:
    """Past every sign-in step, on the page the portal sends this user to first."""
    assert url_path(page) not in SIGN_IN_PAGES
    expect(page.locator(".usermenu a", has_text=user.get_username())).to_be_visible()


def test_unenrolled_user_enrols_sees_backup_codes_and_lands_home(page: Page, live_server, legal):
    # GIVEN a legal officer who has never set up a second factor
    page.goto(reverse("accounts:login"))
    screenshot(page, "sign-in-1-password")
    # WHEN they sign in with their password
    password_step(page, legal)
    # THEN they are taken to enrolment, with a QR code and the key to type by hand
    assert url_path(page) == reverse("accounts:enrol")
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    screenshot(page, "sign-in-2-enrol")
    # AND going elsewhere first is not possible
    page.goto(reverse("home"))
    assert url_path(page) == reverse("accounts:enrol")
    # WHEN they add the key to their app and type the code it shows
    page.get_by_label("6-digit code shown by the app").fill(totp(key_from_base32(secret)))
    page.get_by_role("button", name="Confirm and continue").click()
    # THEN ten backup codes are shown, once
    codes = page.get_by_test_id("backup-codes").locator("code")
    expect(codes).to_have_count(10)
    assert all(len(code) == 11 for code in codes.all_inner_texts())
    assert BackupCode.objects.filter(device__user=legal).count() == 10
    screenshot(page, "sign-in-3-backup-codes")
    # AND continuing lands them on their home page, signed in with both factors
    page.get_by_role("link", name="I have saved them, continue").click()
    page.wait_for_load_state()
    assert_landed_home(page, legal)
    screenshot(page, "sign-in-4-home")


def test_enrolled_user_signs_in_with_totp(page: Page, live_server, responder):
    device = totp_device(responder)
    password_step(page, responder)
    assert url_path(page) == reverse("accounts:verify")
    screenshot(page, "sign-in-5-verify")
    enter_code(page, totp(device_key(device)))
    assert_landed_home(page, responder)


def test_backup_code_signs_in_once(page: Page, live_server, supervisor):
    # GIVEN a supervisor with an app and a fresh sheet of backup codes
    totp_device(supervisor)
    code = backup_codes_generate(user=supervisor)[0]
    # WHEN they sign in with a backup code instead of the app
    password_step(page, supervisor)
    enter_code(page, code)
    # THEN they are in
    assert_landed_home(page, supervisor)
    sign_out(page)
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    # WHEN they try the same code again
    password_step(page, supervisor)
    enter_code(page, code)
    # THEN it is refused, and they are still at the second step
    assert url_path(page) == reverse("accounts:verify")
    expect(page.get_by_role("alert")).to_contain_text("That code is not valid.")
    expect(page.get_by_label("Code from your authenticator app")).to_have_attribute(
        "aria-invalid", "true"
    )
    screenshot(page, "sign-in-6-code-refused")


def test_five_wrong_codes_lock_the_account(page: Page, live_server, responder):
    device = totp_device(responder)
    password_step(page, responder)
    for attempt in range(1, 5):
        enter_code(page, wrong_code(device_key(device)))
        expect(page.get_by_role("alert")).to_contain_text("That code is not valid.")
        assert url_path(page) == reverse("accounts:verify"), f"attempt {attempt}"
    # WHEN the fifth wrong code is entered
    enter_code(page, wrong_code(device_key(device)))
    # THEN they are signed out and told why, in words a person understands
    assert url_path(page) == reverse("accounts:login")
    expect(page.locator(".messages")).to_contain_text(LOCKED_MESSAGE)
    expect(page.locator(".messages")).to_contain_text("ask an administrator to release it.")
    screenshot(page, "sign-in-7-locked")
    # AND the right password no longer gets them anywhere
    password_step(page, responder)
    assert url_path(page) == reverse("accounts:login")
    # (in the words an unknown username gets: the answer tells nobody who exists)
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password, or sign-in")
    responder.refresh_from_db()
    assert responder.is_locked


def test_sign_in_by_keyboard_alone(page: Page, live_server, child_safety):
    device = totp_device(child_safety)
    page.goto(reverse("accounts:login"))
    # The username field has focus on arrival; Tab reaches the password; Enter submits.
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(child_safety.get_username())
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    screenshot(page, "sign-in-8-keyboard-focus")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert url_path(page) == reverse("accounts:verify")
    # The code field has focus on arrival; Enter submits.
    expect(page.get_by_label("Code from your authenticator app")).to_be_focused()
    page.keyboard.type(totp(device_key(device)))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_landed_home(page, child_safety)


def test_skip_link_is_the_first_stop_and_moves_focus_to_content(page: Page, live_server, responder):
    sign_in(page, live_server, responder)
    page.goto(reverse("accounts:security"))
    # From the top of the document (this page puts focus in a form field on arrival).
    page.evaluate("document.body.tabIndex = -1; document.body.focus()")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # shown on screen
    screenshot(page, "sign-in-10-skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_pages_load_the_stylesheet_and_break_no_content_security_policy(
    page: Page, live_server, admin_user, page_problems
):
    """Every sign-in page and the first pages after it: CSS served locally, no CSP report."""
    visited = []

    def visit(path: str | None = None) -> None:
        if path:
            page.goto(path)
        page.wait_for_load_state("networkidle")
        visited.append(url_path(page))
        violations = page_problems.csp + csp_violations(page)
        assert not violations, f"CSP violations on {url_path(page)}: {violations}"

    page.goto(reverse("accounts:login"))
    visit()
    # The stylesheet came from our own static files and applies (body background colour).
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(244, 246, 249)"
    password_step(page, admin_user)
    visit()  # enrolment, with the inline QR code
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("6-digit code shown by the app").fill(totp(key_from_base32(secret)))
    page.get_by_role("button", name="Confirm and continue").click()
    visit()  # backup codes
    for path in (
        reverse("home"),
        reverse("accounts:security"),  # passkey scripts
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
    ):
        visit(path)
    assert reverse("accounts:security") in visited
    assert not page_problems.script_errors


def test_login_fits_a_phone_screen(page: Page, live_server):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(reverse("accounts:login"))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "sign-in-9-phone")


# Navigation each persona should see once the page behind the entry exists.
EXPECTED_NAV = {
    "auditor": {
        "Queue": "cases:queue",
        "Transparency": "transparency:report",
        "Access log": "audit:events",
    },
    "officer_a": {"My requests": "officer:requests", "Urgent referrals": "officer:referrals"},
    "admin_user": {"Officers": "officers:list", "Administration": "admin:index"},
}
NEVER_NAV = {
    "auditor": {"Administration", "New intake", "My requests", "Urgent referrals"},
    "officer_a": {"Queue", "New intake", "Access log", "Officers", "Administration"},
    "admin_user": {"Queue", "My requests"},
}


@pytest.mark.parametrize("persona", sorted(EXPECTED_NAV))
def test_navigation_shows_what_the_role_may_use(page: Page, live_server, persona, request):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)  # an officer persona is the Officer profile
    sign_in(page, live_server, user)
    page.goto(reverse("accounts:security"))
    labels = set(page.locator("nav.mainnav a").all_inner_texts())
    expected = {label for label, name in EXPECTED_NAV[persona].items() if url_exists(name)}
    assert labels == expected
    assert not labels & NEVER_NAV[persona]
    screenshot(page, f"sign-in-nav-{persona}")
