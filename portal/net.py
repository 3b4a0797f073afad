"""Client address resolution that only believes X-Forwarded-For from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse


@lru_cache(maxsize=1)
def _trusted_networks(
    cidrs: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    networks = _trusted_networks(tuple(settings.LIAISON_TRUSTED_PROXIES))
    return any(ip in net for net in networks)


def client_ip_is_trusted_proxy(request: HttpRequest) -> bool:
    """True when the direct peer is one of ``LIAISON_TRUSTED_PROXIES``."""
    return _is_trusted(request.META.get("REMOTE_ADDR", ""))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: walk X-Forwarded-For right to left past trusted proxies.

    The right-most address not belonging to a trusted proxy is the first one we can believe;
    anything to its left was written by the client and may be forged.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not _is_trusted(remote):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _is_trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote
    return remote


class ForwardedProtoFromProxiesMiddleware:
    """Believe ``X-Forwarded-Proto`` only from ``LIAISON_TRUSTED_PROXIES`` (security review,
    finding 7).

    Django's ``SECURE_PROXY_SSL_HEADER`` trusts the header from anyone; a client that reaches
    gunicorn directly (it binds every interface in a container) could claim HTTPS and get
    secure-only behaviour over plain HTTP. Runs first, so ``request.is_secure()`` never sees
    a forged header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_X_FORWARDED_PROTO" in request.META and not client_ip_is_trusted_proxy(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)
