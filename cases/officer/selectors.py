"""Reads for officers: their agency's requests and what an officer may see of one.

Everything starts from the one gate, ``cases.selectors.cases_visible_to`` /
``case_get_for_user`` (an officer sees the requests of their own agency, nothing else).
This module only shapes what the officer portal and the API show: the public timeline, never
internal notes, staff names or team routing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from cases.holds import IN_FORCE, hold_can_extend, hold_extensions_allowed
from cases.models import (
    Case,
    CaseStatus,
    CaseType,
    DataCategory,
    Deadline,
    LegalProcess,
    Preservation,
    ProcessKind,
    Target,
    TimelineEvent,
)
from cases.policy import officer_sees_deadline
from cases.selectors import case_deadlines, case_timeline, cases_visible_to

# What an officer may file: every kind of process except the provider's own duties.
OFFICER_KINDS: tuple[tuple[str, Any], ...] = tuple(
    (value, label) for value, label in ProcessKind.choices if value != ProcessKind.CYBERTIPLINE
)
# Holds that still bind the provider.


def request_rows(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate cases with what a list row shows of their first process, newest first.

    Only the columns a row shows, and correlated subqueries on the process table's case
    index: one query for the whole page, no per-row lookups. ``kind``, ``jurisdiction``
    and ``agency_case_number`` are then plain attributes of each case.
    """
    first = LegalProcess.objects.filter(case=OuterRef("pk")).order_by("received_at", "pk")
    jurisdiction = Coalesce(NullIf("subdivision", Value("")), "country")
    shown = ("reference", "status", "emergency", "created_at", "status_changed_at", "next_due_at")
    return (
        queryset.only(*shown)
        .annotate(
            kind=Subquery(first.values("kind")[:1]),
            jurisdiction=Subquery(first.annotate(j=jurisdiction).values("j")[:1]),
            agency_case_number=Subquery(first.values("agency_case_number")[:1]),
        )
        .order_by("-created_at", "-pk")
    )


def kind_label(kind: str | None) -> str:
    """A process kind's name, for rows that carry only its code (``request_rows``)."""
    return str(ProcessKind(kind).label) if kind in ProcessKind.values else ""


def agency_requests(user: Any, *, status: str = "") -> QuerySet[Case]:
    """The requests the officer's agency filed (all channels), newest first.

    ``status`` narrows to one ``CaseStatus``. Uses the ``cases_case_agency`` index
    (agency, created_at) walked backwards.
    """
    queryset = cases_visible_to(user).filter(case_type=CaseType.REQUEST)
    if status:
        queryset = queryset.filter(status=status)
    return request_rows(queryset)


@dataclass(frozen=True)
class PreservationView:
    """A hold as the officer sees it, with whether a renewed request can extend it."""

    preservation: Preservation

    @property
    def extensions_allowed(self) -> int:
        return hold_extensions_allowed(self.preservation)

    @property
    def can_extend(self) -> bool:
        return hold_can_extend(self.preservation)


@dataclass(frozen=True)
class RequestView:
    """One request as its agency sees it (the case came through ``case_get_for_user``)."""

    case: Case
    process: LegalProcess | None
    targets: list[Target]
    deadlines: list[Deadline]
    preservations: list[PreservationView]
    timeline: list[TimelineEvent]

    @property
    def data_requested(self) -> list[str]:
        """The process's data categories in words."""
        codes = self.process.data_categories if self.process else []
        return [str(DataCategory(code).label) for code in codes if code in DataCategory.values]

    @property
    def can_withdraw(self) -> bool:
        from cases.workflow import transition_get

        return transition_get(self.case.status, CaseStatus.WITHDRAWN) is not None


def request_view(case: Case) -> RequestView:
    """Everything the officer pages and the API show of a gated case, in five queries."""
    processes = list(case.processes.order_by("received_at", "pk"))
    process = processes[0] if processes else None
    holds = [
        PreservationView(p)
        for p in case.preservations.select_related("process").order_by("starts_at", "pk")
    ]
    return RequestView(
        case=case,
        process=process,
        targets=list(process.targets.order_by("pk")) if process else [],
        deadlines=[
            d
            for d in case_deadlines(case).select_related(None).select_related("process")
            if officer_sees_deadline(d)
        ],
        preservations=holds,
        timeline=list(case_timeline(case, public_only=True).select_related(None)),
    )


def preservation_of_request(case: Case, preservation_id: int | None) -> Preservation | None:
    """The hold to extend: the one named, else the only one in force; None if unclear."""
    holds = case.preservations.select_related("process")
    if preservation_id is not None:
        return holds.filter(pk=preservation_id).first()
    in_force = list(holds.filter(status__in=IN_FORCE)[:2])
    return in_force[0] if len(in_force) == 1 else None
