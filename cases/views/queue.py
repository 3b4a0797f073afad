"""The queue: open cases of the user's teams, nearest deadline first, in tabs.

No ``COUNT(*)``: with a million cases an exact count costs more than the page itself, so
pages say "previous / next" and the view fetches one row more than it shows to know
whether a next page exists. Every tab is one index range scan (``cases_case_queue*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cases.forms import QueueFilterForm
from cases.models import Case, LegalProcess
from cases.policy import CaseCapability, may_intake
from cases.selectors import (
    SEARCH_MATCH_LIMIT,
    QueueTab,
    SearchFound,
    case_queue,
    case_search_found,
)
from cases.views.common import staff_required
from portal.accounts.models import Agency, Team, User
from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_list_record
from portal.http import AuthenticatedHttpRequest

PAGE_SIZE = 50
MAX_PAGE = 1000  # deep offsets are slow and nobody reads page 1,001 of a queue; search

TAB_LABELS: dict[QueueTab, Any] = {
    QueueTab.MINE: _("Mine"),
    QueueTab.UNASSIGNED: _("Unassigned"),
    QueueTab.EMERGENCY: _("Emergency"),
    QueueTab.DUE_SOON: _("Due in 48 h"),
    QueueTab.OVERDUE: _("Overdue"),
    QueueTab.ALL: _("All"),
}


@dataclass
class Page:
    items: list[Case]
    number: int
    previous_url: str
    next_url: str

    @property
    def first(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1

    @property
    def last(self) -> int:
        return (self.number - 1) * PAGE_SIZE + len(self.items)


def _page_number(raw: str | None) -> int:
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def _cases(user: Any, tab: QueueTab, form: QueueFilterForm, now: Any) -> SearchFound:
    """The tab's cases narrowed by the filters. Searching under "All" also finds closed
    cases (a reference someone asks about is often a closed one); other tabs stay open."""
    form.is_valid()  # an invalid filter is dropped (and shown); the valid ones still apply
    data = getattr(form, "cleaned_data", {})
    query = (data.get("q") or "").strip()
    status = data.get("status") or ""
    agency = data.get("agency")
    team = data.get("team")
    assignee = data.get("assignee")
    capped = False
    if tab == QueueTab.ALL and (query or status):
        found = case_search_found(
            user, query, status=status, agency_id=agency.pk if agency else None
        )
        queryset, capped = found.cases, found.capped
        if team is not None:
            queryset = queryset.filter(team_id=team.pk)
        if assignee is not None:
            queryset = queryset.filter(assignee_id=assignee.pk)
    else:
        queryset = case_queue(
            user,
            tab,
            now=now,
            team_id=team.pk if team else None,
            assignee_id=assignee.pk if assignee else None,
        )
        if query or status or agency:
            # The same search condition as the "All" tab, intersected with this tab's rows.
            found = case_search_found(
                user, query, status=status, agency_id=agency.pk if agency else None
            )
            queryset &= found.cases
            capped = found.capped
    kind = data.get("kind")
    if kind:
        queryset = queryset.filter(
            Exists(LegalProcess.objects.filter(case_id=OuterRef("pk"), kind=kind))
        )
    return SearchFound(cases=queryset, capped=capped)


@require_GET
@audited(Action.LIST, object_type="cases.case")
@staff_required(CaseCapability.WORK_CASES)
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The work list. One access event names the cases shown (and the search, if any)."""
    try:
        tab = QueueTab(request.GET.get("tab") or QueueTab.ALL)
    except ValueError:
        tab = QueueTab.ALL
    user = request.user
    now = timezone.now()
    teams = Team.objects.filter(members=user).order_by("name")
    form = QueueFilterForm(
        request.GET or None,
        teams=teams,
        agencies=Agency.objects.order_by("name"),
        # whoever works the same teams: the dashboard's workload rows link here
        assignees=User.objects.filter(teams__in=teams, is_active=True)
        .distinct()
        .order_by("username"),
    )
    number = _page_number(request.GET.get("page"))
    offset = (number - 1) * PAGE_SIZE
    found = _cases(user, tab, form, now)
    rows = list(found.cases[offset : offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    items = rows[:PAGE_SIZE]

    # A parsed query string holds no empty value lists; the stubs allow them, so say str.
    params = {k: v for k, v in request.GET.items() if k != "page" and isinstance(v, str) and v}
    base = reverse("cases:queue")

    def page_url(n: int) -> str:
        return f"{base}?{urlencode({**params, 'page': str(n)} if n > 1 else params)}"

    page = Page(
        items=items,
        number=number,
        previous_url=page_url(number - 1) if number > 1 else "",
        next_url=page_url(number + 1) if has_next and number < MAX_PAGE else "",
    )
    filters = {k: v for k, v in params.items() if k != "tab"}
    access_list_record(
        request=request,
        action=Action.SEARCH if filters.get("q") else Action.LIST,
        object_type="cases.case",
        objects=items,
        page=number,
        query={"tab": tab.value, **filters},
    )
    tabs = [
        {
            "label": label,
            "url": f"{base}?{urlencode({'tab': key.value, **filters})}",
            "active": key == tab,
        }
        for key, label in TAB_LABELS.items()
    ]
    return render(
        request,
        "cases/queue.html",
        {
            "tab": tab.value,
            "tab_label": TAB_LABELS[tab],
            "tabs": tabs,
            "form": form,
            "filtered": bool(filters),
            "capped": found.capped,
            "search_limit": SEARCH_MATCH_LIMIT,
            "page": page,
            "now": now,
            "can_intake": may_intake(user),
        },
    )
