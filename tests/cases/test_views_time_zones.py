"""A Berlin user reads and types case times in Berlin time, the zone named, winter and
summer alike; timeline and notification texts follow the same zone (issue 9, items 10-11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Deadline, TargetKind
from cases.reminders.messages import DigestLine, digest_message
from portal.accounts.models import Team
from tests.cases.factories import intake
from tests.factories import verified_client

pytestmark = pytest.mark.django_db

WINTER = datetime(2027, 1, 15, 17, 0, tzinfo=UTC)
SUMMER = datetime(2027, 7, 15, 17, 0, tzinfo=UTC)


@pytest.fixture
def case(responder):
    return intake(
        responder,
        received_at=timezone.now() - timedelta(days=1),
        targets=[(TargetKind.EMAIL, "night.owl@example.com")],
    )


def page_of(user, case) -> str:
    response = verified_client(user).get(reverse("cases:detail", args=[case.reference]))
    assert response.status_code == 200
    return response.text


@pytest.mark.parametrize(
    ("due", "shown"), [(WINTER, "2027-01-15 18:00 CET"), (SUMMER, "2027-07-15 19:00 CEST")]
)
def test_a_berlin_user_sees_the_deadline_in_berlin_time_with_the_zone(responder, case, due, shown):
    Deadline.objects.filter(case=case).update(due_at=due)
    assert f"{due:%Y-%m-%d %H:%M} UTC" in page_of(responder, case)  # no zone chosen yet
    responder.time_zone = "Europe/Berlin"
    responder.save()
    page = page_of(responder, case)
    assert shown in page
    assert f"{due:%Y-%m-%d %H:%M} UTC" not in page


def test_a_member_of_a_berlin_team_sees_berlin_time_without_choosing(responder, case):
    Deadline.objects.filter(case=case).update(due_at=WINTER)
    Team.objects.filter(is_default=True).update(time_zone="Europe/Berlin")
    assert "2027-01-15 18:00 CET" in page_of(responder, case)


def test_an_override_typed_in_berlin_on_the_night_summer_time_begins(supervisor, case):
    """GIVEN a supervisor in Berlin, WHEN they type 01:30 on 28 March 2027 (the last hour of
    winter time), THEN the deadline is 00:30 UTC and the page and timeline say 01:30 CET;
    02:30 that night does not exist and is refused on the form."""
    supervisor.time_zone = "Europe/Berlin"
    supervisor.save()
    client = verified_client(supervisor)
    deadline = case.deadlines.get()
    url = reverse("cases:deadline_override", args=[case.reference, deadline.pk])
    field = f"d{deadline.pk}"

    gap = client.post(url, {f"{field}-due_at": "2027-03-28 02:30", f"{field}-reason": "Agreed."})
    assert gap.status_code == 400
    assert "2027-03-28 02:30 does not exist in Europe/Berlin" in gap.text
    assert 'value="2027-03-28 02:30"' in gap.text  # what was typed is kept
    deadline.refresh_from_db()
    assert deadline.override_reason == ""

    client.post(url, {f"{field}-due_at": "2027-03-28 01:30", f"{field}-reason": "Agreed."})
    deadline.refresh_from_db()
    assert deadline.due_at == datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    page = page_of(supervisor, case)
    assert "to 2027-03-28 01:30 CET by override" in page  # the timeline, read in Berlin
    assert 'value="2027-03-28 01:30"' in page  # the form offers it back as it was typed


def test_the_morning_digest_is_written_in_the_recipients_team_zone(responder):
    Team.objects.filter(is_default=True).update(time_zone="Europe/Berlin")
    line = DigestLine(reference="LR-2027-0001", kind="Subpoena", due_at=SUMMER, overdue=False)
    message = digest_message(
        user=responder, lines=[line], due_today=1, overdue=0, now=SUMMER, shown=1
    )
    assert "LR-2027-0001: Subpoena at 2027-07-15 19:00 CEST" in message.body
