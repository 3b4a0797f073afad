"""``Idempotency-Key`` on submission: a retried request never files twice (issue 6).

GIVEN an officer's software that retries a submission whose answer it did not receive,
WHEN the retry carries the same key, THEN it gets the first answer (same reference) and
there is still one request, also when both attempts arrive at the same moment.
"""

from __future__ import annotations

import pytest

from cases.models import Case, SubmissionKey
from cases.services import submissions
from portal.audit.models import AccessEvent
from tests.cases.api.conftest import bearer, submit, token_for
from tests.cases.api.test_submit import field_errors, problem
from tests.races import first_held_then_retry

KEY = "8f14e45f-ceea-467f-a0f5-d2b5a3c9e1a7"


def test_a_retry_with_the_same_key_answers_with_the_first_request(api_a):
    first = submit(api_a, key=KEY)
    retry = submit(api_a, key=KEY)

    assert first.status_code == retry.status_code == 201
    assert retry.json()["reference"] == first.json()["reference"]
    assert retry.json()["deadlines"] == first.json()["deadlines"]
    assert retry["Location"] == first["Location"]
    assert retry["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    assert AccessEvent.objects.filter(action="intake").count() == 1
    assert AccessEvent.objects.filter(action="intake_replayed").count() == 1


def test_without_a_key_each_submission_is_a_new_request(api_a):
    submit(api_a)
    submit(api_a)

    assert Case.objects.count() == 2


def test_the_same_key_with_different_content_is_refused(api_a):
    submit(api_a, key=KEY)

    answer = submit(api_a, key=KEY, agency_case_number="SPD-OTHER")

    body = problem(answer, 422, "idempotency_key_reused")
    assert "different request" in body["detail"]
    assert Case.objects.count() == 1


def test_a_different_document_under_the_same_key_is_a_different_request(api_a):
    from tests.cases.documents import pdf_upload

    submit(api_a, key=KEY)

    answer = submit(api_a, key=KEY, legal_process=pdf_upload(data=_other_pdf()))

    problem(answer, 422, "idempotency_key_reused")


def _other_pdf() -> bytes:
    from tests.cases.documents import pdf_bytes

    return pdf_bytes("Another subpoena (fictitious)")


def test_a_failed_submission_keeps_no_key_so_the_corrected_retry_files(api_a):
    refused = submit(api_a, key=KEY, jurisdiction="US-XX")
    assert "jurisdiction" in field_errors(refused)
    assert SubmissionKey.objects.count() == 0

    answer = submit(api_a, key=KEY)

    assert answer.status_code == 201
    assert "Idempotent-Replayed" not in answer
    assert Case.objects.count() == 1


def test_keys_belong_to_one_officer(api_a, api_b, officer_a, officer_b):
    a = submit(api_a, key=KEY)
    b = submit(api_b, key=KEY)

    assert a.json()["reference"] != b.json()["reference"]
    assert {c.agency_id for c in Case.objects.all()} == {officer_a.agency_id, officer_b.agency_id}


def test_the_same_officer_with_another_token_gets_the_same_request(api_a, officer_a):
    first = submit(api_a, key=KEY)

    retry = submit(bearer(token_for(officer_a)), key=KEY)

    assert retry.json()["reference"] == first.json()["reference"]


@pytest.mark.parametrize("key", ["has space", "x" * 256, "naïve"])
def test_a_malformed_key_is_a_field_problem(api_a, key):
    headers = {"HTTP_IDEMPOTENCY_KEY": key}
    from tests.cases.api.conftest import LIST, submission

    answer = api_a.post(LIST, submission(), format="multipart", **headers)

    assert "Idempotency-Key" in field_errors(answer)
    assert Case.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_file_one_request(officer_a, monkeypatch):
    """GIVEN a first attempt inside its transaction (intake done, not yet committed),
    WHEN the retry arrives (its own thread and database connection),
    THEN the retry waits on the key's unique index, and once the first commits it answers
    with the same request: one case in the end."""
    token = token_for(officer_a)
    answers, waited = first_held_then_retry(
        monkeypatch, submissions, "case_intake", lambda: submit(bearer(token), key=KEY)
    )

    assert waited, "the retry never waited for the first attempt"
    assert answers["first"].status_code == answers["retry"].status_code == 201
    assert answers["retry"].json()["reference"] == answers["first"].json()["reference"]
    assert answers["retry"]["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    assert SubmissionKey.objects.get().case == Case.objects.get()
