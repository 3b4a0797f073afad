"""Prepared statements for the few statements every API request runs.

Django's PostgreSQL backend binds parameters on the client: each query goes out as new text
and PostgreSQL parses and plans it on every call. For the API token check that was most of
its cost in the database (0.3 ms of PostgreSQL CPU per call, 0.06 ms prepared), and with the
access-log insert it is work every API request repeats (bench/api.py, ADR 0018).
``prepared_fetchone`` runs a statement through a server-binding psycopg cursor on Django's
own connection (same transaction, same error translation, the same query log in tests),
prepared once per connection.

Django's own queries are unaffected: its cursors bind on the client and never prepare.
Behind PgBouncer in transaction pooling mode, a statement prepared on one server connection
is missing on the next; the setting Django asks for there, ``DISABLE_SERVER_SIDE_CURSORS``,
turns preparing off here too (the statements then run as ordinary queries).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import psycopg
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from psycopg.abc import Params, QueryNoTemplate

# psycopg prepares only statements it is told to prepare, once this is not None (Django sets
# None, which turns preparing off on the connection altogether).
_EXPLICIT_ONLY = 2**31 - 1


class _PreparingCursor(psycopg.Cursor[Any]):
    """A server-binding cursor that prepares what it runs (psycopg would wait for the fifth
    run, and Django's connection turns that off)."""

    def execute(  # type: ignore[override]  # one signature, not psycopg's overloads
        self,
        query: QueryNoTemplate,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        return super().execute(query, params, prepare=True, binary=binary)


class _DebugCursorWrapper(CursorDebugWrapper):
    """Django's query log (DEBUG, tests) for these cursors: it names the statement as written,
    with its parameters beside it, since a prepared statement's bound text is not kept."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params, use_last_executed_query=False):
            return CursorWrapper.execute(self, sql, params)


def prepared_fetchone(
    sql: str, params: Sequence[Any], *, read_only: bool = False
) -> tuple[Any, ...] | None:
    """Run one statement, prepared on the server once per connection; its first row.

    With ``CONN_HEALTH_CHECKS``, Django sends ``SELECT 1`` before a request's first query on
    a reused connection. A ``read_only`` statement, which may safely run twice, answers the
    same question itself: if the connection turns out to be dead, it is closed and the
    statement runs again on a new one, as Django would do after a failed check. Anything
    else runs after Django's own check.
    """
    db = connections[DEFAULT_DB_ALIAS]
    if read_only and _health_check_pending(db):
        db.health_check_done = True  # type: ignore[attr-defined]  # this statement is the check
        try:
            return _fetchone(db, sql, params)
        except (OperationalError, InterfaceError):
            db.close()  # as after a failed check; _fetchone connects again
    else:
        db.close_if_health_check_failed()
    return _fetchone(db, sql, params)


def _health_check_pending(db: Any) -> bool:  # the stubs lack the health-check attributes
    return bool(
        db.connection is not None
        and db.health_check_enabled
        and not db.health_check_done
        and not db.in_atomic_block
    )


def _fetchone(db: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    if db.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        with db.cursor() as plain:
            plain.execute(sql, params)
            return plain.fetchone()
    db.ensure_connection()
    raw = db.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _EXPLICIT_ONLY
    preparing = _PreparingCursor(raw)
    wrapped = (
        _DebugCursorWrapper(preparing, db) if db.queries_logged else CursorWrapper(preparing, db)
    )
    with wrapped:
        wrapped.execute(sql, params)
        return wrapped.fetchone()
