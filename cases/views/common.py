"""What every case view shares: the capability check for staff pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from cases.policy import CaseCapability, may


def staff_required(capability: CaseCapability) -> Callable:
    """Pages of the staff UI answer 404 to anyone without ``capability`` (officers, staff
    without a case role): like a forbidden case, the page does not exist for them."""
    return staff_allowed(lambda user: may(user, capability))


def staff_allowed(allowed: Callable[[Any], bool]) -> Callable:
    """``staff_required`` for a policy question other than one capability (e.g.
    ``policy.may_intake``: may record a case of any type)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not allowed(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def upload_form_done(request: HttpRequest, url: str) -> HttpResponse:
    """Where an intake form goes once the case exists. The page's script
    (cases/upload.js) sends the form with fetch and says so in ``X-Upload-Form``; it gets
    204 and the address in ``X-Redirect-To``, because a redirect fetch followed would
    render the next page in the background and use up its one-time message. A plain form
    post gets the redirect."""
    if request.headers.get("X-Upload-Form") == "1":
        return HttpResponse(status=204, headers={"X-Redirect-To": url})
    return HttpResponseRedirect(url)
