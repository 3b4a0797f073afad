"""No secrets or personal data in the logs (issue 18, item 4).

GIVEN the production log pipeline (``ContextFilter`` + ``JsonFormatter``, and the
development ``PlainFormatter``) capturing every record down to DEBUG (stricter than
production's INFO, so turning ``LOG_LEVEL`` down to troubleshoot leaks nothing either),
WHEN an officer goes through the flows that handle secrets (a failed sign-in by username
and by e-mail address, a wrong second factor, a sign-in with password and TOTP, issuing an
API token, API requests with it and with a wrong one, a submission with an uploaded PDF),
THEN no log line carries the password, a TOTP code or the TOTP seed, the token's
plaintext, the session id, the officer's e-mail address or the client's IP address.

The formatter's masking is a second line of defence (``portal/logs.py``); the raw messages
are scanned as well, so a secret that a log call passes and the mask happens to catch
still fails the test.
"""

from __future__ import annotations

import base64
import logging

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.logs import ContextFilter, JsonFormatter, PlainFormatter
from tests.cases.api.conftest import LIST, submission
from tests.factories import PASSWORD, totp_device
from tests.otp import device_key, fresh_totp, hotp, time_step

pytestmark = pytest.mark.django_db

CLIENT_IP = "203.0.113.77"
WRONG_PASSWORD = "Correct-Horse-Battery-Wrong-42"
WRONG_TOKEN = "lia_" + "Q7" * 20


class Capture(logging.Handler):
    """Every record, as production writes it (JSON), as development does, and raw.

    Today these flows log only Django's 4xx warnings (the access log, in the database, is
    where sign-ins and token use are recorded); the scan keeps a future log call honest."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(ContextFilter())
        self.json = JsonFormatter()
        self.plain = PlainFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.json.format(record))
        self.lines.append(self.plain.format(record))
        raw = record.getMessage()
        if record.exc_info:
            raw += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(raw)


@pytest.fixture
def captured():
    root = logging.getLogger()
    handler = Capture()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def browser() -> Client:
    return Client(REMOTE_ADDR=CLIENT_IP, HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64)")


def api(token: str) -> Client:
    return Client(REMOTE_ADDR=CLIENT_IP, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_secret_handling_flows_leave_no_secret_or_personal_data_in_the_logs(officer_a, captured):
    user = officer_a.user
    device = totp_device(user)
    secrets: dict[str, str] = {
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "TOTP seed (hex)": device.key,
        "TOTP seed (base32)": base64.b32encode(device_key(device)).decode().rstrip("="),
        "e-mail address": user.email,
        "client IP": CLIENT_IP,
        "wrong token": WRONG_TOKEN,
    }
    login, verify = reverse("accounts:login"), reverse("accounts:verify")

    # A failed sign-in, by username and by e-mail address (what people type by mistake).
    failed = browser()
    for typed in (user.username, user.email):
        refused = failed.post(login, {"username": typed, "password": WRONG_PASSWORD})
        assert refused.status_code == 200

    # A right password, a wrong second factor, then the right one.
    client = browser()
    assert client.post(login, {"username": user.username, "password": PASSWORD}).status_code == 302
    right = fresh_totp(device)
    now = time_step()
    window = {hotp(device_key(device), s) for s in range(now - 3, now + 4)}
    wrong = next(f"{n:06d}" for n in range(1, 10**6) if f"{n:06d}" not in window)
    assert client.post(verify, {"token": wrong}).status_code == 200
    assert client.post(verify, {"token": right}).status_code == 302
    secrets["TOTP code"] = right
    secrets["wrong TOTP code"] = wrong
    secrets["session id"] = client.cookies[settings.SESSION_COOKIE_NAME].value

    # Issuing an API token: its plaintext is shown once, on this page.
    issued = client.post(
        reverse("officer:tokens"), {"name": "Case system", "scopes": ["read", "submit"], "days": 90}
    )
    assert issued.status_code == 200
    token = issued.context["issued"].plaintext
    secrets["token"] = token

    # API requests with the token, a submission with an upload, a wrong token.
    assert api(token).get(LIST).status_code == 200
    submitted = api(token).post(LIST, submission())
    assert submitted.status_code == 201, submitted.content[:300]
    assert api(WRONG_TOKEN).get(LIST).status_code == 401
    assert api(token).get(f"{LIST}NO-SUCH-REF/").status_code == 404

    assert captured.lines, "the flows log nothing: the capture is not wired"
    leaks = {
        name: line
        for name, value in secrets.items()
        for line in captured.lines
        if value and value.lower() in line.lower()
    }
    assert leaks == {}
