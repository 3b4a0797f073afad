"""A deadline override must be a plausible time (issue 9, item 2), and no text speaks of a
past time as "in …"; stored times read like the rest of the UI (item 11).

GIVEN the reported steps: a supervisor moved "Preservation expires" to 1999-01-01, the hold
read "overdue 10197 d" and reminders said "expires in 10197 days".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases.models import DeadlineKind, DeadlineStatus, ProcessKind, ReminderOutcome
from cases.reminders.messages import reminder_message
from cases.reminders.recipients import Audience, Recipient
from cases.reminders.steps import Phase, Step
from cases.services import deadline_override
from cases.texts import text_render
from tests.cases.factories import intake
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


def hold_deadline(case):
    return case.deadlines.get(kind=DeadlineKind.PRESERVATION_EXPIRY, status=DeadlineStatus.OPEN)


@pytest.fixture
def hold_case(supervisor):
    return intake(supervisor, kind=ProcessKind.US_PRESERVATION)


def test_an_override_before_receipt_is_refused(supervisor, hold_case):
    deadline = hold_deadline(hold_case)
    before = deadline.due_at

    with pytest.raises(ValidationError) as caught:
        deadline_override(
            deadline=deadline,
            due_at=datetime(1999, 1, 1, 23, 59, tzinfo=UTC),
            reason="typo",
            actor=supervisor,
            missed=True,
        )

    assert "before the process was received" in caught.value.message_dict["due_at"][0]
    deadline.refresh_from_db()
    assert deadline.due_at == before and not deadline.is_overridden


def test_a_past_time_needs_the_deadline_to_be_recorded_as_missed(supervisor):
    case = intake(supervisor, received_at=timezone.now() - timedelta(days=20))
    deadline = case.deadlines.get(kind=DeadlineKind.RESPONSE)
    yesterday = timezone.now() - timedelta(days=1)

    with pytest.raises(ValidationError, match="in the past"):
        deadline_override(deadline=deadline, due_at=yesterday, reason="moved", actor=supervisor)
    moved = deadline_override(
        deadline=deadline,
        due_at=yesterday,
        reason="Missed: the fax sat unread over the holiday",
        actor=supervisor,
        missed=True,
    )

    assert moved.due_at == yesterday


def test_a_preservation_cannot_be_moved_past_the_statutory_maximum(supervisor, hold_case):
    deadline = hold_deadline(hold_case)
    received = hold_case.processes.get().received_at

    with pytest.raises(ValidationError, match="allows this hold until"):
        deadline_override(
            deadline=deadline,
            due_at=received + timedelta(days=200),
            reason="Agency asked for a year",
            actor=supervisor,
        )
    within = deadline_override(
        deadline=deadline,
        due_at=received + timedelta(days=170),
        reason="Renewal letter received by post",
        actor=supervisor,
    )

    assert within.due_at == received + timedelta(days=170)


def test_the_override_form_shows_the_refusal_next_to_the_field(supervisor, hold_case):
    deadline = hold_deadline(hold_case)
    url = reverse("cases:deadline_override", args=[hold_case.reference, deadline.pk])

    answer = verified_client(supervisor).post(
        url, {f"d{deadline.pk}-due_at": "1999-01-01T23:59", f"d{deadline.pk}-reason": "typo"}
    )

    assert answer.status_code == 400
    assert "before the process was received" in answer.text


def test_a_reminder_never_says_in_of_a_past_time(responder, supervisor):
    case = intake(responder, received_at=timezone.now() - timedelta(days=20))
    deadline = case.deadlines.get(kind=DeadlineKind.RESPONSE)
    now = timezone.now()
    deadline_override(
        deadline=deadline,
        due_at=now - timedelta(days=2),
        reason="Missed over the holiday",
        actor=supervisor,
        missed=True,
    )
    deadline.refresh_from_db()

    message = reminder_message(
        recipient=Recipient(user=responder, audience=Audience.STAFF),
        case=case,
        deadline=deadline,
        step=Step(code="7d", at=now - timedelta(days=9), phase=Phase.BEFORE),
        outcome=ReminderOutcome.REMINDED,
        sent_at=now,
        late=True,
        urgent=False,
    )

    text = f"{message.subject}\n{message.body}"
    assert " in 2 days" not in text and "(in " not in text
    assert "2 days ago" in text


def test_timeline_texts_show_times_like_the_ui(settings):
    settings.TIME_ZONE = "UTC"
    text = text_render(
        "Preservation extended until %(after)s.", {"after": "2027-05-31T23:59:59+00:00"}
    )

    assert text == "Preservation extended until 2027-05-31 23:59 UTC."


def test_the_case_page_timeline_has_no_raw_iso_time(supervisor, hold_case):
    deadline = hold_deadline(hold_case)
    received = hold_case.processes.get().received_at
    deadline_override(
        deadline=deadline,
        due_at=received + timedelta(days=100),
        reason="Renewal letter",
        actor=supervisor,
    )

    page = verified_client(supervisor).get(reverse("cases:detail", args=[hold_case.reference]))

    shown = re.findall(r">([^<]*)<", page.text)  # the text, not datetime="…" attributes
    assert not [t for t in shown if re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", t)]
    assert any("moved from" in t and " UTC to " in t for t in shown)
