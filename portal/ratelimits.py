"""Per-address limits on the public pages nobody signs in to reach (issue 18, item 3).

The officer application (``/officer/apply/``) and the enrolment link (``/officer/enrol/…``)
are open to the internet: the first sends a mail and creates a pending officer, the second
is a guess at a token. Both are counted per client address (``portal.net.client_ip``, so
only a trusted proxy's ``X-Forwarded-For`` is believed) in the shared cache by
django-ratelimit, and answered 429 with ``Retry-After`` past the limit. The sign-in has its
own counters (``portal.accounts.lockout``), the API DRF's throttles (``portal.api``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django_ratelimit.core import get_usage

from portal.net import client_ip


def client_address(group: str, request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def address_limited(
    group: str, *, rate_setting: str, methods: tuple[str, ...] = ("POST",)
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Count each ``methods`` request per address under ``group``; past the rate named by
    ``rate_setting`` (e.g. ``"10/h"``), answer 429 without running the view."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            usage = get_usage(
                request,
                group=group,
                key=client_address,
                rate=str(getattr(settings, rate_setting)),
                method=list(methods),
                increment=True,
            )
            if usage is not None and usage["should_limit"]:
                return too_many_requests(request, retry_after=max(int(usage["time_left"]), 1))
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    body = loader.render_to_string(
        "errors/429.html", {"status": 429, "retry_after": retry_after}, request=request
    )
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response
