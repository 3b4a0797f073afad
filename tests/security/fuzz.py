"""Schemathesis against ``/api/v1/schema/``, in-process, shared by the fuzzing tests.

The API runs as Django's WSGI application on the test database, inside the test's
transaction. ``fuzz`` drives one operation in one generation mode with a bounded number of
examples (derandomized, so a run is reproducible and its length known), checks every
answer against the OpenAPI document, and records ``(operation, status)`` pairs so a test
can prove the run reached past the front door.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Every call the fuzzers made in this process, for the figures the issue asks for.
CALLS: dict[str, int] = {}


@contextmanager
def in_process_api(settings_fixture: Any) -> Iterator[Any]:
    """The API as schemathesis' WSGI client sees it: host "localhost", and, like Django's
    test client, without closing the test's database connection when a request ends."""
    settings_fixture.ALLOWED_HOSTS = [*settings_fixture.ALLOWED_HOSTS, "localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(
    operation: Any,
    mode: Any,
    examples: int,
    *,
    headers: dict[str, str],
    seeded: list[str],
    seen: set[tuple[str, int]],
    inspect: Callable[[Any, Any], None] | None = None,
) -> None:
    """Run one operation in one generation mode, checking every answer.

    Half the generated references are replaced by a seeded one, so detail and action
    endpoints answer 200, 404 and 409 and not only "not found". ``inspect(case, response)``
    adds the persona's own assertion (what it must never see)."""

    @given(
        case=operation.as_strategy(generation_mode=mode),
        pick=st.one_of(st.none(), st.sampled_from(seeded)) if seeded else st.none(),
    )
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any, pick: str | None) -> None:
        if pick is not None and "reference" in (case.path_parameters or {}):
            case.path_parameters["reference"] = pick
        response = case.call(headers=headers)
        CALLS[operation.label] = CALLS.get(operation.label, 0) + 1
        seen.add((operation.label, response.status_code))
        case.validate_response(response, checks=CHECKS)
        if inspect is not None:
            inspect(case, response)

    call()
