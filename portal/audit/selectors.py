"""Reading the access log. Every selector takes the user; the gate is ``access_log_gate``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from portal.accounts.roles import Capability, has_capability
from portal.audit.models import AccessEvent, ChainVerification

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
PAGE_SIZE = 50
CASE_HISTORY_LIMIT = 25


def access_log_gate(user: Any) -> None:
    """The one gate of the log: auditors and supervisors read it; everyone else gets the
    same 404 a missing page gives, so the log's existence tells them nothing."""
    if not has_capability(user, Capability.READ_AUDIT_LOG):
        raise Http404


@dataclass(frozen=True)
class EventFilters:
    """The auditor's search. Empty fields do not filter."""

    user: str = ""  # the actor's name as recorded at the time (username or task name)
    case_reference: str = ""
    action: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def as_query(self) -> dict[str, str]:
        """The filters as recorded in the auditor's own access event."""
        values = {
            "user": self.user,
            "case": self.case_reference,
            "action": self.action,
            "outcome": self.outcome,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in values.items() if v}


def access_events_search(*, user: Any, filters: EventFilters) -> QuerySet[AccessEvent]:
    """Events matching the filters, newest first. 404 unless the user may read the log."""
    access_log_gate(user)
    events = AccessEvent.objects.all()
    if filters.user:
        events = events.filter(actor_label=filters.user)
    if filters.case_reference:
        events = events.filter(case_reference=filters.case_reference)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.since:
        events = events.filter(at__gte=filters.since)
    if filters.until:
        events = events.filter(at__lt=filters.until)
    return events.order_by("-at", "-id")


def access_events_for_case(
    user: Any, case_reference: str, *, limit: int | None = None
) -> QuerySet[AccessEvent]:
    """Who touched this case, newest first: for the case page's access history.

    Empty (not an error) for users who may not read the log, so a case page can include the
    history for everyone and show it only to auditors and supervisors.
    """
    if not case_reference or not has_capability(user, Capability.READ_AUDIT_LOG):
        return AccessEvent.objects.none()
    events = AccessEvent.objects.filter(case_reference=case_reference).order_by("-at", "-id")
    return events[:limit] if limit is not None else events


# --- Keyset pagination: stable and index-bound however large the log grows ----------------
@dataclass(frozen=True)
class Cursor:
    """A position between two events in (at, id) order, as ``<epoch µs>.<id>``."""

    at_us: int
    id: int

    @classmethod
    def of(cls, event: AccessEvent) -> Cursor:
        return cls(at_us=(event.at - _EPOCH) // _MICROSECOND, id=event.pk)

    @classmethod
    def parse(cls, raw: str | None) -> Cursor | None:
        try:
            at_us, id_ = (int(part) for part in (raw or "").split(".", 1))
        except ValueError:
            return None
        if not (0 <= at_us < 10**17 and 0 < id_ < 2**63):  # year 5138; bigint
            return None
        return cls(at_us=at_us, id=id_)

    def __str__(self) -> str:
        return f"{self.at_us}.{self.id}"

    def at(self) -> datetime:
        return _EPOCH + self.at_us * _MICROSECOND


@dataclass
class EventPage:
    events: list[AccessEvent] = field(default_factory=list)
    older: Cursor | None = None  # pass as ?before= for the next (older) page
    newer: Cursor | None = None  # pass as ?after= for the previous (newer) page


def access_events_page(
    events: QuerySet[AccessEvent],
    *,
    before: str | None = None,
    after: str | None = None,
    size: int = PAGE_SIZE,
) -> EventPage:
    """One page of ``events`` (newest first) before or after a cursor."""
    after_cursor = Cursor.parse(after)
    before_cursor = Cursor.parse(before) if after_cursor is None else None
    if after_cursor is not None:
        at = after_cursor.at()
        rows = list(
            events.filter(Q(at__gt=at) | Q(at=at, id__gt=after_cursor.id)).order_by("at", "id")[
                : size + 1
            ]
        )
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        page = EventPage(events=rows)
        if rows:
            page.older = Cursor.of(rows[-1])
            page.newer = Cursor.of(rows[0]) if more_newer else None
        return page
    if before_cursor is not None:
        at = before_cursor.at()
        events = events.filter(Q(at__lt=at) | Q(at=at, id__lt=before_cursor.id))
    rows = list(events[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    page = EventPage(events=rows)
    if rows:
        page.older = Cursor.of(rows[-1]) if more_older else None
        page.newer = Cursor.of(rows[0]) if before_cursor is not None else None
    return page


def chain_verification_latest(*, user: Any) -> ChainVerification | None:
    """The last run of ``verify_audit_log``, for those who may read the log."""
    access_log_gate(user)
    return ChainVerification.objects.order_by("-at", "-pk").first()
