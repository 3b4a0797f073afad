"""Prepared statements for the few statements every API request runs, and the ORM internals
they lean on: the one module that does either (issue 11, ADR 0018).

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

The statements are written by hand, so their rows go in and out of models here as the ORM
would do it: ``RowPart`` builds a model from its columns of a joined row (``from_db`` and
each column's converters, as ``select_related`` does), ``model_insert`` INSERTs an unsaved
instance (each field's ``get_db_prep_save``, as ``save()`` does). Those are Django's
internals; ``tests/portal/test_prepared.py`` compares both with the ORM's own answers, so an
upgrade that changes them fails there, not in production.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import psycopg
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, models
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


# --- rows to models and back, as the ORM does it --------------------------------------------


@dataclass(frozen=True)
class RowPart:
    """One model's columns in a hand-written query's result row, ``start:stop``."""

    model: type[models.Model]
    attnames: tuple[str, ...]
    start: int
    stop: int
    converters: tuple[tuple[int, tuple[Any, ...]], ...]  # (column, Django's converters)

    @classmethod
    def of(cls, model: type[models.Model], alias: str, start: int) -> RowPart:
        """The part for ``model`` read as ``alias.<column>`` for every concrete field, in
        field order, from column ``start`` (``columns()`` gives the SELECT list)."""
        db = connections[DEFAULT_DB_ALIAS]
        fields = model._meta.concrete_fields
        converters = []
        for index, field in enumerate(fields):
            col = field.get_col(alias)
            found = db.ops.get_db_converters(col) + col.get_db_converters(db)
            if found:
                converters.append((index, tuple(found)))
        return cls(
            model, tuple(f.attname for f in fields), start, start + len(fields), tuple(converters)
        )

    def columns(self, alias: str) -> list[str]:
        quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
        fields = self.model._meta.concrete_fields
        return [f"{alias}.{quote(field.column)}" for field in fields]  # type: ignore[arg-type]

    def load(self, row: Sequence[Any]) -> Any:
        db = connections[DEFAULT_DB_ALIAS]
        values = list(row[self.start : self.stop])
        for index, converters in self.converters:
            for convert in converters:
                values[index] = convert(values[index], None, db)
        return self.model.from_db(DEFAULT_DB_ALIAS, self.attnames, values)


@functools.cache
def _insert_statement(
    model: type[models.Model],
) -> tuple[str, tuple[models.Field[Any, Any], ...]]:
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    q = connections[DEFAULT_DB_ALIAS].ops.quote_name
    table, columns = q(meta.db_table), ", ".join(q(str(f.column)) for f in fields)
    key = q(str(meta.pk.column))
    values = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {key}"  # noqa: S608
    return sql, fields


def model_insert(obj: models.Model) -> None:
    """INSERT an unsaved instance as ``save()`` would, prepared; for models with no
    ``save()`` override and no signals (the caller's promise). Sets its pk and state."""
    sql, fields = _insert_statement(type(obj))
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field asks it for its ops
    params = [field.get_db_prep_save(getattr(obj, field.attname), db) for field in fields]
    row = prepared_fetchone(sql, params)
    assert row is not None  # INSERT ... RETURNING returns the row
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = db.alias
