"""How the deploy tests' subprocesses (scripts, manage.py) reach the test's server."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def database_url(db: dict[str, Any], *, name: str | None = None) -> str:
    """A libpq URL for database ``name`` on the server of ``db`` (Django settings): TCP, or
    the embedded server's unix socket directory (its ``HOST``)."""
    user = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        user += ":" + quote(db["PASSWORD"])
    name = quote(name or db["NAME"])
    host = db.get("HOST") or ""
    if host.startswith("/"):
        return f"postgres://{user}@/{name}?host={quote(host)}"
    return f"postgres://{user}@{host or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"
