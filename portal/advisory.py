"""PostgreSQL session advisory locks: one run at a time per piece of work.

A task that may be delivered twice (a redriven message and a late original, a person's
"Render again" while the first render runs) takes the lock of its object for the whole
run; the second run finds it held and returns at once. A session lock goes with its
connection, so a killed worker never leaves one behind. (Behind a pooler in transaction
mode, the workers must connect directly: ADR 0034.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import DatabaseError, connection

# Each kind of work has its own key space, so the same id never collides across kinds.
CYBERTIP_FILING = 2258  # 18 USC 2258A
DISCLOSURE_PACKAGE = 2703  # 18 USC 2703


@contextlib.contextmanager
def advisory_lock(namespace: int, key: int) -> Iterator[bool]:
    """Yields True when this process now holds ``(namespace, key)`` alone, False when
    another session holds it (the caller then does nothing)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            # A lost connection has released it already.
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])
