"""``make run`` with another port (issue 9, item 15): the printed hints and the links in
e-mails use the port it serves on."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from portal.runner import banner

ROOT = Path(__file__).resolve().parents[2]


def test_the_banner_names_the_real_port():
    text = banner("127.0.0.1", "8123")

    assert "http://127.0.0.1:8123/" in text
    assert "http://localhost:8123/" in text  # the passkey hint too
    assert "8000" not in text


def test_links_and_passkey_origins_follow_liaison_port():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"LIAISON_BASE_URL", "LIAISON_WEBAUTHN_ORIGINS", "LIAISON_HOST"}
    }
    env.update(LIAISON_PORT="8123", DJANGO_SETTINGS_MODULE="portal.settings")
    code = (
        "from django.conf import settings as s; "
        "print(s.LIAISON_BASE_URL); print(s.OTP_WEBAUTHN_ALLOWED_ORIGINS[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()

    assert out == ["http://127.0.0.1:8123", "http://localhost:8123"]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_of(data_dir: Path) -> list[int]:
    """Pids of PostgreSQL processes serving ``data_dir`` (the postmaster names it in -D)."""
    import psutil

    found = []
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "postgres" in (process.info["name"] or "") and str(data_dir) in cmdline:
            found.append(process.info["pid"])
    return found


def test_sigterm_stops_the_children_and_the_embedded_postgresql(tmp_path):
    """A service manager stops ``make run`` with SIGTERM: nothing of it may keep running,
    least of all the database (it used to outlive the runner). Runs the real runner on a
    data directory of its own: migrate, demo data, web, worker, beat."""
    import signal
    import time

    import psutil

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "LIAISON_"))}
    env.update(
        LIAISON_VAR_DIR=str(tmp_path / "var"),
        LIAISON_PORT=str(_free_port()),
        LIAISON_NCMEC_TEST_PORT=str(_free_port()),
        PYTHONUNBUFFERED="1",
    )
    runner = subprocess.Popen(
        [sys.executable, "-m", "portal.runner"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    data_dir = tmp_path / "var" / "pgdata"
    seen: list[str] = []
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = runner.stdout.readline()
            assert line or runner.poll() is None, "".join(seen)
            seen.append(line)
            if "Liaison is running" in line:
                break
        else:
            raise AssertionError("".join(seen))
        children = psutil.Process(runner.pid).children(recursive=True)
        assert len(children) >= 4
        assert _postgres_of(data_dir), "the runner's database is not running"

        runner.send_signal(signal.SIGTERM)
        rest, _ = runner.communicate(timeout=60)
        assert "Liaison stopped." in rest
        deadline = time.monotonic() + 20
        while _postgres_of(data_dir) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _postgres_of(data_dir) == []
        assert [child.pid for child in children if child.is_running()] == []
    finally:  # a failure must not leave the runner's processes behind
        for process in [runner, *children]:
            with contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess):
                process.kill()
        for pid in _postgres_of(data_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
