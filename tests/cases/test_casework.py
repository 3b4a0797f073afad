"""Finished cases offer no more work (issue 9, item 7): no assignment, note or attachment on
a closed, disclosed, rejected or withdrawn case, refused by the services and absent from the
page; the user notice only while a notice duty remains; the emergency "Approve" button gone
for someone who already approved; the officer sees no countdown on a closed request."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.casework import Work, work_refusal
from cases.models import CaseStatus, ProcessKind, UserNoticeStatus
from cases.services import case_assign, note_add, user_notice_update
from cases.workflow import case_transition, transitions_available
from tests.cases.documents import pdf_upload
from tests.cases.factories import CaseFactory, intake
from tests.factories import verified_client

pytestmark = pytest.mark.django_db

FINISHED = [CaseStatus.CLOSED, CaseStatus.DISCLOSED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN]


@pytest.mark.parametrize("status", FINISHED)
def test_the_services_refuse_work_on_a_finished_case(responder, status):
    case = CaseFactory(status=status)

    with pytest.raises(ValidationError, match="no longer assigned"):
        case_assign(case=case, assignee=responder, actor=responder)
    with pytest.raises(ValidationError, match="closed to new notes"):
        note_add(case=case, author=responder, body="Called the agency back.")
    case.refresh_from_db()
    assert case.assignee is None and not case.notes.exists()


def test_an_attachment_is_refused_on_a_closed_case(responder):
    from cases.services import attachment_add

    case = CaseFactory(status=CaseStatus.CLOSED)

    with pytest.raises(ValidationError, match="closed to new attachments"):
        attachment_add(case=case, actor=responder, file=pdf_upload())
    assert not case.attachments.exists()


@pytest.mark.parametrize("status", FINISHED)
def test_the_case_page_of_a_finished_case_offers_no_work(responder, status):
    case = CaseFactory(status=status)

    page = verified_client(responder).get(reverse("cases:detail", args=[case.reference]))

    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("cases:assign", args=[case.reference]) not in text
    assert reverse("cases:note_add", args=[case.reference]) not in text
    assert "Add note" not in text and "Assign to me" not in text
    assert "no longer assigned to anyone" in text


def test_an_open_case_still_offers_the_work(responder):
    case = CaseFactory(status=CaseStatus.TRIAGE)

    text = verified_client(responder).get(reverse("cases:detail", args=[case.reference])).text

    assert "Add note" in text and "Assign to me" in text


def test_user_notice_stays_on_a_disclosed_case_and_goes_from_a_withdrawn_one(responder):
    disclosed = CaseFactory(status=CaseStatus.DISCLOSED)
    withdrawn = CaseFactory(status=CaseStatus.WITHDRAWN)
    client = verified_client(responder)

    assert work_refusal(disclosed, Work.USER_NOTICE) == ""
    assert (
        "Update user notice" in client.get(reverse("cases:detail", args=[disclosed.reference])).text
    )
    assert (
        "Update user notice"
        not in client.get(reverse("cases:detail", args=[withdrawn.reference])).text
    )
    with pytest.raises(ValidationError, match="No user notice is owed"):
        user_notice_update(case=withdrawn, status=UserNoticeStatus.SENT, actor=responder)


def test_who_approved_an_emergency_no_longer_sees_approve(responder, legal):
    case = CaseFactory(status=CaseStatus.EMERGENCY_REVIEW, emergency=True)
    approve = {t.target for t in transitions_available(case, responder)}
    assert CaseStatus.APPROVED in approve

    case_transition(case=case, to_status=CaseStatus.APPROVED, actor=responder)

    assert CaseStatus.APPROVED not in {t.target for t in transitions_available(case, responder)}
    assert CaseStatus.APPROVED in {t.target for t in transitions_available(case, legal)}
    text = verified_client(responder).get(reverse("cases:detail", args=[case.reference])).text
    assert 'value="approved"' not in text
    assert "Approve emergency disclosure" in text  # named as waiting for someone else


def test_the_officer_sees_no_countdown_on_a_closed_request(officer_a, responder):
    case = intake(officer_a.user, received_via="portal", kind=ProcessKind.US_PRESERVATION)
    case_transition(
        case=case, to_status=CaseStatus.WITHDRAWN, actor=officer_a.user, reason="Solved"
    )

    text = (
        verified_client(officer_a.user).get(reverse("officer:request", args=[case.reference])).text
    )

    assert "due in" not in text.lower()
