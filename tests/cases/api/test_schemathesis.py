"""Schemathesis against ``/api/v1/schema/`` (issue 6): no 5xx, and no answer that the
OpenAPI document does not describe (status code, content type, headers, body schema).

The API runs in-process (Django's WSGI application) on the test database, with a real
token of officer A and seeded requests of agencies A and B: generated references are
replaced by a seeded one half the time, so the detail and action endpoints answer 200, 404
and 409 and not only "not found". Both generation modes run: data that fits the schema and
data that does not. No successful answer carries agency B's request (issue 18). Examples
per operation and mode are bounded so the whole run stays well under two minutes on this
machine. The other personas (read-only officer, match credential, staff, suspended
agency) are ``tests/security/test_api_personas.py``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from schemathesis import GenerationMode

from cases.models import ProcessKind, TargetKind
from portal.api.throttles import TokenRateThrottle
from tests.cases.api.conftest import token_for
from tests.cases.factories import intake
from tests.security.fuzz import fuzz, in_process_api, operations

EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 25}
B_TARGET = "agency-b-only@example.com"


@pytest.fixture
def seeded(officer_a, officer_b):
    """References the fuzzer may hit: A's subpoena, A's preservation, B's subpoena."""
    long_ago = timezone.now() - timedelta(days=3)
    return [
        intake(officer_a.user, received_at=long_ago).reference,
        intake(officer_a.user, kind=ProcessKind.US_PRESERVATION).reference,
        intake(officer_b.user, targets=[(TargetKind.EMAIL, B_TARGET)]).reference,
    ]


def test_the_api_answers_every_generated_call_within_its_schema(
    officer_a, seeded, settings, monkeypatch, db
):
    monkeypatch.setattr(TokenRateThrottle, "rate", "100000/min", raising=False)
    headers = {"Authorization": f"Bearer {token_for(officer_a)}"}

    def nothing_of_b(case, response) -> None:
        if response.status_code < 300:
            assert seeded[2] not in response.text, (case.formatted_path, response.text[:300])
            assert B_TARGET not in response.text.lower()

    with in_process_api(settings) as schema:
        covered = {op.label for op in operations(schema)}
        assert {
            "GET /api/v1/requests/",
            "POST /api/v1/requests/",
            "GET /api/v1/requests/{reference}/",
            "POST /api/v1/requests/{reference}/extend-preservation/",
            "POST /api/v1/requests/{reference}/withdraw/",
        } <= covered
        statuses: set[tuple[str, int]] = set()
        for operation in operations(schema):
            for mode, examples in EXAMPLES.items():
                fuzz(
                    operation,
                    mode,
                    examples,
                    headers=headers,
                    seeded=seeded,
                    seen=statuses,
                    inspect=nothing_of_b,
                )

    # The run reached past the front door: real answers, not only refusals.
    assert ("GET /api/v1/requests/", 200) in statuses
    assert ("GET /api/v1/requests/{reference}/", 200) in statuses
    assert ("GET /api/v1/requests/{reference}/", 404) in statuses
    assert ("POST /api/v1/requests/", 400) in statuses
