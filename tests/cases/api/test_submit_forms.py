"""Clearer refusals of the submit endpoint (issue 9, item 14): a JSON body is told that
multipart is required; ``data_categories`` takes a JSON array like ``targets``."""

from __future__ import annotations

import json

from cases.models import LegalProcess
from tests.cases.api.conftest import LIST, submit


def test_a_json_body_is_told_to_send_multipart(api_a):
    answer = api_a.post(
        LIST,
        json.dumps({"kind": "us_subpoena", "jurisdiction": "US-IL"}),
        content_type="application/json",
    )

    assert answer.status_code == 415
    assert answer["Content-Type"] == "application/problem+json"
    assert "multipart/form-data" in answer.json()["detail"]


def test_data_categories_as_a_json_array(api_a, media_root):
    answer = submit(api_a, data_categories=json.dumps(["subscriber", "content"]))

    assert answer.status_code == 201, answer.content
    assert sorted(LegalProcess.objects.get().data_categories) == ["content", "subscriber"]


def test_data_categories_as_repeated_fields_still_work(api_a, media_root):
    answer = submit(api_a, data_categories=["subscriber", "login_ip"])

    assert answer.status_code == 201, answer.content
    assert sorted(LegalProcess.objects.get().data_categories) == ["login_ip", "subscriber"]


def test_a_json_array_with_an_unknown_category_is_a_field_error(api_a, media_root):
    answer = submit(api_a, data_categories=json.dumps(["subscriber", "dna"]))

    assert answer.status_code == 400
    assert any(e["field"].startswith("data_categories") for e in answer.json()["errors"])
