"""A local stand-in for NCMEC's CyberTipline Reporting API, for tests and the demo.

Built from NCMEC's API documentation (copy of 4 November 2025): the same endpoints under
``/ispws`` (``GET /status``, ``GET /xsd``, ``POST /submit``, ``/upload``, ``/fileinfo``,
``/finish``, ``/retract``), HTTP Basic authentication (a failure is a 401 with an empty
body), every answer an XML ``reportResponse`` (``reportDoneResponse`` for ``/finish``) with
a ``Request-ID`` header, documents validated against the XSD (4110 malformed, 4100
invalid, with HTTP 400), the documented state codes (5001 report does not exist, 5002 file
does not exist, 5101 already retracted, 5102 already finished) and the discard rule: an
unfinished report is gone 24 hours after it was opened or 1 hour after its last change,
whichever is later. The clock is the server's own and can be moved (``advance``), and
faults can be scheduled (``fail_next``), so tests reach every path without waiting.

Run it: ``python -m reports.cybertip.testserver --port 8102`` (user/password
``liaison-demo``), or in-process: ``server = NcmecTestServer(); server.start(); ...``.
It needs no Django; it shares only the schema file with the portal.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from lxml import etree  # type: ignore[import-untyped]

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "cyber_tipline.xsd"
OPEN_LIFETIME = timedelta(hours=24)
IDLE_LIFETIME = timedelta(hours=1)
DESCRIPTIONS = {
    0: "Success",
    1000: "Server error",
    2000: "Authentication required",
    4000: "Invalid request",
    4100: "Validation failed",
    4110: "Malformed XML submittal",
    4200: "Malformed file submittal",
    5001: "Report does not exist",
    5002: "File does not exist",
    5101: "Report already retracted",
    5102: "Report already finished",
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass
class StoredFile:
    name: str
    md5: str
    size: int
    details: bytes | None = None


@dataclass
class StoredReport:
    report_id: int
    document: bytes
    opened_at: datetime
    last_change_at: datetime
    state: str = "open"  # open, finished, retracted
    files: dict[str, StoredFile] = field(default_factory=dict)


@dataclass
class Fault:
    path: str
    code: int
    http_status: int
    times: int
    drop_connection: bool = False


class NcmecTestServer:
    """The server's state and its HTTP front. Thread-safe (one lock for the state)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "liaison-demo",
        password: str = "liaison-demo",  # noqa: S107 (the local test server's demo login)
        schema_path: Path = SCHEMA_PATH,
    ) -> None:
        self.username, self.password = username, password
        self.schema_bytes = schema_path.read_bytes()
        self.schema = etree.XMLSchema(etree.fromstring(self.schema_bytes, parser=_parser()))
        self.reports: dict[int, StoredReport] = {}
        self.requests: list[tuple[str, int, str]] = []  # (path, responseCode, Request-ID)
        self.faults: list[Fault] = []
        self.offset = timedelta()
        self.lock = threading.Lock()
        self._ids = itertools.count(4564654)
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- control (tests) -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/ispws"

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move the server's clock (expiry of unfinished reports)."""
        with self.lock:
            self.offset += delta

    def fail_next(
        self,
        path: str,
        *,
        code: int = 1000,
        http_status: int = 500,
        times: int = 1,
        drop_connection: bool = False,
    ) -> None:
        """Answer the next ``times`` calls to ``path`` (e.g. "upload") with this failure,
        before doing anything (nothing is saved), or close the connection unanswered."""
        with self.lock:
            self.faults.append(Fault(path, code, http_status, times, drop_connection))

    def start(self) -> NcmecTestServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- protocol -------------------------------------------------------------------------

    def _fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path == path and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def _live(self, report_id: Any) -> tuple[StoredReport | None, int]:
        """The report if it can still be changed, else the code that says why not."""
        try:
            key = int(str(report_id).strip())
        except ValueError:
            return None, 4000
        report = self.reports.get(key)
        if report is None:
            return None, 5001
        if report.state == "finished":
            return report, 5102
        if report.state == "retracted":
            return report, 5101
        if self.now() >= max(
            report.opened_at + OPEN_LIFETIME, report.last_change_at + IDLE_LIFETIME
        ):
            del self.reports[key]  # discarded by NCMEC
            return None, 5001
        return report, 0

    def _validate(self, body: bytes, root_tag: str) -> tuple[etree._Element | None, int, str]:
        try:
            root = etree.fromstring(body, parser=_parser())
        except etree.XMLSyntaxError as exc:
            return None, 4110, f"Malformed XML submittal: {exc}"
        if root.tag != root_tag or not self.schema.validate(root):
            messages = (
                "; ".join(e.message for e in self.schema.error_log) or f"root must be {root_tag}"
            )
            return None, 4100, f"Validation failed: {messages}"
        return root, 0, ""

    def handle(
        self, method: str, path: str, headers: Any, body: bytes, client: str
    ) -> tuple[int, bytes, str]:
        """(HTTP status, body, content type) for one request."""
        with self.lock:
            fault = self._fault(path)
            if fault is not None:
                if fault.drop_connection:
                    raise ConnectionAbortedError("fault: connection dropped")
                return fault.http_status, _response(fault.code), "application/xml"
            if method == "GET" and path == "status":
                return (
                    200,
                    _response(0, f"Remote User : {self.username}, Remote Ip : {client}"),
                    "application/xml",
                )
            if method == "GET" and path == "xsd":
                return 200, self.schema_bytes, "application/xml"
            if method != "POST" or path not in {
                "submit",
                "upload",
                "fileinfo",
                "finish",
                "retract",
            }:
                return 404, _response(1210, "Resource not found"), "application/xml"
            return getattr(self, f"_{path}")(headers, body)

    def _submit(self, headers: Any, body: bytes) -> tuple[int, bytes, str]:
        root, code, message = self._validate(body, "report")
        if root is None:
            return 400, _response(code, message), "application/xml"
        if not (root.findtext("reporter/reportingPerson/email") or "").strip():
            return (
                400,
                _response(4100, "Validation failed: reporter email is required"),
                "application/xml",
            )
        report_id = next(self._ids)
        now = self.now()
        self.reports[report_id] = StoredReport(report_id, body, now, now)
        return 200, _response(0, report_id=report_id), "application/xml"

    def _upload(self, headers: Any, body: bytes) -> tuple[int, bytes, str]:
        fields, files = _multipart(headers, body)
        report, code = self._live(fields.get("id", ""))
        if code:
            return (
                400,
                _response(code, report_id=report.report_id if report else None),
                "application/xml",
            )
        assert report is not None
        if "file" not in files:
            return (
                400,
                _response(4200, "Malformed file submittal", report_id=report.report_id),
                "application/xml",
            )
        name, content = files["file"]
        file_id = uuid.uuid4().hex
        md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
        report.files[file_id] = StoredFile(name, md5, len(content))
        report.last_change_at = self.now()
        return (
            200,
            _response(0, report_id=report.report_id, file_id=file_id, md5=md5),
            "application/xml",
        )

    def _fileinfo(self, headers: Any, body: bytes) -> tuple[int, bytes, str]:
        root, code, message = self._validate(body, "fileDetails")
        if root is None:
            return 400, _response(code, message), "application/xml"
        report, code = self._live(root.findtext("reportId"))
        if code:
            return (
                400,
                _response(code, report_id=report.report_id if report else None),
                "application/xml",
            )
        assert report is not None
        stored = report.files.get((root.findtext("fileId") or "").strip())
        if stored is None:
            return 400, _response(5002, report_id=report.report_id), "application/xml"
        if stored.details is not None:
            return (
                400,
                _response(
                    4000,
                    "Invalid request: file details already submitted",
                    report_id=report.report_id,
                ),
                "application/xml",
            )
        stored.details = body
        report.last_change_at = self.now()
        return 200, _response(0, report_id=report.report_id), "application/xml"

    def _finish(self, headers: Any, body: bytes) -> tuple[int, bytes, str]:
        fields, _files = _multipart(headers, body)
        report, code = self._live(fields.get("id", ""))
        if code:
            return 400, _done(code, report.report_id if report else None, []), "application/xml"
        assert report is not None
        report.state = "finished"
        return 200, _done(0, report.report_id, list(report.files)), "application/xml"

    def _retract(self, headers: Any, body: bytes) -> tuple[int, bytes, str]:
        fields, _files = _multipart(headers, body)
        report, code = self._live(fields.get("id", ""))
        if code:
            return (
                400,
                _response(code, report_id=report.report_id if report else None),
                "application/xml",
            )
        assert report is not None
        report.state = "retracted"
        return 200, _response(0, report_id=report.report_id), "application/xml"

    def authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.username and password == self.password


def _response(
    code: int,
    description: str | None = None,
    *,
    report_id: int | None = None,
    file_id: str = "",
    md5: str = "",
) -> bytes:
    root = etree.Element("reportResponse")
    etree.SubElement(root, "responseCode").text = str(code)
    etree.SubElement(root, "responseDescription").text = description or DESCRIPTIONS.get(code, "")
    if report_id is not None:
        etree.SubElement(root, "reportId").text = str(report_id)
    if file_id:
        etree.SubElement(root, "fileId").text = file_id
        etree.SubElement(root, "hash").text = md5
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _done(code: int, report_id: int | None, file_ids: list[str]) -> bytes:
    root = etree.Element("reportDoneResponse")
    etree.SubElement(root, "responseCode").text = str(code)
    if report_id is not None:
        etree.SubElement(root, "reportId").text = str(report_id)
    files = etree.SubElement(root, "files")
    for file_id in file_ids:
        etree.SubElement(files, "fileId").text = file_id
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _multipart(headers: Any, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Form fields and files of a multipart/form-data (or urlencoded) body."""
    content_type = headers.get("Content-Type", "")
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if content_type.startswith("application/x-www-form-urlencoded"):
        for key, values in parse_qs(body.decode("utf-8", "replace")).items():
            fields[key] = values[0]
        return fields, files
    if not content_type.startswith("multipart/form-data"):
        return fields, files
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        if not name:
            continue
        if filename is not None:
            files[str(name)] = (filename, payload)
        else:
            fields[str(name)] = payload.decode("utf-8", "replace")
    return fields, files


def _handler_for(server: NcmecTestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
            return

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request_id = str(uuid.uuid4())
            path = self.path.split("?", 1)[0].rstrip("/")
            if not path.startswith("/ispws/"):
                status, payload, kind = 404, b"", "text/plain"
            elif not server.authorised(self.headers.get("Authorization")):
                status, payload, kind = 401, b"", "text/plain"
            else:
                try:
                    status, payload, kind = server.handle(
                        method, path[len("/ispws/") :], self.headers, body, self.client_address[0]
                    )
                except ConnectionAbortedError:
                    self.close_connection = True
                    self.connection.close()
                    return
            code = -1
            if payload.startswith(b"<?xml") and b"<responseCode>" in payload:
                code = int(payload.split(b"<responseCode>")[1].split(b"<")[0])
            server.requests.append((path, code, request_id))
            self.send_response(status)
            self.send_header("Request-ID", request_id)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="ispws"')
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Local NCMEC CyberTipline test server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--user", default="liaison-demo")
    parser.add_argument("--password", default="liaison-demo")
    args = parser.parse_args()
    server = NcmecTestServer(
        host=args.host, port=args.port, username=args.user, password=args.password
    )
    print(f"NCMEC test server on {server.base_url} (user {args.user})", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
