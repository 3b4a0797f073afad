"""Schemathesis against ``/api/v1/schema/`` (issue 6): no 5xx, and no answer that the
OpenAPI document does not describe (status code, content type, headers, body schema).

The API runs in-process (Django's WSGI application) on the test database, with a real
token of officer A and seeded requests of agencies A and B: generated references are
replaced by a seeded one half the time, so the detail and action endpoints answer 200, 404
and 409 and not only "not found". Both generation modes run: data that fits the schema and
data that does not. Examples per operation and mode are bounded so the whole run stays
well under two minutes on this machine.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cases.models import ProcessKind
from portal.api.throttles import TokenRateThrottle
from tests.cases.api.conftest import token_for
from tests.cases.factories import intake

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 25}


@pytest.fixture
def seeded(officer_a, officer_b):
    """References the fuzzer may hit: A's subpoena, A's preservation, B's subpoena."""
    long_ago = timezone.now() - timedelta(days=3)
    return [
        intake(officer_a.user, received_at=long_ago).reference,
        intake(officer_a.user, kind=ProcessKind.US_PRESERVATION).reference,
        intake(officer_b.user).reference,
    ]


def test_the_api_answers_every_generated_call_within_its_schema(
    officer_a, seeded, settings_override, monkeypatch
):
    monkeypatch.setattr(TokenRateThrottle, "rate", "100000/min", raising=False)
    headers = {"Authorization": f"Bearer {token_for(officer_a)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    covered = {f"{op.method.upper()} {op.path}" for op in operations}
    assert {
        "GET /api/v1/requests/",
        "POST /api/v1/requests/",
        "GET /api/v1/requests/{reference}/",
        "POST /api/v1/requests/{reference}/extend-preservation/",
        "POST /api/v1/requests/{reference}/withdraw/",
    } <= covered
    statuses: set[tuple[str, int]] = set()

    for operation in operations:
        for mode, examples in EXAMPLES.items():
            fuzz(operation, mode, examples, headers=headers, seeded=seeded, seen=statuses)

    # The run reached past the front door: real answers, not only refusals.
    assert ("GET /api/v1/requests/", 200) in statuses
    assert ("GET /api/v1/requests/{reference}/", 200) in statuses
    assert ("GET /api/v1/requests/{reference}/", 404) in statuses
    assert ("POST /api/v1/requests/", 400) in statuses


def fuzz(operation, mode, examples: int, *, headers, seeded, seen) -> None:
    """Run one operation in one generation mode, checking every answer."""

    @given(
        case=operation.as_strategy(generation_mode=mode),
        pick=st.one_of(st.none(), st.sampled_from(seeded)),
    )
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case, pick):
        if pick is not None and "reference" in (case.path_parameters or {}):
            case.path_parameters["reference"] = pick
        response = case.call(headers=headers)
        seen.add((operation.label, response.status_code))
        case.validate_response(response, checks=CHECKS)

    call()


@pytest.fixture
def settings_override(settings, db):
    """Schemathesis' WSGI client calls the application as host "localhost", and, like
    Django's test client, the application must not close the test's database connection
    (inside the test's transaction) when a request ends."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield settings
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
