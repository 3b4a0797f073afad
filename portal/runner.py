"""``make run``: the whole portal on embedded defaults, in one terminal.

Migrates, loads the demo data, then runs the web server, a Celery worker and Celery beat as
child processes until Ctrl-C or SIGTERM (``kill``, a service manager). The port is
``LIAISON_PORT`` (default 8000), the address ``LIAISON_HOST`` (127.0.0.1). This process
holds a handle on the embedded PostgreSQL for as long as it runs, so the database outlives
restarts of any child.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = os.environ.get("LIAISON_HOST", "127.0.0.1")
PORT = os.environ.get("LIAISON_PORT", "8000")
NCMEC_PORT = os.environ.get("LIAISON_NCMEC_TEST_PORT", "8102")
TSA_PORT = os.environ.get("LIAISON_DISCLOSURE_TSA_PORT", "8103")
# The demo's disclosures are timestamped by the project's own RFC 3161 authority (started
# below), so they are PAdES B-LT like production ones; a configured TSA wins.
DEMO_TSA_URL = f"http://127.0.0.1:{TSA_PORT}/"


def _children() -> list[tuple[str, list[str]]]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "portal"]
    return [
        ("web", [python, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"]),
        ("worker", [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "-n", "worker@%h"]),
        ("beat", [*celery, "beat", "--loglevel=INFO", "--pidfile="]),
        # The project's stand-in for NCMEC's CyberTipline API (reports/cybertip), so the
        # demo files reports without ever reaching NCMEC (LIAISON_CYBERTIP_ENVIRONMENT=local).
        ("ncmec", [python, "-m", "reports.cybertip.testserver", "--port", NCMEC_PORT]),
    ]


def banner(host: str, port: str) -> str:
    """What ``make run`` prints once everything is up, with the port it really uses."""
    return (
        f"\nLiaison is running at http://{host}:{port}/  (web, worker and beat). "
        "Ctrl-C or SIGTERM stops everything.\n"
        f"Passkeys need a secure context: use http://localhost:{port}/ to try them.\n"
    )


def _wait_for_port(port: int, seconds: float = 15.0) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"the demo timestamp authority did not start on port {port}")


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    demo_tsa = "LIAISON_DISCLOSURE_TSA_URL" not in os.environ
    os.environ.setdefault("LIAISON_DISCLOSURE_TSA_URL", DEMO_TSA_URL)
    os.chdir(BASE_DIR)
    import django

    django.setup()  # starts (or attaches to) the embedded PostgreSQL and keeps the handle
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("disclosure_demo_pki")  # demo signing key and CA under var/, once
    processes: list[tuple[str, subprocess.Popen]] = []
    if demo_tsa:
        tsa = [sys.executable, "manage.py", "disclosure_tsa", "--port", TSA_PORT]
        authority = subprocess.Popen(tsa, cwd=BASE_DIR)  # noqa: S603
        processes.append(("tsa", authority))
        try:
            _wait_for_port(int(TSA_PORT))
        except SystemExit:
            authority.kill()
            raise
        print(f"Timestamp authority on {DEMO_TSA_URL} (demo disclosures are PAdES B-LT)")
    call_command("load_demo")

    for name, command in _children():
        processes.append((name, subprocess.Popen(command, cwd=BASE_DIR)))  # noqa: S603
    print(banner(HOST, PORT), flush=True)

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes:
            if process.poll() is not None:
                print(f"{name} exited with status {process.returncode}; stopping the rest.")
                stopping = True
                exit_code = 1
        time.sleep(0.5)
    # SIGINT, as Ctrl-C gives the whole terminal: each child then exits through Python's
    # normal shutdown, which releases its handle on the embedded PostgreSQL (atexit). A
    # SIGTERM would end them before atexit runs, and the database would outlive them all.
    for _, process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 15
    for _, process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
    print("Liaison stopped.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
