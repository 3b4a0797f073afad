"""The conversation on a request: officer A and the staff talk; nobody else hears it.

GIVEN a request filed by officer A (routed to the default team, where the personas work)
WHEN staff ask for information or either side writes
THEN the other side reads it (portal, API), is notified without the text, files are hashed
and immutable, and the question's answer moves the request back to triage.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from cases.conversation.models import Message, MessageAttachment, Side
from cases.conversation.selectors import thread_of
from cases.conversation.services import message_post, open_question
from cases.errors import CaseNotFound
from cases.models import CaseStatus
from cases.services import note_add
from cases.workflow import case_transition
from portal.accounts.tokens import api_token_issue
from portal.audit.models import AccessEvent
from portal.notifications.models import Notification
from tests.cases.documents import pdf_bytes, upload
from tests.cases.factories import CaseFactory, intake
from tests.factories import UserFactory, verified_client

pytestmark = pytest.mark.django_db

S = CaseStatus


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def bearer(officer) -> APIClient:
    token = api_token_issue(user=officer.user, name="Case system", scopes=["read", "submit"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    return client


def thread_url(reference: str) -> str:
    return f"/api/v1/requests/{reference}/messages/"


@pytest.fixture
def request_a(officer_a, responder):
    """A request of agency A, filed by officer A, assigned to the responder."""
    case = intake(officer_a.user)
    from cases.services import case_assign

    case_assign(case=case, assignee=responder, actor=responder)
    case.refresh_from_db()
    return case


def test_staff_and_the_officer_converse_on_the_portal_and_the_api(request_a, officer_a, responder):
    staff = verified_client(responder)
    response = staff.post(
        reverse("conversation:staff_post", args=[request_a.reference]),
        {"body": "Do you also need the login IP addresses?"},
    )
    assert response.status_code == 302

    page = verified_client(officer_a.user).get(
        reverse("officer:request", args=[request_a.reference])
    )
    assert "Do you also need the login IP addresses?" in page.content.decode()

    api = bearer(officer_a)
    answer = api.post(
        thread_url(request_a.reference), {"body": "Yes, for March only."}, format="json"
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["side"] == "agency"

    thread = api.get(thread_url(request_a.reference)).json()
    assert [m["body"] for m in thread["messages"]] == [
        "Do you also need the login IP addresses?",
        "Yes, for March only.",
    ]
    assert thread["messages"][0]["author"] == ""  # staff are not named to the agency
    case_page = staff.get(reverse("cases:detail", args=[request_a.reference]))
    assert "Yes, for March only." in case_page.content.decode()


def test_each_side_is_notified_without_the_message_text(request_a, officer_a, responder):
    message_post(case=request_a, author=responder, body="Please confirm the account name.")
    to_officer = Notification.objects.get(user=officer_a.user, kind="message")
    assert request_a.reference in to_officer.subject
    assert "confirm the account name" not in to_officer.body
    assert "Sign in" in to_officer.body

    message_post(case=request_a, author=officer_a.user, body="It is jdoe77.")
    to_staff = Notification.objects.get(user=responder, kind="message")
    assert "jdoe77" not in to_staff.body + to_staff.subject


def test_the_officer_is_notified_in_their_own_language(request_a, officer_a, responder):
    officer_a.user.language = "fr"
    officer_a.user.save(update_fields=["language"])
    message_post(case=request_a, author=responder, body="Une question.")
    note = Notification.objects.get(user=officer_a.user, kind="message")
    assert "nouveau message" in note.subject.lower()


def test_another_agency_and_unrelated_staff_get_404(request_a, officer_b):
    api_b = bearer(officer_b)
    assert api_b.get(thread_url(request_a.reference)).status_code == 404
    posted = api_b.post(thread_url(request_a.reference), {"body": "hello"}, format="json")
    assert posted.status_code == 404
    portal_b = verified_client(officer_b.user).post(
        reverse("conversation:officer_post", args=[request_a.reference]), {"body": "hello"}
    )
    assert portal_b.status_code == 404

    outsider = UserFactory(username="other-team-responder", roles=["responder"])
    staff_post = verified_client(outsider).post(
        reverse("conversation:staff_post", args=[request_a.reference]), {"body": "hello"}
    )
    assert staff_post.status_code == 404
    with pytest.raises(CaseNotFound):
        message_post(case=request_a, author=outsider, body="hello")
    assert not Message.objects.filter(case=request_a).exists()
    assert AccessEvent.objects.filter(actor=officer_b.user, outcome="denied").exists()


def test_files_are_checked_hashed_and_never_change(request_a, officer_a):
    data = pdf_bytes("Renewal letter (fictitious)")
    api = bearer(officer_a)
    response = api.post(
        thread_url(request_a.reference),
        {"body": "The signed renewal.", "files": [upload("renewal.pdf", data)]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    sent = response.json()["files"][0]
    assert sent["sha256"] == hashlib.sha256(data).hexdigest()
    assert sent["content_type"] == "application/pdf"

    download = api.get(f"{thread_url(request_a.reference)}files/{sent['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert download["Content-Disposition"].startswith("attachment")

    attachment = MessageAttachment.objects.get(pk=sent["id"])
    with pytest.raises(DatabaseError), transaction.atomic():
        MessageAttachment.objects.filter(pk=attachment.pk).update(original_name="x.pdf")
    with pytest.raises(DatabaseError), transaction.atomic():
        Message.objects.filter(pk=attachment.message_id).delete()


def test_a_file_that_is_not_a_document_is_refused_and_nothing_is_written(request_a, officer_a):
    api = bearer(officer_a)
    response = api.post(
        thread_url(request_a.reference),
        {"body": "see file", "files": [upload("script.html", b"<script>alert(1)</script>")]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "files" in str(response.json())
    assert not Message.objects.filter(case=request_a).exists()


def test_asking_for_information_puts_the_question_in_the_thread_and_the_answer_resumes(
    request_a, officer_a, responder
):
    case_transition(case=request_a, to_status=S.TRIAGE, actor=responder)
    request_a.refresh_from_db()
    case_transition(
        case=request_a,
        to_status=S.NEEDS_INFO,
        actor=responder,
        reason="Which of the two e-mail addresses is the suspect's?",
    )
    question = Message.objects.get(case=request_a)
    assert question.asks_for_information
    assert question.side == Side.PROVIDER
    assert question.body == "Which of the two e-mail addresses is the suspect's?"

    api = bearer(officer_a)
    assert api.get(thread_url(request_a.reference)).json()["awaiting_answer"] is True
    api.post(thread_url(request_a.reference), {"body": "The first one."}, format="json")

    request_a.refresh_from_db()
    assert request_a.status == S.TRIAGE
    answer = Message.objects.get(case=request_a, side=Side.AGENCY)
    assert answer.answers_id == question.pk
    assert api.get(thread_url(request_a.reference)).json()["awaiting_answer"] is False


def test_the_open_question_read_from_a_loaded_thread_is_the_queried_one(
    request_a, officer_a, responder
):
    """The staff panel derives the open question from the thread it shows; it must name
    the same message as the query, before and after the agency answers."""

    def both() -> tuple:
        return open_question(request_a), open_question(request_a, list(thread_of(request_a)))

    assert both() == (None, None)
    first = message_post(
        case=request_a, author=responder, body="Which account?", asks_for_information=True
    )
    assert both() == (first, first)
    message_post(case=request_a, author=officer_a.user, body="The first one.")
    assert both() == (None, None)
    second = message_post(
        case=request_a, author=responder, body="And the period?", asks_for_information=True
    )
    message_post(case=request_a, author=responder, body="A reminder, no question.")
    assert both() == (second, second)


def test_internal_notes_never_reach_the_thread(request_a, officer_a, responder):
    note_add(case=request_a, author=responder, body="Internal: looks like a forged mailbox?")
    body = bearer(officer_a).get(thread_url(request_a.reference)).content.decode()
    assert "forged mailbox" not in body
    page = verified_client(officer_a.user).get(
        reverse("officer:request", args=[request_a.reference])
    )
    assert "forged mailbox" not in page.content.decode()


def test_a_child_safety_case_has_no_conversation(child_safety):
    case = CaseFactory(child_safety=True)
    with pytest.raises(Exception) as refused:
        message_post(case=case, author=child_safety, body="hello")
    assert "requests" in str(refused.value)


def test_an_empty_message_is_refused_and_the_typed_text_is_kept(request_a, officer_a):
    client = verified_client(officer_a.user)
    response = client.post(
        reverse("conversation:officer_post", args=[request_a.reference]), {"body": "   "}
    )
    assert response.status_code == 400
    assert "Write a message or attach a file." in response.content.decode()


def test_reading_and_posting_are_in_the_access_log(request_a, officer_a):
    api = bearer(officer_a)
    api.post(thread_url(request_a.reference), {"body": "Hello."}, format="json")
    api.get(thread_url(request_a.reference))
    actions = set(
        AccessEvent.objects.filter(
            actor=officer_a.user, case_reference=request_a.reference
        ).values_list("action", flat=True)
    )
    assert {"message_post", "list"} <= actions
