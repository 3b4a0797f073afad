"""What the access log may store of text that came from outside.

Every field of an access event that can carry request input (a search, a filter, a user
agent, a label) passes through here, in ``access_event_record``, the one writer of the log.
PostgreSQL's ``text`` and ``jsonb`` cannot hold U+0000, so a NUL byte in a query string
would otherwise fail the INSERT and, with it, the request (a 500 that any user can cause).
The NUL is replaced, not dropped, so the log still shows that one was sent.
"""

from __future__ import annotations

from typing import Any

NUL = "\x00"
NUL_SHOWN_AS = "\ufffd"  # U+FFFD REPLACEMENT CHARACTER


def log_text(value: object, limit: int | None = None) -> str:
    """``value`` as text the database can store, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    if NUL in text:
        text = text.replace(NUL, NUL_SHOWN_AS)
    return text if limit is None else text[:limit]


def log_details(value: Any) -> Any:
    """A JSON-able value with every string in it (keys too) made storable."""
    if isinstance(value, str):
        return log_text(value)
    if isinstance(value, dict):
        return {log_text(k): log_details(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [log_details(v) for v in value]
    return value
