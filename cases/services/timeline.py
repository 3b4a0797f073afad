"""The timeline and the reference counter: small helpers every service uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from cases.models import Case, CaseType, TimelineEvent
from cases.rules import Clock


def timeline_event_add(
    *,
    case: Case,
    kind: str,
    message: str,
    params: dict[str, Any] | None = None,
    actor: Any = None,
    public: bool = False,
) -> TimelineEvent:
    """Append one event; ``message`` is a gettext_noop message id with ``%(name)s`` slots."""
    return TimelineEvent.objects.create(
        case=case,
        at=timezone.now(),
        actor=actor,
        kind=kind,
        public=public,
        message=message,
        params=params or {},
    )


def case_reference_next(*, case_type: str, at: datetime | None = None) -> str:
    """The next reference, e.g. ``LR-2026-000123``; race-free, restarting each year.

    The upsert holds the counter row's lock until the caller's transaction ends, so two
    intakes serialise on this one row and never share a number. The year is the business
    zone's year of ``at`` (default now).
    """
    prefix = "CS" if case_type == CaseType.CHILD_SAFETY else "LR"
    year = Clock.from_settings().local_date(at or timezone.now()).year
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_referencecounter (prefix, year, value) VALUES (%s, %s, 1) "
            "ON CONFLICT (prefix, year) DO UPDATE "
            "SET value = cases_referencecounter.value + 1 RETURNING value",
            [prefix, year],
        )
        (value,) = cursor.fetchone()
    return f"{prefix}-{year}-{value:06d}"
