"""API errors are RFC 9457 problem details with field-level messages (issue 6)."""

from __future__ import annotations

import pytest
from django.http import Http404
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory

from portal.accounts.tokens import api_token_issue
from portal.api.exceptions import _field_errors
from portal.api.views import ApiView

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance"}


class TargetInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=["email", "phone"])
    value = serializers.CharField()


class SubmitInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["subpoena", "warrant"])
    targets = TargetInput(many=True)

    def validate(self, attrs):
        if attrs["kind"] == "warrant" and len(attrs["targets"]) > 1:
            raise serializers.ValidationError("One target per warrant.")
        return attrs


class ProbeView(ApiView):
    """A stand-in for the domain endpoints that come later: validates input, or 404s."""

    def post(self, request):
        SubmitInput(data=request.data).is_valid(raise_exception=True)
        return Response(status=201)

    def get(self, request):
        raise Http404


@pytest.fixture
def token(officer_a):
    return api_token_issue(user=officer_a.user, name="t", scopes=["read", "submit"]).plaintext


def call(method: str, token: str, data=None):
    factory = APIRequestFactory()
    request = getattr(factory, method)(
        "/api/v1/probe/", data, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    return ProbeView.as_view()(request).render()


def test_a_validation_error_lists_each_field_with_its_path(token):
    answer = call(
        "post",
        token,
        {"kind": "fax", "targets": [{"type": "email", "value": "a@x"}, {"type": "pager"}]},
    )

    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    body = answer.data
    assert set(body) >= PROBLEM_KEYS
    assert body["type"] == "urn:liaison:problem:validation_error"
    assert body["status"] == 400
    fields = {(e["field"], e["code"]) for e in body["errors"]}
    assert fields == {
        ("kind", "invalid_choice"),
        ("targets.1.type", "invalid_choice"),
        ("targets.1.value", "required"),
    }
    assert all(e["message"] for e in body["errors"])


def test_an_error_about_the_whole_input_has_a_null_field(token):
    answer = call(
        "post",
        token,
        {
            "kind": "warrant",
            "targets": [{"type": "email", "value": "a"}, {"type": "email", "value": "b"}],
        },
    )

    assert answer.data["errors"] == [
        {"field": None, "message": "One target per warrant.", "code": "invalid"}
    ]


def test_not_found_is_a_problem(token):
    answer = call("get", token)

    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.data["code"] == "not_found"
    assert answer.data["instance"] == "/api/v1/probe/"


def test_no_token_is_a_401_problem_not_a_login_redirect(db):
    answer = APIClient().get("/api/v1/me/")

    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    assert answer["WWW-Authenticate"] == 'Bearer realm="api"'
    body = answer.json()
    assert body["code"] == "not_authenticated"
    assert body["type"] == "urn:liaison:problem:not_authenticated"
    assert body["title"] and body["detail"]


def test_an_unsupported_method_is_a_problem(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    answer = client.delete("/api/v1/me/")

    assert answer.status_code == 405
    assert answer.json()["code"] == "method_not_allowed"


def test_field_errors_flatten_nested_dicts_and_lists():
    detail = {"a": {"b": ["bad"]}, "c": [{}, {"d": ["worse"]}], "non_field_errors": ["whole"]}

    assert _field_errors(detail) == [
        {"field": "a.b", "message": "bad", "code": "invalid"},
        {"field": "c.1.d", "message": "worse", "code": "invalid"},
        {"field": None, "message": "whole", "code": "invalid"},
    ]
