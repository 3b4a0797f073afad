"""What every case view shares: the role check for staff pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from portal.accounts.roles import Capability, has_capability


def staff_required(capability: Capability) -> Callable:
    """Pages of the staff UI answer 404 to anyone without ``capability`` (officers, staff
    without a case role): like a forbidden case, the page does not exist for them."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_capability(request.user, capability):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
