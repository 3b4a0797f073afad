"""Helpers for the access-log tests: a superuser's tampering session and event factories."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from portal.audit.chain import canonical_sql, row_hash
from portal.audit.models import AccessEvent
from portal.audit.services import access_event_record


@pytest.fixture(autouse=True)
def _no_seal_queue(settings):
    """Tests call the sealer directly; nothing is queued to a broker."""
    settings.LIAISON_AUDIT_SEAL_ON_COMMIT = False


@contextmanager
def as_tampering_superuser() -> Iterator[Any]:
    """A cursor with the table's triggers off, as a database superuser can arrange.

    ``session_replication_role = replica`` stops ordinary triggers from firing in this
    session; it is what ``pg_restore`` and logical replication use, and it needs superuser.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def record(n: int, **kwargs: Any) -> list[AccessEvent]:
    """``n`` events written the way the portal writes them."""
    defaults = {"action": "view", "actor_label": "task:test", "case_reference": "LR-0001"}
    return [access_event_record(**{**defaults, "details": {"n": i}, **kwargs}) for i in range(n)]


def forge_hash(cursor: Any, row_id: int, seq: int, prev_hash: str) -> str:
    """What a forger who read our code computes for a row placed at ``seq``."""
    cursor.execute(
        f"SELECT convert_to({canonical_sql('e', '%s::bigint')}, 'UTF8') "  # noqa: S608
        "FROM audit_accessevent e WHERE e.id = %s",
        [seq, row_id],
    )
    return row_hash(bytes(cursor.fetchone()[0]), prev_hash)
