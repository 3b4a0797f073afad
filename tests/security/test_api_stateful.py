"""Stateful schemathesis (issue 18, item 1): chained calls from a real submission.

The schema's OpenAPI links (``portal.api.schema.request_links``) say where a submission's
reference goes next: read, extend the preservation, withdraw, the messages, the
productions. Schemathesis follows them: each scenario files a request as officer A (the
submission's body is replaced by a valid one, since a generated PDF is never a PDF), then
calls the linked operations with generated input on that real reference. Every answer must
fit the OpenAPI document, none may be a 5xx, and none may carry agency B's request.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from cases.models import TargetKind
from portal.api.throttles import TokenRateThrottle
from tests.cases.api.conftest import token_for
from tests.cases.documents import pdf_bytes
from tests.cases.factories import intake
from tests.security.fuzz import CHECKS, in_process_api

pytestmark = pytest.mark.django_db

SUBMIT = "POST /api/v1/requests/"
B_TARGET = "agency-b-stateful@example.com"


def valid_submission() -> dict:
    return {
        "kind": "us_subpoena",
        "jurisdiction": "US-IL",
        "issuing_authority": "Circuit Court of Example County",
        "agency_case_number": "SPD-26-0999",
        "targets": json.dumps([{"type": "email", "value": "stateful.subject@example.com"}]),
        "data_categories": ["subscriber"],
        "legal_process": pdf_bytes("Stateful fuzzing subpoena"),
    }


def test_linked_calls_on_a_real_submission_stay_within_the_schema(
    officer_a, officer_b, settings, monkeypatch
):
    monkeypatch.setattr(TokenRateThrottle, "rate", "100000/min", raising=False)
    headers = {"Authorization": f"Bearer {token_for(officer_a)}"}
    other = intake(officer_b.user, targets=[(TargetKind.EMAIL, B_TARGET)]).reference
    seen: list[tuple[str, int]] = []

    with in_process_api(settings) as schema:

        class Officer(schema.as_state_machine()):  # type: ignore[misc]
            def before_call(self, case):
                if case.operation.label == SUBMIT:
                    case.body = valid_submission()
                    case.media_type = "multipart/form-data"

            def get_call_kwargs(self, case):
                return {"headers": headers}

            def validate_response(self, response, case, **kwargs):
                seen.append((case.operation.label, response.status_code))
                case.validate_response(response, checks=CHECKS)
                if response.status_code < 300:
                    assert other not in response.text, case.formatted_path
                    assert B_TARGET not in response.text.lower(), case.formatted_path

        Officer.run(
            settings=hypothesis_settings(
                max_examples=12,
                stateful_step_count=6,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
        )

    labels = {label for label, _ in seen}
    assert (SUBMIT, 201) in seen, seen
    # The links were followed on real references, not only the submission itself.
    linked = {"GET /api/v1/requests/{reference}/", "POST /api/v1/requests/{reference}/withdraw/"}
    assert linked & labels
    assert any(code == 200 and "{reference}" in label for label, code in seen), seen
