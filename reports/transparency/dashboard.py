"""The supervisors' operations dashboard: live figures of their own teams' cases.

Every figure is one SQL aggregate over the cases the user may see (``cases_visible_to``:
for a supervisor, every case of their teams), and each carries the queue link that lists
the cases behind it, which the queue gates again. Windows: deadlines of the last
``WEEKS`` weeks, response times of cases received in the last ``RESPONSE_DAYS`` days.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from cases.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    LegalProcess,
    Preservation,
    PreservationStatus,
    ProcessKind,
    TimelineEvent,
    TimelineKind,
)
from cases.rules import Clock
from cases.selectors import cases_visible_to
from cases.services.missed import MISSABLE_KINDS
from reports.transparency.dsa import Median
from reports.transparency.figures import kind_label
from reports.transparency.sql import no_jit

WEEKS = 8
RESPONSE_DAYS = 90
EXPIRING_DAYS = 14
EXPIRING_SHOWN = 20


def queue_url(**params: str) -> str:
    return f"{reverse('cases:queue')}?{urlencode({k: v for k, v in params.items() if v})}"


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


@dataclass
class Dashboard:
    now: datetime
    time_zone: str
    open_by_status: list[dict[str, Any]] = field(default_factory=list)
    open_total: int = 0
    deadlines_by_week: list[dict[str, Any]] = field(default_factory=list)
    overdue_open: int = 0
    response_by_kind: list[dict[str, Any]] = field(default_factory=list)
    emergency: dict[str, Any] = field(default_factory=dict)
    expiring: list[Preservation] = field(default_factory=list)
    expiring_counts: dict[str, int] = field(default_factory=dict)
    workload: list[dict[str, Any]] = field(default_factory=list)


def _first_transition_at(target: str | None = None) -> Subquery:
    events = TimelineEvent.objects.filter(case_id=OuterRef("case_id"), kind=TimelineKind.TRANSITION)
    if target:
        events = events.annotate(target=KT("params__target")).filter(target=target)
    return Subquery(
        events.order_by().values("case_id").annotate(first=Min("at")).values("first")[:1],
        output_field=DateTimeField(),
    )


def open_by_status(cases: QuerySet[Case]) -> list[dict[str, Any]]:
    counts = {
        r["status"]: r["n"]
        for r in cases.filter(status__in=OPEN_STATUSES)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    }
    return [
        {
            "status": status,
            "label": CaseStatus(status).label,
            "count": counts.get(status, 0),
            "url": queue_url(tab="all", status=status),
        }
        for status in OPEN_STATUSES
    ]


def deadlines_by_week(
    cases: QuerySet[Case], *, now: datetime, zone: zoneinfo.ZoneInfo
) -> list[dict[str, Any]]:
    """Per business-zone week of the due time: deadlines met (on time), missed (marked
    missed, or still open past due), and still to come."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday - timedelta(weeks=WEEKS - 1), datetime.min.time(), tzinfo=zone)
    end = datetime.combine(monday + timedelta(weeks=1), datetime.min.time(), tzinfo=zone)
    overdue = Q(status=DeadlineStatus.OPEN, due_at__lt=now)
    rows = (
        Deadline.objects.filter(
            case__in=cases, kind__in=MISSABLE_KINDS, due_at__gte=start, due_at__lt=end
        )
        .annotate(week=TruncWeek("due_at", tzinfo=zone))
        .values("week")
        .annotate(
            met=Count("id", filter=Q(status=DeadlineStatus.MET)),
            missed=Count("id", filter=Q(status=DeadlineStatus.MISSED) | overdue),
            still_open=Count("id", filter=Q(status=DeadlineStatus.OPEN, due_at__gte=now)),
        )
        .order_by()
    )
    found = {r["week"].date(): r for r in rows}
    out = []
    for k in range(WEEKS):
        week = monday - timedelta(weeks=WEEKS - 1 - k)
        r = found.get(week, {"met": 0, "missed": 0, "still_open": 0})
        out.append(
            {"week": week, "met": r["met"], "missed": r["missed"], "still_open": r["still_open"]}
        )
    return out


def response_by_kind(cases: QuerySet[Case], *, now: datetime) -> list[dict[str, Any]]:
    """Median hours from receipt to the first step taken on the case (its first status
    change) and to disclosure, per process kind, for cases received in the window."""
    rows = (
        LegalProcess.objects.filter(
            case__in=cases, received_at__gte=now - timedelta(days=RESPONSE_DAYS)
        )
        .annotate(
            first_at=_first_transition_at(),
            disclosed_at=F("case__transparency_outcome__disclosed_at"),
        )
        .values("kind")
        .annotate(
            n=Count("id"),
            first=Median(F("first_at") - F("received_at"), output_field=DurationField()),
            disclosure=Median(F("disclosed_at") - F("received_at"), output_field=DurationField()),
            disclosed=Count("id", filter=Q(disclosed_at__isnull=False)),
        )
        .order_by()
    )
    by_kind = {r["kind"]: r for r in rows}
    return [
        {
            "kind": k,
            "label": kind_label(k),
            "count": by_kind[k]["n"],
            "first_response_hours": _hours(by_kind[k]["first"]),
            "disclosure_hours": _hours(by_kind[k]["disclosure"]),
            "disclosed": by_kind[k]["disclosed"],
            "url": queue_url(tab="all", kind=k),
        }
        for k in ProcessKind.values
        if k in by_kind
    ]


def emergency_vs_sla(cases: QuerySet[Case], *, now: datetime) -> dict[str, Any]:
    """First decisions on emergency requests against the internal SLA (1 hour by
    default): how many on time, late, still open past the SLA, and the median time."""
    sla_hours = Clock.from_settings().slas["emergency_first_decision_hours"]
    late = Q(status=DeadlineStatus.MISSED) | Q(status=DeadlineStatus.MET, closed_at__gt=F("due_at"))
    figures = Deadline.objects.filter(
        case__in=cases,
        kind=DeadlineKind.FIRST_DECISION,
        case__emergency=True,
        created_at__gte=now - timedelta(days=RESPONSE_DAYS),
    ).aggregate(
        total=Count("id"),
        on_time=Count("id", filter=Q(status=DeadlineStatus.MET, closed_at__lte=F("due_at"))),
        late=Count("id", filter=late),
        overdue=Count("id", filter=Q(status=DeadlineStatus.OPEN, due_at__lt=now)),
        median=Median(
            F("closed_at") - F("process__received_at"),
            output_field=DurationField(),
            filter=Q(
                status__in=(DeadlineStatus.MET, DeadlineStatus.MISSED), closed_at__isnull=False
            ),
        ),
    )
    decided = figures["on_time"] + figures["late"]
    return {
        **figures,
        "sla_hours": sla_hours,
        "median_hours": _hours(figures["median"]),
        "on_time_pct": round(100 * figures["on_time"] / decided, 1) if decided else None,
        "url": queue_url(tab="emergency"),
    }


def preservations_expiring(
    cases: QuerySet[Case], *, now: datetime
) -> tuple[list[Preservation], dict[str, int]]:
    in_force = Preservation.objects.filter(
        case__in=cases,
        status__in=(PreservationStatus.ACTIVE, PreservationStatus.EXTENDED),
        expires_at__gte=now,
        expires_at__lt=now + timedelta(days=EXPIRING_DAYS),
    )
    counts = in_force.aggregate(
        within_48h=Count("id", filter=Q(expires_at__lt=now + timedelta(hours=48))),
        within_7d=Count("id", filter=Q(expires_at__lt=now + timedelta(days=7))),
        within_14d=Count("id"),
    )
    shown = list(
        in_force.select_related("case", "process").order_by("expires_at", "pk")[:EXPIRING_SHOWN]
    )
    return shown, counts


def workload(cases: QuerySet[Case], *, now: datetime) -> list[dict[str, Any]]:
    """Open cases per assignee (and unassigned), with how many are overdue."""
    rows: Any = (
        cases.filter(status__in=OPEN_STATUSES)
        .values("assignee_id", "assignee__username", "assignee__first_name", "assignee__last_name")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(next_due_at__lt=now)),
            emergency=Count("id", filter=Q(emergency=True)),
        )
        .order_by("-open", "assignee__username")
    )
    out = []
    for r in rows:
        name = " ".join(p for p in (r["assignee__first_name"], r["assignee__last_name"]) if p)
        out.append(
            {
                "assignee_id": r["assignee_id"],
                "name": name or r["assignee__username"] or "",
                "username": r["assignee__username"] or "",
                "open": r["open"],
                "overdue": r["overdue"],
                "emergency": r["emergency"],
                "url": (
                    queue_url(tab="unassigned")
                    if r["assignee_id"] is None
                    else queue_url(assignee=str(r["assignee_id"]))
                ),
            }
        )
    return out


def dashboard_for(user: Any, *, now: datetime | None = None) -> Dashboard:
    """Every dashboard figure for ``user``'s visible cases."""
    with no_jit():
        return _dashboard_for(user, now=now)


def _dashboard_for(user: Any, *, now: datetime | None) -> Dashboard:
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(settings.LIAISON_BUSINESS_TIME_ZONE)
    cases = cases_visible_to(user)
    board = Dashboard(now=now, time_zone=settings.LIAISON_BUSINESS_TIME_ZONE)
    board.open_by_status = open_by_status(cases)
    board.open_total = sum(r["count"] for r in board.open_by_status)
    board.deadlines_by_week = deadlines_by_week(cases, now=now, zone=zone)
    board.overdue_open = cases.filter(status__in=OPEN_STATUSES, next_due_at__lt=now).count()
    board.response_by_kind = response_by_kind(cases, now=now)
    board.emergency = emergency_vs_sla(cases, now=now)
    board.expiring, board.expiring_counts = preservations_expiring(cases, now=now)
    board.workload = workload(cases, now=now)
    return board
