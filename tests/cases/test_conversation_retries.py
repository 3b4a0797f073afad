"""A message sent twice is posted once: the API's ``Idempotency-Key`` and the form's key.

GIVEN an officer on a flaky connection (or a double click on "Send message")
WHEN the same message is sent again under the same key, even while the first is in flight
THEN the thread holds it once and the retry is answered with it; other content under a used
key is refused (API) or, edited on the page, is a new message (form).
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from cases.conversation import services
from cases.conversation.models import Message, MessageAttachment
from cases.conversation.services import MessageKeyReused, message_post
from portal.audit.models import AccessEvent
from tests.cases.documents import pdf_bytes, upload
from tests.cases.factories import intake
from tests.cases.test_conversation import bearer, thread_url
from tests.factories import verified_client
from tests.races import first_held_then_retry

KEY = "6f1c2a9e-0d4b-4c55-9a4e-message-0001"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def request_a(db, officer_a):
    return intake(officer_a.user)


def send(api, reference: str, body: str, *, key: str = KEY, files=None):
    data = {"body": body, **({"files": files} if files else {})}
    return api.post(thread_url(reference), data, format="multipart", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_retry_with_the_same_key_answers_with_the_first_message(request_a, officer_a):
    api = bearer(officer_a)
    data = pdf_bytes("Renewal letter (fictitious)")
    first = send(api, request_a.reference, "The renewal.", files=[upload("renewal.pdf", data)])
    retry = send(api, request_a.reference, "The renewal.", files=[upload("renewal.pdf", data)])

    assert first.status_code == retry.status_code == 201, retry.content
    assert "Idempotent-Replayed" not in first
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Message.objects.filter(case=request_a).count() == 1
    assert MessageAttachment.objects.count() == 1
    assert AccessEvent.objects.filter(action="message_replayed").count() == 1


@pytest.mark.django_db
def test_another_message_under_a_used_key_is_refused(request_a, officer_a):
    api = bearer(officer_a)
    send(api, request_a.reference, "The first message.")
    reused = send(api, request_a.reference, "Something else entirely.")

    assert reused.status_code == 422
    assert reused.json()["type"].endswith("idempotency_key_reused")
    assert list(Message.objects.values_list("body", flat=True)) == ["The first message."]


@pytest.mark.django_db
def test_a_refused_message_keeps_no_key_so_the_corrected_retry_is_posted(request_a, officer_a):
    api = bearer(officer_a)
    refused = send(
        api, request_a.reference, "see file", files=[upload("x.html", b"<script></script>")]
    )
    corrected = send(api, request_a.reference, "see file")

    assert refused.status_code == 400
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected


@pytest.mark.django_db
def test_without_a_key_each_message_is_posted(request_a, officer_a):
    api = bearer(officer_a)
    for _ in range(2):
        api.post(thread_url(request_a.reference), {"body": "Hello."}, format="json")
    assert Message.objects.filter(case=request_a).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["has space", "x" * 256])
def test_a_malformed_key_is_a_field_problem(request_a, officer_a, key):
    answer = send(bearer(officer_a), request_a.reference, "Hello.", key=key)
    assert answer.status_code == 400
    assert "Idempotency-Key" in str(answer.json())
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_keys_are_the_authors_own(request_a, officer_a, responder):
    """The staff reply under the same key string is another message, not a replay."""
    from cases.services import case_assign

    case_assign(case=request_a, assignee=responder, actor=responder)
    message_post(case=request_a, author=officer_a.user, body="Question?", key=KEY)
    reply = message_post(case=request_a, author=responder, body="Answer.", key=KEY)
    assert not reply.replayed
    assert Message.objects.filter(case=request_a).count() == 2
    with pytest.raises(MessageKeyReused):
        message_post(case=request_a, author=responder, body="Another answer.", key=KEY)


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_post_one_message(officer_a, monkeypatch):
    """GIVEN the first send inside its transaction (message written, not committed),
    WHEN the retry arrives on its own connection,
    THEN it waits on the case row, and once the first commits it answers with that message."""
    case = intake(officer_a.user)
    token_client = bearer(officer_a)
    answers, waited = first_held_then_retry(
        monkeypatch,
        services,
        "_message_save",
        lambda: send(token_client, case.reference, "Sent twice."),
    )

    assert waited, "the retry never waited for the first send"
    assert answers["first"].status_code == answers["retry"].status_code == 201
    assert answers["retry"]["Idempotent-Replayed"] == "true"
    assert Message.objects.filter(case=case).count() == 1


def _form_key(html: str) -> str:
    match = re.search(r'name="message_key" value="([0-9a-f]{32})"', html)
    assert match, "the message form carries no key"
    return match.group(1)


@pytest.mark.django_db
def test_the_page_sent_twice_posts_once_and_an_edited_resend_is_a_new_message(request_a, officer_a):
    client = verified_client(officer_a.user)
    page = client.get(reverse("officer:request", args=[request_a.reference]))
    key = _form_key(page.content.decode())
    post = reverse("conversation:officer_post", args=[request_a.reference])

    for _ in range(2):  # a double click, or "send" again after a lost answer
        assert (
            client.post(post, {"body": "The account is 100234.", "message_key": key}).status_code
            == 302
        )
    assert Message.objects.filter(case=request_a).count() == 1

    # Back to the sent page, the text changed, sent again: what the person wrote now.
    client.post(post, {"body": "Correction: the account is 100235.", "message_key": key})
    bodies = list(Message.objects.filter(case=request_a).values_list("body", flat=True))
    assert bodies == ["The account is 100234.", "Correction: the account is 100235."]

    fresh = client.get(reverse("officer:request", args=[request_a.reference])).content.decode()
    assert _form_key(fresh) != key  # each page shown gets a key of its own
