"""Pages: the user's notifications (mark read, mark all read) and the worker health view."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.accounts.roles import Capability, has_capability
from portal.audit.access import audit_exempt, audited
from portal.audit.models import Action
from portal.audit.services import access_list_record
from portal.http import AuthenticatedHttpRequest
from portal.notifications import selectors, services

PAGE_SIZE = 25
OBJECT_TYPE = "notifications.notification"


@audited(Action.LIST, object_type=OBJECT_TYPE)
@require_GET
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own notifications, newest first; their text may name cases, so it is logged."""
    paginator = Paginator(selectors.notifications_for_user(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # logged and shown: fetch once
    access_list_record(
        object_type=OBJECT_TYPE, objects=page.object_list, request=request, page=page.number
    )
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread": selectors.notifications_unread_count(request.user)},
    )


def _back(request: HttpRequest) -> HttpResponse:
    """Return to the page the form was on (the list, at the same page) when it is ours."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@audited(Action.UPDATE, object_type=OBJECT_TYPE)
@require_POST
def notification_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_get_for_user(request.user, pk)
    services.notification_mark_read(notification=notification, user=request.user)
    return _back(request)


@audited(Action.UPDATE, object_type=OBJECT_TYPE)
@require_POST
def notification_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notification(s) marked as read.") % {"count": count})
    return _back(request)


@audit_exempt("operational counters and times; no case data")
@require_GET
def celery_health(request: AuthenticatedHttpRequest) -> HttpResponse:
    """For operators: when beat last ran, the queue lag, and the delivery backlog.

    Administrators only; anyone else gets the same 404 as a missing page. ``?format=json``
    answers 503 while the scheduler is late, for a probe run with an admin session.
    """
    if not has_capability(request.user, Capability.ADMINISTER):
        raise Http404
    now = timezone.now()
    status = selectors.scheduler_status(now)
    backlog = selectors.delivery_backlog(now)
    beats = list(selectors.heartbeats())
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": "late" if status.late else "ok",
                "checked_at": now.isoformat(),
                "heartbeats": [
                    {
                        "name": beat.name,
                        "last_seen": beat.last_seen.isoformat(),
                        "age_seconds": round((now - beat.last_seen).total_seconds(), 1),
                        "queue_lag_seconds": (
                            round(beat.lag.total_seconds(), 3) if beat.lag is not None else None
                        ),
                    }
                    for beat in beats
                ],
                "deliveries": {
                    "pending": backlog.pending,
                    "overdue": backlog.overdue,
                    "failed_last_day": backlog.failed_last_day,
                    "oldest_overdue": (
                        backlog.oldest_overdue.isoformat() if backlog.oldest_overdue else None
                    ),
                },
            },
            status=503 if status.late else 200,
        )
    return render(
        request,
        "notifications/health.html",
        {"status": status, "backlog": backlog, "heartbeats": beats, "now": now},
    )
