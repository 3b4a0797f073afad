"""Platform middleware: request ids, the permissions policy and per-user time zones."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal.http import RequestWithId
from portal.net import client_ip_is_trusted_proxy

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id that ties log lines and access events together.

    A proxy we trust may pass its own id in ``X-Request-ID``; anything else gets a fresh one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: RequestWithId) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        if incoming and _REQUEST_ID.match(incoming) and client_ip_is_trusted_proxy(request):
            request.request_id = incoming
        else:
            request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class PermissionsPolicyMiddleware:
    """Send ``Permissions-Policy`` (``LIAISON_PERMISSIONS_POLICY``) on every answer.

    Django has no setting for it. The portal uses no camera, microphone, location, payment
    or device API, so an injected script or a framed page gets none of them either; passkeys
    (``publickey-credentials-*``) stay allowed to this origin only.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allow)})"
            for feature, allow in settings.LIAISON_PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class TimezoneMiddleware:
    """Show times in the viewer's zone, and read typed times in it
    (``portal.accounts.zones``: their own choice, else their team's, else the default)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from portal.accounts.zones import default_zone_name, user_zone

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user_zone(user))
        else:
            timezone.activate(zoneinfo.ZoneInfo(default_zone_name()))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
