"""Failed API authentication: limited per client address, and logged in aggregate.

Security review, finding 6: an invalid token fails authentication before DRF's throttles
run, and each failure wrote an access event, so anyone could flood the log (and make the
portal hash tokens and query for them) at line rate. Now, per client address and in the
shared cache (``CACHE_URL``; per-process memory would make the limit per worker):

- after ``LIAISON_API_AUTH_FAILURES`` failures within ``LIAISON_API_AUTH_FAILURE_WINDOW``
  seconds, requests that present a token are answered 429 before any token lookup;
- identical failures (same address, reason and token prefix) are logged the 1st, 10th,
  100th ... time within the window, each event saying how many there were so far, so the
  log grows with the logarithm of a flood, not with it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from portal.net import client_ip

_FAILURES = "liaison:api-auth:failures:"
_REPEATS = "liaison:api-auth:repeats:"


def _ident(request: HttpRequest) -> str:
    return hashlib.sha256((client_ip(request) or "-").encode()).hexdigest()[:32]


def _window() -> int:
    return int(settings.LIAISON_API_AUTH_FAILURE_WINDOW)


def auth_failures_blocked(request: HttpRequest) -> bool:
    """Has this address failed too often lately? (One cache read; no database.)"""
    count = cache.get(_FAILURES + _ident(request))
    return count is not None and int(count) >= settings.LIAISON_API_AUTH_FAILURES


def _incr(key: str) -> int:
    cache.add(key, 0, timeout=_window())
    try:
        return int(cache.incr(key))
    except ValueError:  # expired in between
        cache.add(key, 1, timeout=_window())
        return 1


def auth_failure_count(request: HttpRequest, *, reason: str, prefix: str) -> int | None:
    """Count a failure from this address; return how many identical ones this window, if
    this one should be logged (1, 10, 100, ...), else None."""
    ident = _ident(request)
    _incr(_FAILURES + ident)
    digest = hashlib.sha256(f"{ident}:{reason}:{prefix}".encode()).hexdigest()[:32]
    repeats = _incr(_REPEATS + digest)
    return repeats if _power_of_ten(repeats) else None


def _power_of_ten(n: int) -> bool:
    while n >= 10 and n % 10 == 0:
        n //= 10
    return n == 1
