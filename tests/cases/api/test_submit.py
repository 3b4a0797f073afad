"""``POST /api/v1/requests/``: filing legal process through the API (issue 6).

What an integration relies on: a 201 with the reference and the computed deadlines, every
field it sent stored, field-level problems it can show its user, and a refused upload that
leaves nothing behind (no file, no row).
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from cases.models import Case, LegalProcess, SubmissionKey, Target
from portal.accounts.tokens import api_token_revoke
from portal.audit.models import AccessEvent
from tests.cases.api.conftest import LIST, bearer, submit, token_for
from tests.cases.conftest import stored_files
from tests.cases.documents import pdf_bytes, png_bytes, upload

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance"}


def problem(answer, status: int, code: str) -> dict:
    """The body of a problem+json answer, after checking its shape."""
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:liaison:problem:{code}"
    return body


def field_errors(answer) -> dict[str | None, str]:
    body = problem(answer, 400, "validation_error")
    return {e["field"]: e["message"] for e in body["errors"]}


def nothing_stored(media_root) -> None:
    assert Case.objects.count() == 0
    assert LegalProcess.objects.count() == 0
    assert Target.objects.count() == 0
    assert SubmissionKey.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_request_is_filed_with_its_reference_and_deadlines(api_a, officer_a, media_root):
    answer = submit(api_a)

    assert answer.status_code == 201, answer.content
    body = answer.json()
    case = Case.objects.get()
    assert body["reference"] == case.reference and body["reference"].startswith("LR-")
    assert body["status"] == "received" and body["emergency"] is False
    assert body["submitted_at"].endswith("Z")
    assert answer["Location"] == f"/api/v1/requests/{case.reference}/"
    [deadline] = body["deadlines"]
    assert deadline["kind"] == "response"
    assert deadline["rule"] == "us.subpoena"
    assert deadline["citation"] == "18 USC 2703(c)(2)"
    assert deadline["due_at"].endswith("Z")
    assert "Idempotent-Replayed" not in answer


def test_every_field_sent_is_stored_for_the_officers_agency(api_a, officer_a, media_root):
    submit(
        api_a,
        kind="us_2703d_order",
        jurisdiction="us",
        authority_reference="1:26-mc-00042",
        targets=json.dumps(
            [
                {"type": "email", "value": "Suspect@Example.com"},
                {"type": "ip", "value": "192.0.2.7"},
            ]
        ),
        data_categories=["login_ip", "non_content"],
        return_date="2026-12-30",
        ndo_expires_on="2027-06-30",
    )

    case = Case.objects.get()
    process = case.processes.get()
    assert case.agency == officer_a.agency and case.submitting_officer == officer_a
    assert case.received_via == "api"
    assert (process.kind, process.country, process.subdivision) == ("us_2703d_order", "US", "")
    assert process.issuing_authority == "Circuit Court of Example County"
    assert process.authority_reference == "1:26-mc-00042"
    assert process.agency_case_number == "SPD-26-0412"
    assert process.data_categories == ["login_ip", "non_content"]
    assert (str(process.date_from), str(process.date_to)) == ("2026-01-01", "2026-02-28")
    assert str(process.return_date) == "2026-12-30"
    assert process.ndo is True and str(process.ndo_expires_on) == "2027-06-30"
    assert sorted(case.targets.values_list("normalised", flat=True)) == [
        "192.0.2.7",
        "suspect@example.com",
    ]
    assert len(process.document_sha256) == 64
    assert stored_files(media_root)[0].read_bytes() == pdf_bytes()
    assert AccessEvent.objects.filter(action="intake", case_reference=case.reference).exists()


def test_the_issuing_authority_defaults_to_the_agency(api_a, officer_a):
    submit(api_a, issuing_authority=None)

    assert LegalProcess.objects.get().issuing_authority == officer_a.agency.name


def test_an_emergency_request_needs_a_justification_and_no_document(api_a):
    refused = submit(api_a, kind="us_emergency_request", emergency="true", legal_process=None)
    assert "emergency_justification" in field_errors(refused)

    answer = submit(
        api_a,
        kind="us_emergency_request",
        emergency="true",
        emergency_justification="A post names a school and a time.",
        legal_process=None,
    )

    assert answer.status_code == 201
    body = answer.json()
    assert body["emergency"] is True
    assert {d["kind"] for d in body["deadlines"]} >= {"first_decision"}


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"jurisdiction": "US-XX"}, "jurisdiction", "ISO 3166-2"),
        ({"jurisdiction": "XX"}, "jurisdiction", "ISO 3166-1"),
        ({"jurisdiction": "DE"}, "jurisdiction", "cannot come from DE"),
        ({"jurisdiction": "U$"}, "jurisdiction", "ISO 3166-1 code"),
        ({"kind": "cybertipline"}, "kind", "not a valid choice"),
        ({"targets": "not json"}, "targets", "JSON"),
        ({"targets": "[]"}, "targets", "at least 1"),
        ({"targets": '[{"type": "email", "value": "nobody"}]'}, "targets", "Target 1"),
        ({"targets": '[{"type": "pager", "value": "1"}]'}, "targets.0.type", "valid choice"),
        ({"data_categories": ["everything"]}, "data_categories.0", "valid choice"),
        ({"date_from": "2026-03-01", "date_to": "2026-01-01"}, "date_to", "before its start"),
        ({"legal_process": None}, "legal_process", "Attach the legal process"),
    ],
)
def test_field_problems_name_the_field(api_a, media_root, overrides, field, text):
    errors = field_errors(submit(api_a, **overrides))

    assert field in errors, errors
    assert text.lower() in errors[field].lower()
    nothing_stored(media_root)


@pytest.mark.parametrize(
    ("document", "text"),
    [
        (upload("process.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
         "This file is a web page (HTML), not a PDF. Only PDF documents"),
        (upload("process.pdf", b"PK\x03\x04" + bytes(26) + b"word/document.xml"),
         "This file is a Word document (DOCX), not a PDF"),
        (upload("process.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
         "Only PDF documents"),
        (upload("empty.pdf", b"", "application/pdf"), "empty"),
        (upload("truncated.pdf", pdf_bytes()[:300], "application/pdf"), "damaged"),
        (upload("no-pages.pdf", pdf_bytes().replace(b"/Count 1", b"/Count 0"), "application/pdf"),
         "no pages"),
    ],
    ids=["html-named-pdf", "docx-named-pdf", "svg", "empty", "truncated-pdf", "pdf-without-pages"],
)  # fmt: skip
def test_a_refused_upload_is_a_clear_400_and_stores_nothing(api_a, media_root, document, text):
    answer = submit(api_a, key="upload-1", legal_process=document)

    errors = field_errors(answer)
    assert list(errors) == ["legal_process"]
    assert text.lower() in errors["legal_process"].lower()
    nothing_stored(media_root)


def test_a_file_over_the_size_limit_is_refused_and_stores_nothing(api_a, media_root, settings):
    settings.LIAISON_UPLOAD_MAX_BYTES = len(pdf_bytes()) - 1

    errors = field_errors(submit(api_a))

    assert "larger than the limit" in errors["legal_process"]
    nothing_stored(media_root)


def test_a_scanned_image_is_accepted(api_a):
    answer = submit(api_a, legal_process=upload("scan.png", png_bytes(), "image/png"))

    assert answer.status_code == 201
    assert LegalProcess.objects.get().document_content_type == "image/png"


def test_a_json_body_is_refused_the_endpoint_takes_multipart(api_a):
    answer = api_a.post(LIST, {"kind": "us_subpoena"}, format="json")

    problem(answer, 415, "unsupported_media_type")


# --- who may file ---------------------------------------------------------------------------


def test_a_read_only_token_may_not_file(officer_a, media_root):
    answer = submit(bearer(token_for(officer_a, ("read",))))

    problem(answer, 403, "insufficient_scope")
    nothing_stored(media_root)


def test_a_revoked_token_may_not_file(officer_a, media_root):
    from portal.accounts.models import ApiToken

    plaintext = token_for(officer_a)
    api_token_revoke(token=ApiToken.objects.get(user=officer_a.user))

    answer = submit(bearer(plaintext))

    body = problem(answer, 401, "revoked")
    assert answer["WWW-Authenticate"] == 'Bearer realm="api"'
    assert body["detail"]
    nothing_stored(media_root)


def test_an_anonymous_caller_may_not_file(media_root, db):
    problem(submit(bearer(None)), 401, "not_authenticated")
    nothing_stored(media_root)


def test_officer_b_files_for_agency_b_whatever_the_form_says(api_b, officer_b):
    submit(api_b)

    case = Case.objects.get()
    assert case.agency == officer_b.agency
    assert case.created_at <= timezone.now()


def test_the_api_takes_a_name_and_refuses_an_unknown_one(api_a, media_root):
    """Issue #9 item 12: a name is its ISO code; an unknown or long one a field error."""
    assert submit(api_a, jurisdiction="Illinois").status_code == 201
    assert LegalProcess.objects.get().subdivision == "US-IL"

    errors = field_errors(submit(api_a, key="k-2", jurisdiction="Illino"))
    assert "jurisdiction" in errors
    errors = field_errors(submit(api_a, key="k-3", jurisdiction="x" * 101))
    assert "jurisdiction" in errors
