"""The servers of the soak (bench/soak.py), each owned by it: its own PostgreSQL and Redis on
loopback ports, the processes it starts (so every exit path can end them), a supervisor
loop (a service manager's restart policy) and the webhook receiver that counts deliveries.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "soak"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Owned:
    """Every process the soak starts, so that every exit path can end them all."""

    def __init__(self) -> None:
        self.groups: dict[str, subprocess.Popen] = {}
        self.stopping = False
        self.lock = threading.Lock()

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (VAR / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        with self.lock:
            self.groups[name] = process
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.groups.get(name)
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)

    def stop_all(self) -> None:
        self.stopping = True
        for name in list(self.groups):
            self.kill(name, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.groups.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        for name in list(self.groups):
            self.kill(name, signal.SIGKILL)  # its group: pool children and gunicorn workers


class Postgres:
    """A PostgreSQL of the soak's own (pgserver's binaries), on a loopback port."""

    def __init__(self) -> None:
        # pgserver's import asks platformdirs for a runtime directory (portal/embedded.py)
        runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}"))  # noqa: S108
        runtime.mkdir(mode=0o700, exist_ok=True)
        import pgserver

        self.bin = Path(pgserver.__file__).parent / "pginstall" / "bin"
        self.data, self.port = VAR / "pgdata", free_port()
        self.data.mkdir(mode=0o700)
        self.user: str | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses root: run it as pgserver's own user
            from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

            self.user = "pgserver"
            entry = ensure_user_exists(self.user)
            ensure_prefix_permissions(self.data)
            os.chown(self.data, entry.pw_uid, entry.pw_gid)

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin / program), *args], check=True, user=self.user, cwd=self.data,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        for statement in (
            "CREATE ROLE liaison_owner LOGIN",
            "CREATE ROLE liaison_app LOGIN",
            "CREATE DATABASE liaison OWNER liaison_owner",
        ):
            self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                      "-d", "postgres", "-qc", statement)  # fmt: skip

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} "
                   "-c max_connections=200 -c shared_buffers=64MB")  # fmt: skip
        log = str(self.data / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, role: str) -> str:
        return f"postgres://{role}@127.0.0.1:{self.port}/liaison"


class Redis:
    def __init__(self, owned: Owned) -> None:
        self.owned, self.port = owned, free_port()
        (VAR / "redis").mkdir(exist_ok=True)

    def start(self) -> None:
        self.owned.start("redis", ["redis-server", "--port", str(self.port), "--bind",
                                   "127.0.0.1", "--dir", str(VAR / "redis"), "--appendonly",
                                   "yes", "--maxmemory-policy", "noeviction", "--save", ""],
                         dict(os.environ))  # fmt: skip
        wait_for(lambda: port_open(self.port), 10, "redis")

    def restart(self) -> None:
        self.owned.kill("redis", signal.SIGTERM)  # a clean restart: it writes its AOF
        self.owned.groups["redis"].wait(timeout=10)
        self.start()


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(ready: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise SystemExit(f"soak: {what} did not come up within {seconds:.0f} s (logs in {VAR})")


class Webhooks(BaseHTTPRequestHandler):
    """The receiving end of the notification webhook: counts each delivery id it gets."""

    received: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Webhooks.received.append(self.headers.get("X-Liaison-Delivery", ""))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


def supervise(owned: Owned, name: str, command: list[str], env: dict[str, str],
              restarts: Counter[str]) -> None:  # fmt: skip
    """Keep one process running (a service manager's restart policy), counting restarts."""
    while not owned.stopping:
        process = owned.start(name, command, env)
        process.wait()
        if owned.stopping:
            return
        restarts[name] += 1
        time.sleep(1)
