"""A client for NCMEC's CyberTipline Reporting API (HTTP Basic, XML answers).

Every answer is a ``reportResponse`` (``reportDoneResponse`` for ``/finish``) with a
``responseCode``; the HTTP status is read too (NCMEC answers 400 for a 4100, public clients
saw 200; a 401 may come with an empty body). Each answer carries a ``Request-ID`` header,
which NCMEC asks for when a submission is questioned, so it is returned with the answer.

Which server: ``endpoint()`` decides from settings, and refuses NCMEC's production server
unless ``LIAISON_ENV=production`` *and* ``LIAISON_CYBERTIP_ALLOW_PRODUCTION`` are set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from lxml import etree  # type: ignore[import-untyped]

from reports.cybertip.xml import parse

PRODUCTION_URL = "https://report.cybertip.org/ispws"
TEST_URL = "https://exttest.cybertip.org/ispws"
PRODUCTION_HOST = "report.cybertip.org"

# Documented codes (NCMEC API documentation, appendix D). Any other code is surfaced as
# unknown, never treated as success or retried blindly.
CODES: dict[int, str] = {
    0: "Success",
    1000: "Server error",
    1100: "Save failed",
    1110: "Upload failed",
    1111: "File upload failed",
    1210: "Resource not found",
    1300: "Update failed",
    2000: "Authentication required",
    3000: "User is not authorized to perform this action",
    3100: "User does not have authorization to make submissions",
    3300: "User does not have authorization to make updates",
    4000: "Invalid request",
    4100: "Validation failed",
    4110: "Malformed XML submittal",
    4200: "Malformed file submittal",
    5001: "Report does not exist",
    5002: "File does not exist",
    5101: "Report already retracted",
    5102: "Report already finished",
}
# The server says it did not save: sending the same call again is safe.
TRANSIENT_CODES = frozenset({1000, 1100, 1110, 1111, 1300})
AUTH_CODES = frozenset({2000, 3000, 3100, 3300})
GONE_CODES = frozenset({5001})


def endpoint() -> str:
    """The base URL reports go to in this install, after the production safety check."""
    environment = settings.LIAISON_CYBERTIP_ENVIRONMENT
    allowed = settings.PRODUCTION and settings.LIAISON_CYBERTIP_ALLOW_PRODUCTION
    if environment == "production":
        if not allowed:
            raise ImproperlyConfigured(
                "NCMEC production is refused: it needs LIAISON_ENV=production and "
                "LIAISON_CYBERTIP_ALLOW_PRODUCTION=on."
            )
        return PRODUCTION_URL
    if environment == "test":
        url = TEST_URL
    elif environment == "local":
        url = settings.LIAISON_CYBERTIP_URL.rstrip("/")
    else:
        raise ImproperlyConfigured(
            "LIAISON_CYBERTIP_ENVIRONMENT must be 'local', 'test' or 'production'."
        )
    if (urlsplit(url).hostname or "").lower() == PRODUCTION_HOST:
        raise ImproperlyConfigured(
            "LIAISON_CYBERTIP_URL points at NCMEC production; use "
            "LIAISON_CYBERTIP_ENVIRONMENT=production (production installs only)."
        )
    return url


class TransportError(Exception):
    """No answer. ``maybe_sent``: the request may have reached NCMEC (a read timeout), so
    its outcome is unknown; otherwise it surely did not (connection refused)."""

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


@dataclass
class Answer:
    http_status: int
    code: int | None
    description: str
    request_id: str
    report_id: int | None = None
    file_id: str = ""
    md5: str = ""
    file_ids: list[str] = field(default_factory=list)
    body: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 0 and self.http_status < 400

    @property
    def known(self) -> bool:
        return self.code in CODES

    @property
    def summary(self) -> str:
        code = "none" if self.code is None else str(self.code)
        return f"HTTP {self.http_status}, responseCode {code}: {self.description}".strip()


def answer_parse(response: requests.Response) -> Answer:
    request_id = response.headers.get("Request-ID", "")
    body = response.content or b""
    code: int | None = None
    description = ""
    answer = Answer(
        response.status_code, None, "", request_id, body=body.decode("utf-8", "replace")
    )
    if body.strip():
        try:
            root = parse(body)
        except etree.XMLSyntaxError:
            answer.description = "unreadable answer (not XML)"
            return answer
        code_text = root.findtext("responseCode")
        if code_text is not None and code_text.strip().lstrip("-").isdigit():
            code = int(code_text.strip())
        description = (root.findtext("responseDescription") or "").strip()
        report_id = (root.findtext("reportId") or "").strip()
        answer.report_id = int(report_id) if report_id.isdigit() else None
        answer.file_id = (root.findtext("fileId") or "").strip()
        answer.md5 = (root.findtext("hash") or "").strip().lower()
        answer.file_ids = [(e.text or "").strip() for e in root.findall("files/fileId")]
    if code is None and response.status_code == 401:
        code, description = 2000, description or CODES[2000]
    answer.code = code
    answer.description = description or (CODES.get(code, "") if code is not None else "")
    return answer


class NcmecClient:
    """One connection to the reporting API. ``session`` may be given (tests pass one with
    their own transport to crash at a chosen moment)."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = (base_url or endpoint()).rstrip("/")
        self.session = session or requests.Session()
        self.session.auth = (
            username if username is not None else settings.LIAISON_CYBERTIP_USERNAME,
            password if password is not None else settings.LIAISON_CYBERTIP_PASSWORD,
        )
        self.timeout = timeout or settings.LIAISON_CYBERTIP_TIMEOUT_SECONDS

    def _call(self, method: str, path: str, **kwargs: Any) -> Answer:
        try:
            response = self.session.request(
                method, f"{self.base_url}/{path}", timeout=self.timeout, **kwargs
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            maybe_sent = not isinstance(exc, requests.ConnectTimeout) and not _refused(exc)
            raise TransportError(type(exc).__name__, maybe_sent=maybe_sent) from exc
        return answer_parse(response)

    def status(self) -> Answer:
        return self._call("GET", "status")

    def submit(self, document: bytes) -> Answer:
        return self._call(
            "POST", "submit", data=document, headers={"Content-Type": "text/xml; charset=utf-8"}
        )

    def upload(self, *, report_id: int, name: str, content: IO[bytes]) -> Answer:
        return self._call(
            "POST", "upload", data={"id": str(report_id)}, files={"file": (name, content)}
        )

    def fileinfo(self, document: bytes) -> Answer:
        return self._call(
            "POST", "fileinfo", data=document, headers={"Content-Type": "text/xml; charset=utf-8"}
        )

    def finish(self, *, report_id: int) -> Answer:
        return self._call("POST", "finish", files={"id": (None, str(report_id))})

    def retract(self, *, report_id: int) -> Answer:
        return self._call("POST", "retract", files={"id": (None, str(report_id))})


def _refused(exc: Exception) -> bool:
    """A connection that was never made (refused, DNS): the request was not sent."""
    text = repr(exc)
    return "NewConnectionError" in text or "Connection refused" in text or "NameResolution" in text
