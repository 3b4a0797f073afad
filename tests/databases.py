"""How a subprocess of the test run reaches the test database.

A subprocess (a Celery worker, ``manage.py``) must connect to the server this run uses,
never start one itself: on the embedded defaults a process that asks ``pgserver`` for the
server registers as one of its holders, and a holder killed with SIGKILL (as tests kill
workers) is never unregistered, so the server outlives ``make test``. Handing it a
``DATABASE_URL`` keeps it from asking.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def database_url(db: dict[str, Any], *, name: str | None = None) -> str:
    """A ``DATABASE_URL`` for the database of ``db`` (Django settings) or ``name`` on its
    server: TCP for a server given by host and port, the unix socket of the embedded one
    (``HOST`` is its socket directory, which libpq takes as the ``host`` option)."""
    credentials = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    name = quote(name or db["NAME"])
    host = db.get("HOST") or ""
    if host.startswith("/"):
        return f"postgres://{credentials}@/{name}?host={quote(host)}"
    return f"postgres://{credentials}@{host or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"
