"""OpenAPI additions: the problem+json error responses every operation can give.

Declaring them once here (a drf-spectacular post-processing hook) keeps each view's
``extend_schema`` about its own success and validation answers, and the document honest for
schema checkers such as Schemathesis: 401, 403, 404 and 429 are real answers of every
operation that could give them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.request import Request

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error, as RFC 9457 problem details (application/problem+json).",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {
            "type": "string",
            "description": "URI naming the kind of problem: urn:liaison:problem:<code>.",
            "example": "urn:liaison:problem:validation_error",
        },
        "title": {"type": "string", "description": "Short summary of the kind of problem."},
        "status": {"type": "integer", "description": "The HTTP status code.", "example": 400},
        "detail": {"type": "string", "description": "What went wrong with this request."},
        "instance": {"type": "string", "description": "The path of the request."},
        "code": {
            "type": "string",
            "description": "Machine-readable problem code, e.g. validation_error, "
            "not_authenticated, expired, revoked, insufficient_scope, not_found, throttled.",
        },
        "errors": {
            "type": "array",
            "description": "Field-level messages (validation errors only).",
            "items": {
                "type": "object",
                "required": ["field", "message", "code"],
                "properties": {
                    "field": {
                        "type": "string",
                        "nullable": True,
                        "description": "Path of the field, e.g. targets.0.value; null for "
                        "a message about the whole input.",
                    },
                    "message": {"type": "string", "description": "What to fix."},
                    "code": {"type": "string", "description": "e.g. required, invalid."},
                },
            },
        },
        "retry_after": {
            "type": "integer",
            "description": "Seconds to wait before retrying (429 only).",
        },
    },
}

_PROBLEM_CONTENT = {
    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
}
_DESCRIPTIONS = {
    "400": "Invalid input; `errors` lists each field's problem.",
    "401": "No token, or the token is invalid, expired, revoked or its account suspended.",
    "403": "The token lacks the scope this operation needs.",
    "404": "Not found, or not visible to the token's agency.",
    "406": "The Accept header names no type this endpoint produces.",
    "415": "The request's Content-Type is not accepted here.",
    "429": "Rate limit reached; retry after `Retry-After` seconds.",
}
_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": 'Bearer realm="api"',
        }
    },
    "429": {
        "Retry-After": {
            "schema": {"type": "integer"},
            "description": "Seconds until the next request is accepted.",
        }
    },
}


def problem_responses(
    result: dict[str, Any], generator: SchemaGenerator, request: Request | None, public: bool
) -> dict[str, Any]:
    """Add the Problem schema and the error answers to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = ["406", "429"]
            if operation.get("security") and {} not in operation["security"]:
                codes += ["401", "403"]
            if method in {"post", "put", "patch"}:
                codes += ["400", "415"]
            if "{" in path:
                codes.append("404")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                answer: dict[str, Any] = {
                    "description": _DESCRIPTIONS[code],
                    "content": _PROBLEM_CONTENT,
                }
                if code in _HEADERS:
                    answer["headers"] = _HEADERS[code]
                responses.setdefault(code, answer)
    return result


# What a client can do next with the reference a submission answers (or a list shows): the
# OpenAPI links of those answers. They tell a client author where the reference goes, and
# let schemathesis chain real calls (tests/security/test_api_stateful.py).
_REQUEST_STEPS = {
    "ReadRequest": "requests_retrieve",
    "ExtendPreservation": "requests_extend_preservation",
    "Withdraw": "requests_withdraw",
    "ReadMessages": "requests_messages_list",
    "PostMessage": "requests_messages_create",
    "ListProductions": "requests_productions_list",
}
_LINK_SOURCES = {
    ("requests_submit", "201"): "$response.body#/reference",
    ("requests_list", "200"): "$response.body#/results/0/reference",
}


def request_links(
    result: dict[str, Any], generator: SchemaGenerator, request: Request | None, public: bool
) -> dict[str, Any]:
    """Add the links from a request's reference to the operations that take it."""
    present = {
        operation.get("operationId")
        for operations in result.get("paths", {}).values()
        for operation in operations.values()
        if isinstance(operation, dict)
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for code, answer in operation.get("responses", {}).items():
                source = _LINK_SOURCES.get((str(operation.get("operationId")), str(code)))
                if source is None:
                    continue
                answer["links"] = {
                    name: {
                        "operationId": target,
                        "parameters": {"reference": source},
                        "description": f"The request's reference, as `{target}` takes it.",
                    }
                    for name, target in _REQUEST_STEPS.items()
                    if target in present
                }
    return result
