"""Rate limits: per API token, and per client address for the public endpoints."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from portal.accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Counts requests per token (not per user or address), so one runaway integration is
    slowed without touching the officer's other tokens. Rate: ``LIAISON_API_TOKEN_RATE``."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class PublicRateThrottle(SimpleRateThrottle):
    """Requests without a token (schema, docs, verification) per client address."""

    scope = "public"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return None
        from portal.net import client_ip

        return self.cache_format % {"scope": self.scope, "ident": client_ip(request._request)}
