"""Rate limits: per API token, and per client address for the public endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.throttling import SimpleRateThrottle

from portal.accounts.models import ApiToken

if TYPE_CHECKING:
    # Not at run time: DRF imports this module while rest_framework.views is half loaded.
    from rest_framework.request import Request
    from rest_framework.views import APIView


class TokenRateThrottle(SimpleRateThrottle):
    """Counts requests per token (not per user or address), so one runaway integration is
    slowed without touching the officer's other tokens. Rate: ``LIAISON_API_TOKEN_RATE``."""

    scope = "token"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class PublicRateThrottle(SimpleRateThrottle):
    """Requests without a token (schema, docs, verification) per client address."""

    scope = "public"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiToken):
            return None
        from portal.net import client_ip

        return self.cache_format % {"scope": self.scope, "ident": client_ip(request._request)}
