"""Reads of the cases domain, every one taking the user; the ONE gate for cases.

``cases_visible_to(user, action)`` turns the access rule (``cases.policy.case_visibility``:
who sees which case for which action) into a queryset; every other read starts from it
and ``case_get_for_user`` is how a view fetches one case. A case that does not exist and
one the user may not see both raise ``CaseNotFound`` (a 404), so a reference reveals
nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from cases.errors import CaseNotFound
from cases.models import (
    OPEN_STATUSES,
    Case,
    Deadline,
    DeadlineStatus,
    Target,
    TargetKind,
    TimelineEvent,
)
from cases.policy import CaseAction, assignable_roles, case_visibility
from cases.targets import target_guess_kind, target_normalise
from portal.accounts.models import User
from portal.audit.denials import denial_record

P = ParamSpec("P")
R = TypeVar("R")


class QueueTab(StrEnum):
    ALL = "all"
    MINE = "mine"
    UNASSIGNED = "unassigned"
    EMERGENCY = "emergency"
    DUE_SOON = "due_48h"
    OVERDUE = "overdue"


DUE_SOON = timedelta(hours=48)


def cases_visible_to(user: Any, action: CaseAction = CaseAction.VIEW) -> QuerySet[Case]:
    """Every case ``user`` may act on with ``action``; the one access rule for cases."""
    condition = case_visibility(user, action)
    if condition is None:
        return Case.objects.none()
    return Case.objects.filter(condition)


def case_get_for_user(
    user: Any,
    reference: str,
    *,
    action: CaseAction = CaseAction.VIEW,
) -> Case:
    """The case with ``reference`` if ``user`` may act on it, else ``CaseNotFound`` (404).

    A refusal is written to the access log (someone probing references shows up there);
    the caller logs the successful read with what it shows.
    """
    case = (
        cases_visible_to(user, action)
        .select_related("team", "assignee", "agency", "submitting_officer__user")
        .filter(reference=(reference or "").strip().upper())
        .first()
    )
    if case is None:
        _denied(user, action, reference=reference)
        raise CaseNotFound
    return case


def case_check(
    user: Any,
    case_id: int,
    action: CaseAction,
    *,
    lock: bool = False,
) -> Case:
    """Re-check access inside a service's transaction (the row may have moved teams)."""
    queryset = cases_visible_to(user, action).filter(pk=case_id)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    case = queryset.first()
    if case is None:
        raise CaseNotFound(denial={"user": user, "action": action, "case_id": case_id})
    return case


def denials_logged(service: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service so a ``CaseNotFound`` from its gate check is written to the access
    log after its transaction has rolled back (inside it, the entry would vanish too)."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except CaseNotFound as exc:
            if exc.denial and not getattr(exc, "logged", False):
                denial = dict(exc.denial)
                _denied(denial.pop("user"), denial.pop("action"), **denial)
                exc.logged = True  # type: ignore[attr-defined]
            raise

    return wrapper


def _denied(user: Any, action: str, **details: Any) -> None:
    denial_record(
        action=f"case_{action}",
        actor=user,
        object_type="cases.case",
        details=details,
    )


# --- queue ----------------------------------------------------------------------------------


def case_queue(
    user: Any,
    tab: QueueTab | str = QueueTab.ALL,
    *,
    now: datetime | None = None,
    team_id: int | None = None,
    assignee_id: int | None = None,
) -> QuerySet[Case]:
    """Open cases for one queue tab, nearest deadline first (no deadline last).

    Each tab repeats the open-status condition, so PostgreSQL can walk the matching partial
    index (``cases_case_queue*``) in ``next_due_at`` order and stop at the page size.
    ``assignee_id`` (a supervisor following a responder's workload from the dashboard)
    walks the same ``(assignee, next_due_at)`` index as "mine".
    """
    now = now or timezone.now()
    queryset = cases_visible_to(user).filter(status__in=OPEN_STATUSES)
    if team_id is not None:
        queryset = queryset.filter(team_id=team_id)
    if assignee_id is not None:
        queryset = queryset.filter(assignee_id=assignee_id)
    tab = QueueTab(tab)
    if tab == QueueTab.MINE:
        queryset = queryset.filter(assignee=user)
    elif tab == QueueTab.UNASSIGNED:
        queryset = queryset.filter(assignee__isnull=True)
    elif tab == QueueTab.EMERGENCY:
        queryset = queryset.filter(emergency=True)
    elif tab == QueueTab.DUE_SOON:
        queryset = queryset.filter(next_due_at__gte=now, next_due_at__lt=now + DUE_SOON)
    elif tab == QueueTab.OVERDUE:
        queryset = queryset.filter(next_due_at__lt=now)
    return queryset.select_related("team", "assignee", "agency").order_by("next_due_at", "pk")


QUEUE_COUNT_CAP = 1000


def case_queue_counts(
    user: Any, *, now: datetime | None = None, cap: int = QUEUE_COUNT_CAP
) -> dict[str, int]:
    """How many cases each tab holds, for the tab badges, counted up to ``cap``.

    A badge reading "1000+" is as useful as an exact 48,213, and the capped count stops
    after ``cap`` index entries instead of visiting every open case of the team (measured:
    200-400 ms for 50,000 open cases). Show ``cap`` as "cap+".
    """
    now = now or timezone.now()
    return {
        tab.value: case_queue(user, tab, now=now).order_by().values("pk")[:cap].count()
        for tab in QueueTab
    }


# --- search ---------------------------------------------------------------------------------


SEARCH_MATCH_LIMIT = 500  # per kind of match; a search is a lookup, not a report
TARGET_FRAGMENT_MIN = 3  # shorter fragments have no trigram to look up
# Where a phone typed without "+" is read (intake reads it in the process's country).
SEARCH_PHONE_REGION = "US"
_NATIONAL_PHONE = re.compile(r"^[\d\s().\-]{7,25}$")


@dataclass(frozen=True)
class SearchFound:
    """What a search found, and whether a kind of match stopped at ``SEARCH_MATCH_LIMIT``
    (then more cases may match than are listed, and the page says so)."""

    cases: QuerySet[Case]
    capped: bool


def case_search(
    user: Any,
    query: str = "",
    *,
    status: str = "",
    agency_id: int | None = None,
    open_only: bool = False,
) -> QuerySet[Case]:
    """Visible cases matching a free-text query and filters (``case_search_found``)."""
    return case_search_found(
        user, query, status=status, agency_id=agency_id, open_only=open_only
    ).cases


def case_search_found(
    user: Any,
    query: str = "",
    *,
    status: str = "",
    agency_id: int | None = None,
    open_only: bool = False,
) -> SearchFound:
    """Visible cases matching a free-text query and filters, nearest deadline first.

    Staff search by whatever the officer quoted. A case matches by reference substring
    (trigram index), by the full-text document of reference, agency name, targets, the
    agency's case number and the issuer's docket (GIN on ``search_vector``), by naming a
    target exactly as intake normalises it (B-tree on ``Target.normalised``; a phone typed
    nationally, "(217) 555-0161", is read in ``SEARCH_PHONE_REGION``), or by part of a
    target ("newcomer" of an e-mail; trigram GIN on ``Target.normalised``, 3 characters at
    least). Each kind of match is its own index-bound query, gated and capped at
    ``SEARCH_MATCH_LIMIT`` rows; an OR of them in one query makes PostgreSQL scan the whole
    team instead (measured: 250 ms at 1M cases).
    """
    queryset = cases_visible_to(user)
    if status:
        queryset = queryset.filter(status=status)
    if open_only:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    if agency_id is not None:
        queryset = queryset.filter(agency_id=agency_id)
    text = (query or "").strip()[:200]
    capped = False
    if text:
        branches = [
            queryset.filter(
                search_vector=SearchQuery(text, config="simple", search_type="websearch")
            )
        ]
        candidates = _reference_candidates(text)
        if candidates:
            branches.append(queryset.filter(reference__in=candidates))
        elif len(text) >= 4 and _REFERENCE_TEXT.match(text):
            # Only letters, digits and dashes can be part of a reference (an e-mail cannot).
            branches.append(queryset.filter(reference__contains=text.upper()))
        exact = _normalised_guess(text)
        if exact:
            branches.append(
                queryset.filter(pk__in=Target.objects.filter(normalised=exact).values("case_id"))
            )
        # A whole e-mail address names its target (the exact branch): another mailbox that
        # merely ends in it is someone else, and its trigrams ("example.com") are in most
        # targets, the costliest scan of the search (bench/queue.py).
        whole_address = bool(exact) and _WHOLE_EMAIL.match(text) is not None
        if len(text) >= TARGET_FRAGMENT_MIN and not candidates and not whole_address:
            # UPPER(normalised) LIKE '%…%': the expression the trigram index is built on
            # (a plain LIKE scans every target: 0.5 s at 3M). Capped inside, so a common
            # fragment ("example") costs one bounded index scan. A reference has its own
            # exact branch and a low-entropy fragment, so it skips this one.
            # Read first (one index scan either way) to know whether the cap was reached.
            matching = list(
                Target.objects.filter(normalised__icontains=text).values_list("case_id", flat=True)[
                    :SEARCH_MATCH_LIMIT
                ]
            )
            capped = len(matching) == SEARCH_MATCH_LIMIT
            branches.append(queryset.filter(pk__in=matching))
        found: set[int] = set()
        for branch in branches:
            ids = list(branch.order_by().values_list("pk", flat=True)[:SEARCH_MATCH_LIMIT])
            capped = capped or len(ids) == SEARCH_MATCH_LIMIT
            found.update(ids)
        queryset = Case.objects.filter(pk__in=sorted(found))
    return SearchFound(
        cases=queryset.select_related("team", "assignee", "agency").order_by("next_due_at", "pk"),
        capped=capped,
    )


_REFERENCE_TEXT = re.compile(r"^[A-Za-z0-9-]+$")
_WHOLE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FULL_REFERENCE = re.compile(r"^(LR|CS)-(\d{4})-(\d{1,9})$")
_YEAR_NUMBER = re.compile(r"^(\d{4})-(\d{1,9})$")
_NUMBER = re.compile(r"^\d{1,9}$")
REFERENCE_YEARS_BACK = 10


def _reference_candidates(text: str) -> list[str]:
    """Exact references a query can only mean: ``LR-2026-000123``, ``2026-123`` or ``123``
    (this and the previous years). References are low-entropy strings (every one shares
    ``LR-20``), so a trigram scan reads most of the index; exact candidates are B-tree
    probes on the unique index."""
    query = text.strip().upper()
    full = _FULL_REFERENCE.match(query)
    if full:
        prefix, year, number = full.groups()
        return [f"{prefix}-{year}-{int(number):06d}"]
    year_number = _YEAR_NUMBER.match(query)
    if year_number:
        year, number = year_number.groups()
        return [f"{prefix}-{year}-{int(number):06d}" for prefix in ("LR", "CS")]
    if _NUMBER.match(query):
        this_year = timezone.now().year
        return [
            f"{prefix}-{year}-{int(query):06d}"
            for prefix in ("LR", "CS")
            for year in range(this_year - REFERENCE_YEARS_BACK, this_year + 2)
        ]
    return []


def _normalised_guess(text: str) -> str:
    kind = target_guess_kind(text)
    region = ""
    digits = sum(ch.isdigit() for ch in text)
    if kind is None and digits >= 7 and _NATIONAL_PHONE.match(text.strip()):
        kind, region = TargetKind.PHONE, SEARCH_PHONE_REGION
    if kind is None:
        return text.strip().lower()
    try:
        return target_normalise(kind, text, default_region=region)
    except ValidationError:  # a search query need not be a valid identifier
        return text.strip().lower()


def target_search(user: Any, query: str, *, limit: int = 50) -> tuple[str, list[Target]]:
    """Targets in visible cases: exact normalised match first, else a substring match.

    Returns ``("exact" | "substring" | "", targets)``. The exact lookup is a btree probe;
    the substring one uses the trigram index and needs at least 3 characters.
    """
    text = (query or "").strip()
    if not text:
        return "", []
    visible = cases_visible_to(user).values("pk")
    base = Target.objects.filter(case_id__in=visible).select_related("case")
    candidates = {_normalised_guess(text), text}
    exact = list(base.filter(normalised__in=candidates).order_by("-case_id")[:limit])
    if exact:
        return "exact", exact
    if len(text) < 3:
        return "", []
    found = list(base.filter(normalised__icontains=text).order_by("-case_id")[:limit])
    return ("substring", found) if found else ("", [])


def cases_also_requesting(
    user: Any, case: Case, *, limit: int = 20, normalised: list[str] | None = None
) -> list[dict[str, Any]]:
    """Other visible cases naming one of this case's targets ("also requested by").

    One row per (other case, shared identifier), newest case first. ``normalised``: the
    case's identifiers when the caller has its targets loaded already (the case page).
    """
    if normalised is None:
        normalised = list(case.targets.values_list("normalised", flat=True).distinct())
    if not normalised:
        return []
    visible = cases_visible_to(user).exclude(pk=case.pk).values("pk")
    rows = (
        Target.objects.filter(normalised__in=normalised, case_id__in=visible)
        .select_related("case", "case__agency")
        .order_by("-case_id", "normalised")
    )
    result: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for target in rows[: limit * 3]:
        key = (target.case_id, target.normalised)
        if key in seen:
            continue
        seen.add(key)
        result.append({"case": target.case, "target": target})
        if len(result) >= limit:
            break
    return result


# --- one case's parts -----------------------------------------------------------------------


def case_deadlines(case: Case, *, open_only: bool = False) -> QuerySet[Deadline]:
    """Deadlines of a case the caller already fetched through the gate."""
    queryset = case.deadlines.select_related("process", "overridden_by")
    if open_only:
        queryset = queryset.filter(status=DeadlineStatus.OPEN)
    return queryset.order_by("due_at", "pk")


def case_timeline(case: Case, *, public_only: bool = False) -> QuerySet[TimelineEvent]:
    """The timeline of a gated case; officers get ``public_only=True``."""
    queryset = case.timeline.select_related("actor")
    if public_only:
        queryset = queryset.filter(public=True)
    return queryset.order_by("at", "pk")


def assignable_users(case: Case) -> QuerySet:
    """Members of the case's team who could work it (the assignee picker; the rule is
    ``policy.assignable_roles``, and ``case_assign`` re-checks it through the gate)."""
    return (
        User.objects.filter(
            teams=case.team_id,
            is_active=True,
            groups__name__in=sorted(assignable_roles(case.case_type)),
        )
        .distinct()
        .order_by("username")
    )
