"""What the request endpoints share: problem answers in the schema, the 409 and 422
exceptions, and the example deadline of the documentation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, status

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def problem_response(status_code: int, description: str) -> dict[Any, OpenApiResponse]:
    return {
        (status_code, "application/problem+json"): OpenApiResponse(
            response=PROBLEM, description=description
        )
    }


class Conflict(exceptions.APIException):
    """The request is not in a state that allows the action (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "invalid_state"
    default_detail = "The request is not in a state that allows this."


class IdempotencyKeyReused(exceptions.APIException):
    """The key names an earlier, different submission (422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This idempotency key was already used for a different request."


def messages_of(error: DjangoValidationError) -> str:
    return " ".join(error.messages)


DEADLINE_EXAMPLE = {
    "kind": "response",
    "due_at": "2026-03-17T04:59:59Z",
    "rule": "us.subpoena",
    "citation": "18 USC 2703(c)(2)",
    "explanation": "No return date on the subpoena: internal SLA of 14 days.",
    "status": "open",
}
