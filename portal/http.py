"""Request types for annotations: what our middleware guarantees about a request.

django-stubs types ``HttpRequest.user`` as ``User | AnonymousUser``, which is right for a
bare request but not for the views behind ``LoginRequiredMiddleware`` (every view not
marked ``login_not_required``): there the user is always signed in. Annotating those views
with :class:`AuthenticatedHttpRequest` says so once, instead of an ``isinstance`` or a cast
in every view (the pattern the django-stubs README recommends).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from portal.accounts.models import User


class RequestWithId(HttpRequest):
    """Any request once ``portal.middleware.RequestIdMiddleware`` has given it its id."""

    request_id: str


class AuthenticatedHttpRequest(RequestWithId):
    """A request to a view behind ``LoginRequiredMiddleware``: the user is signed in."""

    user: User
