"""The auditor's pages: search the log, export it as CSV. Read-only for everyone."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.audit.access import audited
from portal.audit.forms import EventSearchForm
from portal.audit.models import AccessEvent, Action
from portal.audit.selectors import (
    EventFilters,
    access_events_page,
    access_events_search,
    access_log_gate,
    chain_verification_latest,
)
from portal.audit.services import access_event_record, access_list_record
from portal.spreadsheets import csv_row

OBJECT_TYPE = "audit.accessevent"
CSV_COLUMNS = (
    "seq", "id", "at", "actor_id", "actor_label", "actor_roles", "actor_agency", "ip",
    "user_agent", "request_id", "action", "object_type", "object_id", "case_reference",
    "outcome", "details", "prev_hash", "hash",
)  # fmt: skip


def _filters(form: EventSearchForm) -> EventFilters | None:
    """The form's filters; an unbound form means no filters, an invalid one no search."""
    if not form.is_bound:
        return EventFilters()
    return form.filters() if form.is_valid() else None


@audited(Action.SEARCH, object_type=OBJECT_TYPE)
@require_GET
def events_view(request: HttpRequest) -> HttpResponse:
    """Search the log. Reading the log is itself logged: one event naming the page."""
    access_log_gate(request.user)
    params = request.GET.copy()
    for key in ("before", "after"):
        params.pop(key, None)
    form = EventSearchForm(params or None)
    filters = _filters(form)
    page = None
    if filters is not None:
        events = access_events_search(user=request.user, filters=filters)
        page = access_events_page(
            events, before=request.GET.get("before"), after=request.GET.get("after")
        )
        access_list_record(
            request=request,
            action=Action.SEARCH,
            object_type=OBJECT_TYPE,
            objects=page.events,
            query=filters.as_query() or None,
        )
    return render(
        request,
        "audit/events.html",
        {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "actions": Action.choices,
            "retention_years": settings.LIAISON_AUDIT_RETENTION_YEARS,
            "verification": chain_verification_latest(user=request.user),
        },
    )


class _Echo:
    """csv.writer writes into this; each row comes straight back out to be streamed."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(events: Iterable[AccessEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for e in events:
        yield writer.writerow(
            csv_row(
                (
                    e.seq, e.pk, e.at.astimezone(UTC).isoformat(), e.actor_id,
                    e.actor_label, e.actor_roles, e.actor_agency, e.ip, e.user_agent,
                    e.request_id, e.action, e.object_type, e.object_id, e.case_reference,
                    e.outcome, json.dumps(e.details, sort_keys=True), e.prev_hash, e.hash,
                )
            )
        )  # fmt: skip


@audited(Action.EXPORT, object_type=OBJECT_TYPE)
@require_GET
def events_export_view(request: HttpRequest) -> HttpResponseBase:
    """Stream every event matching the search as CSV, oldest first, times in UTC.

    Streamed from a server-side cursor, so a million rows never sit in memory. The export
    itself is recorded, with its filters, before the first byte leaves.
    """
    access_log_gate(request.user)
    form = EventSearchForm(request.GET or None)
    filters = _filters(form)
    if filters is None:
        return redirect(reverse("audit:events") + "?" + request.GET.urlencode())
    events = access_events_search(user=request.user, filters=filters).order_by("at", "id")
    access_event_record(
        action=Action.EXPORT,
        request=request,
        object_type=OBJECT_TYPE,
        details={"format": "csv", "query": filters.as_query()},
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response = StreamingHttpResponse(
        _csv_lines(events.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
    return response
