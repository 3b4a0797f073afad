"""Small local servers the worker talks to: a webhook receiver and an SMTP server.

Both listen on 127.0.0.1 on a free port, run in a thread of the test process and record
what they received, with the time, so tests can assert on order and backoff.
"""

from __future__ import annotations

import socketserver
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class WebhookRequest:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class WebhookReceiver:
    """Answers each POST with the next status of ``statuses`` (then 200), after ``delays``.

    ``requests`` lists every request received, including ones whose answer never reached
    the sender (its worker was killed while the receiver was slow).
    """

    statuses: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    requests: list[WebhookRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    delay = receiver.delays.pop(0) if receiver.delays else 0.0
                    receiver.requests.append(
                        WebhookRequest(time.time(), self.path, dict(self.headers), body, status)
                    )
                time.sleep(delay)
                payload = b'{"ok":true}' if status < 300 else b'{"ok":false}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender is gone (killed while we were slow)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/liaison"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class SmtpSession:
    at: float
    recipients: list[str]
    outcome: str  # "accepted", "451", "closed"
    data: bytes = b""


@dataclass
class SmtpServer:
    """A minimal SMTP server (RFC 5321 subset) that can fail for chosen recipients.

    ``failures`` maps a recipient address to the outcomes of its first attempts, each
    ``"close"`` (drop the connection after RCPT TO) or ``"451"`` (temporary refusal);
    after those, the recipient's mail is accepted. ``sessions`` records every attempt.
    """

    failures: dict[str, list[str]] = field(default_factory=dict)
    sessions: list[SmtpSession] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 mail.example.com ESMTP test")
                recipients: list[str] = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode().strip()
                    verb = command[:4].upper()
                    if verb in {"EHLO", "HELO"}:
                        self.reply("250 mail.example.com")
                    elif verb == "MAIL":
                        recipients = []
                        self.reply("250 2.1.0 OK")
                    elif verb == "RCPT":
                        address = command.partition(":")[2].strip().strip("<>").lower()
                        with server._lock:
                            planned = server.failures.get(address, [])
                            outcome = planned.pop(0) if planned else "ok"
                            if outcome != "ok":
                                server.sessions.append(SmtpSession(time.time(), [address], outcome))
                        if outcome == "close":
                            return
                        if outcome == "451":
                            self.reply("451 4.3.0 Try again later")
                            continue
                        recipients.append(address)
                        self.reply("250 2.1.5 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = b""
                        while not data.endswith(b"\r\n.\r\n"):
                            chunk = self.rfile.readline()
                            if not chunk:
                                return
                            data += chunk
                        with server._lock:
                            server.sessions.append(
                                SmtpSession(time.time(), recipients, "accepted", data)
                            )
                        self.reply("250 2.0.0 Queued")
                    elif verb == "RSET":
                        recipients = []
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("250 OK")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def accepted_for(self, address: str) -> list[SmtpSession]:
        with self._lock:
            return [s for s in self.sessions if s.outcome == "accepted" and address in s.recipients]

    def attempts_for(self, address: str) -> list[SmtpSession]:
        with self._lock:
            return [s for s in self.sessions if address in s.recipients]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
