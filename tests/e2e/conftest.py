"""Real-browser tests: Debian's chromium, driven by Playwright, against a live server.

How the pieces fit (see docs/decisions for the reasoning):

* pytest-django's ``live_server`` runs the portal in a thread of this process, on the test
  database, and serves static files through ``django.contrib.staticfiles``. A test that uses
  it is transactional (data must be committed for the server thread to see it).
  pytest-django runs such tests after all others, and ``django_db_serialized_rollback``
  restores the rows migrations create (role groups, the default team) that each flush
  removes.
* Playwright's sync API keeps an asyncio loop "running" in the main thread for as long as
  it is started, which makes Django refuse ORM calls from the test
  (``SynchronousOnlyOperation``). The browser therefore lives for this package only (not
  the session: later tests in other packages would inherit the loop), and
  ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set exactly while it runs: the test code is still plain
  synchronous code, the loop merely exists.
* The browser is Debian's ``chromium`` (``apt-get install chromium``); Playwright never
  downloads one. Without it these tests fail, they never skip.
* Every page a test opens is watched: a Content-Security-Policy violation, an uncaught
  script error or a server error fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from portal.accounts.models import User
from tests.factories import PASSWORD, totp_device
from tests.otp import fresh_totp

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
SIGN_IN_PAGES = re.compile(r"/accounts/(login|verify|enrol)/")
VIEWPORT = {"width": 1280, "height": 860}
TIMEOUT_MS = 10_000

# Collected in every page, before any of the page's own code runs. Console messages alone
# can miss report-only or early violations; the DOM event reports each one.
_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(
    e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def chromium_executable() -> str:
    """Debian's chromium, or ``LIAISON_CHROMIUM``; a clear failure when there is none."""
    candidates = [
        os.environ.get("LIAISON_CHROMIUM", ""),
        shutil.which("chromium") or "",
        "/usr/bin/chromium",
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "The browser tests need Debian's chromium, which is not installed. "
        "Install it with `sudo apt-get install chromium` (CI's .ci/run does), or point "
        "LIAISON_CHROMIUM at a Chromium binary. Playwright's own browser download is not used.",
        pytrace=False,
    )


@pytest.fixture(scope="package")
def playwright_driver(django_db_setup: None, django_db_blocker) -> Iterator[Playwright]:
    """Playwright, started after the test database exists, for one package of tests."""
    yield from _playwright_session(django_db_blocker)


@pytest.fixture(scope="module", name="playwright_driver")
def playwright_driver_per_module(django_db_setup: None, django_db_blocker) -> Iterator[Playwright]:
    """The same, for one module: browser tests that live beside their app (tests/reports/*)
    import this and ``browser_per_module``, so no two Playwright sessions ever overlap."""
    yield from _playwright_session(django_db_blocker)


def _playwright_session(django_db_blocker) -> Iterator[Playwright]:
    """Playwright, started after the test database exists.

    While it runs, the main thread counts as "async" for asgiref, so Django hands it a
    fresh, context-local connection object instead of the one the test database was set up
    on. The database snapshot for serialized rollback lives on that first object; it is
    copied across so each test still starts with the rows migrations created. When the
    session is done, the rows are put back, so tests after it find the database as
    migrations left it rather than flushed.
    """
    from django.db import connections

    snapshots = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as driver:
            for alias, snapshot in snapshots.items():
                if snapshot is not None:
                    connections[alias]._test_serialized_contents = snapshot
            yield driver
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
        with django_db_blocker.unblock():
            _restore_migration_rows(snapshots)


def _restore_migration_rows(snapshots: dict[str, str | None]) -> None:
    """Reload the post-migration snapshot into a database the last test flushed."""
    from django.contrib.auth.models import Group
    from django.db import connections

    for alias, snapshot in snapshots.items():
        if snapshot and not Group.objects.using(alias).exists():
            connections[alias].creation.deserialize_db_from_string(snapshot)
        connections[alias].close()


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """One headless chromium for all browser tests (each test gets a fresh context)."""
    yield from _chromium(playwright_driver)


@pytest.fixture(scope="module", name="browser")
def browser_per_module(playwright_driver: Playwright) -> Iterator[Browser]:
    """The same, for one module (with ``playwright_driver_per_module``)."""
    yield from _chromium(playwright_driver)


def _chromium(driver: Playwright) -> Iterator[Browser]:
    instance = driver.chromium.launch(
        executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
    )
    yield instance
    instance.close()


@dataclass
class PageProblems:
    """What went wrong in the page while the test ran, checked when the test ends."""

    csp: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp.append(message.text)

    def all(self) -> list[str]:
        return [*self.csp, *self.script_errors, *self.server_errors]


@pytest.fixture(autouse=True)
def _migration_rows_restored(django_db_serialized_rollback: None) -> None:
    """Each transactional test starts with the rows migrations created (roles, team)."""


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser: Browser, live_server, page_problems: PageProblems) -> Iterator[Page]:
    """A fresh browser tab (own cookies) on the live server, watched for problems."""
    context = browser.new_context(
        base_url=live_server.url, viewport=VIEWPORT, locale="en-US", timezone_id="UTC"
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(_CSP_LISTENER)
    tab = context.new_page()
    tab.on("console", page_problems.on_console)
    tab.on("pageerror", lambda error: page_problems.script_errors.append(str(error)))
    tab.on(
        "response",
        lambda response: (
            page_problems.server_errors.append(f"{response.status} {response.url}")
            if response.status >= 500
            else None
        ),
    )
    yield tab
    problems = page_problems.all() + csp_violations(tab)
    context.close()
    assert not problems, "The browser reported problems:\n" + "\n".join(problems)


def csp_violations(page: Page) -> list[str]:
    """Violations the current document reported through ``securitypolicyviolation``."""
    if page.is_closed():
        return []
    try:
        return list(page.evaluate("window.__cspViolations || []"))
    except PlaywrightError:  # a page mid-navigation has no window to ask
        return []


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG under test-artifacts/screenshots/ for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def password_step(page: Page, user: User, *, password: str = PASSWORD) -> None:
    """Step one of sign-in, through the form as a person fills it."""
    page.goto(reverse("accounts:login"))
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def enter_code(page: Page, code: str) -> None:
    """Step two: a TOTP or backup code in the verify form."""
    expect(page).to_have_url(_path_pattern("accounts:verify"))
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


def sign_in(page: Page, live_server, user: User, *, device: TOTPDevice | None = None) -> None:
    """The real two-step sign-in through the UI: password, then a TOTP code that this test
    computes itself from the device secret (RFC 6238, ``tests.otp``).

    A user without an authenticator app gets one. If the current 30-second step was
    already used by the device (the portal refuses replays), this waits for the next one.
    ``live_server`` is taken so a caller cannot use the helper without a running server.
    """
    assert page.url == "about:blank" or page.url.startswith(live_server.url)
    if device is None:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or totp_device(user)
    password_step(page, user)
    enter_code(page, fresh_totp(device))
    expect(page).not_to_have_url(SIGN_IN_PAGES)


def url_path(page: Page) -> str:
    return urlsplit(page.url).path


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(_path_pattern("accounts:login"))


def _path_pattern(url_name: str) -> re.Pattern[str]:
    return re.compile(rf"^https?://[^/]+{re.escape(reverse(url_name))}(\?.*)?$")
