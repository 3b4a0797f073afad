"""Run a command only while holding a PostgreSQL advisory lock: one Celery beat, ever.

``python -m portal.singleton --name beat -- celery -A portal beat`` waits until it holds the
session-level advisory lock for ``beat``, then starts the command and keeps the session open
while it runs. A second copy (a rolling update, a node that looked dead but was not, an
operator's ``docker compose up --scale beat=2``) waits for the lock instead of scheduling
every periodic task a second time. If the session is lost (database restart, network
partition), PostgreSQL has released the lock, so the command is stopped at once and this
process exits non-zero for the orchestrator to restart it; it then queues for the lock again.

The session must be a real one: through PgBouncer in transaction mode an advisory lock
does not belong to any session, so give beat a direct ``DATABASE_URL`` (docs/operations.md).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

logger = logging.getLogger("portal.singleton")


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for the name (advisory locks take a bigint)."""
    digest = hashlib.sha256(f"liaison:singleton:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.singleton", description=__doc__)
    parser.add_argument("--name", required=True, help="what may run only once (e.g. beat)")
    parser.add_argument("--check-seconds", type=float, default=5.0, help="session check period")
    parser.add_argument(
        "--wait-seconds",
        type=float,
        default=-1,
        help="give up (exit 75) after waiting this long for the lock; default: wait for ever",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.db import DatabaseError, connection

    key = lock_key(args.name)
    started = time.monotonic()
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if cursor.fetchone()[0]:
                break
            if stopping:
                return 0
            if 0 <= args.wait_seconds < time.monotonic() - started:
                logger.warning("singleton %s: another copy holds the lock; giving up", args.name)
                return 75  # EX_TEMPFAIL
            logger.info("singleton %s: another copy holds the lock; waiting", args.name)
            time.sleep(min(args.check_seconds, 5.0))
    logger.info("singleton %s: lock held; starting %s", args.name, command[0])

    child = subprocess.Popen(command)  # noqa: S603 - the operator's own command line
    signal.signal(signal.SIGTERM, lambda s, f: child.send_signal(signal.SIGTERM))
    signal.signal(signal.SIGINT, lambda s, f: child.send_signal(signal.SIGINT))
    while True:
        try:
            return child.wait(timeout=args.check_seconds)
        except subprocess.TimeoutExpired:
            pass
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            logger.error("singleton %s: database session lost; stopping the command", args.name)
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
            return 1


if __name__ == "__main__":
    sys.exit(main())
