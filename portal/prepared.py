"""Prepared statements for the few statements every API request runs.

Django's PostgreSQL backend binds parameters on the client: each query goes out as new text
and PostgreSQL parses and plans it on every call. For the API token check that was most of
its cost in the database (0.3 ms of PostgreSQL CPU per call, 0.06 ms prepared), and with the
access-log insert it is work every API request repeats (bench/api.py, ADR 0018).
``prepared_cursor`` runs statements through a server-binding psycopg cursor on Django's own
connection (same transaction, same error translation, the same query log in tests), each
statement prepared once per connection.

Django's own queries are unaffected: its cursors bind on the client and never prepare.
Behind PgBouncer in transaction pooling mode, a statement prepared on one server connection
is missing on the next; the setting Django asks for there, ``DISABLE_SERVER_SIDE_CURSORS``,
turns preparing off here too (the statements then run as ordinary queries).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

import psycopg
from django.db import connection
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


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """A Django cursor whose statements are prepared on the server, once per connection."""
    if connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        with connection.cursor() as plain:
            yield plain
        return
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _EXPLICIT_ONLY
    preparing = _PreparingCursor(raw)
    wrapped = (
        _DebugCursorWrapper(preparing, connection)
        if connection.queries_logged
        else CursorWrapper(preparing, connection)
    )
    with wrapped:
        yield wrapped
