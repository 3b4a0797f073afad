"""Session limits and the second-factor gate."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.accounts.services import user_has_second_factor

AUTH_AT_KEY = "liaison_auth_at"

# Paths a signed-in user who has not passed the second factor may still reach: these
# prefixes, and these exact paths (the probes). Not "/healthz" as a prefix: that opened
# /healthz/celery, a staff page, to a password alone (security review, finding 7).
_SECOND_FACTOR_OPEN_PREFIXES = ("/accounts/", "/static/", "/webauthn/", "/api/")
_SECOND_FACTOR_OPEN_PATHS = frozenset({"/healthz", "/readyz"})


class SessionLimitsMiddleware:
    """End sessions older than the absolute limit (12 hours by default).

    The idle limit is the session cookie age, renewed on every request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(AUTH_AT_KEY)
            limit = settings.LIAISON_SESSION_ABSOLUTE_SECONDS
            if started is None or time.time() - started > limit:
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
                return HttpResponseRedirect(reverse("accounts:login"))
        return self.get_response(request)


class SecondFactorRequiredMiddleware:
    """A password alone opens nothing: enrol a second factor, or pass it, first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(_SECOND_FACTOR_OPEN_PREFIXES)
            and request.path not in _SECOND_FACTOR_OPEN_PATHS
        ):
            if user_has_second_factor(user):
                return HttpResponseRedirect(reverse("accounts:verify"))
            return HttpResponseRedirect(reverse("accounts:enrol"))
        return self.get_response(request)
