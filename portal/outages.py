"""Errors that mean a dependency is down, not that our code is wrong.

PostgreSQL restarting or failing over, Redis (cache, broker) restarting: the request's
transaction is rolled back, nothing was half-written, and the client should simply try
again. Both error answers (``portal.errors.server_error`` for pages,
``portal.api.exceptions.problem_exception_handler`` for the API) answer these with 503 and
``Retry-After`` instead of 500, as the soak (bench/soak.py) requires of a restart.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 5


def dependency_down(exc: BaseException | None) -> bool:
    """True for PostgreSQL or Redis not answering (connection refused, closed, timed out)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    from kombu.exceptions import OperationalError as BrokerDown
    from redis.exceptions import ConnectionError as RedisDown
    from redis.exceptions import TimeoutError as RedisSlow

    return isinstance(exc, RedisDown | RedisSlow | BrokerDown)
