"""The bell's unread count and the staff warning that the scheduler is late, on every page.

Both are callables, so the query runs only when a template actually shows them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest

from portal.accounts.roles import is_staff_member
from portal.notifications import selectors


def _once(compute: Callable[[], object]) -> Callable[[], object]:
    """A callable the template may resolve several times (``{{ x.late }}``, ``{{ x.lag }}``)
    that queries once per page: the template engine calls it at each resolve."""
    return functools.cache(compute)


def notifications(request: HttpRequest) -> dict[str, Callable[[], object]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_verified", bool)():
        return {}
    context: dict[str, Callable[[], object]] = {
        "notifications_unread": _once(lambda: selectors.notifications_unread_count(user))
    }
    if is_staff_member(user):
        context["scheduler_status"] = _once(selectors.scheduler_status)
    return context
