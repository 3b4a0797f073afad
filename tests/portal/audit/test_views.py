"""The auditor's pages: who may see the log, searching it, paging it, exporting it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin
from django.urls import reverse

from portal.audit.models import AccessEvent
from portal.audit.services import access_event_record
from tests.factories import verified_client

pytestmark = pytest.mark.django_db

EVENTS = reverse("audit:events")
EXPORT = reverse("audit:export")


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def event(**fields) -> AccessEvent:
    """An event with a chosen time (the portal stamps "now"; tests need the past)."""
    defaults = {"at": at(1), "action": "view", "actor_label": "someone"}
    return AccessEvent.objects.create(**{**defaults, **fields})


def shown(response) -> list[AccessEvent]:
    return response.context["page"].events


def test_auditor_sees_the_log_and_the_reading_is_itself_logged(auditor):
    seen = event(actor_label="responder", case_reference="LR-2026-000007")

    response = verified_client(auditor).get(EVENTS)

    assert response.status_code == 200
    assert seen in shown(response)
    assert b"LR-2026-000007" in response.content
    [reading] = AccessEvent.objects.filter(request_id=response["X-Request-ID"])
    assert (reading.action, reading.actor) == ("search", auditor)
    assert str(seen.pk) in reading.details["ids"]
    nav = [item["url"] for item in response.context["nav_items"]]
    assert EVENTS in nav


def test_supervisor_sees_the_log(supervisor):
    assert verified_client(supervisor).get(EVENTS).status_code == 200


@pytest.mark.parametrize("persona", ["responder", "legal", "child_safety", "officer_a"])
@pytest.mark.parametrize("url", [EVENTS, EXPORT])
def test_everyone_else_gets_404_and_the_attempt_is_logged(request, persona, url):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)  # the officer fixture is an Officer profile

    response = verified_client(user).get(url)

    assert response.status_code == 404
    [denial] = AccessEvent.objects.filter(request_id=response["X-Request-ID"])
    assert (denial.action, denial.outcome, denial.actor) == ("permission_denied", "denied", user)


def test_the_log_cannot_be_changed_through_the_ui_or_the_admin(auditor):
    client = verified_client(auditor)
    assert client.post(EVENTS, {"action": "view"}).status_code == 405
    assert client.post(EXPORT).status_code == 405
    assert not admin.site.is_registered(AccessEvent)


def test_search_by_user_case_action_outcome_and_time(auditor):
    target = event(actor_label="responder", case_reference="LR-1", action="download", at=at(10, 9))
    event(actor_label="legal", case_reference="LR-1", action="download", at=at(10, 9))
    event(actor_label="responder", case_reference="LR-2", action="download", at=at(10, 9))
    event(actor_label="responder", case_reference="LR-1", action="view", at=at(10, 9))
    event(actor_label="responder", case_reference="LR-1", action="download", at=at(12, 9))
    event(
        actor_label="responder",
        case_reference="LR-1",
        action="download",
        at=at(10, 9),
        outcome="denied",
    )
    client = verified_client(auditor)

    response = client.get(
        EVENTS,
        {
            "user": "responder",
            "case": "LR-1",
            "action": "download",
            "outcome": "success",
            "since": "2026-03-10T00:00",
            "until": "2026-03-11T00:00",
        },
    )

    assert shown(response) == [target]
    reading = AccessEvent.objects.get(request_id=response["X-Request-ID"])
    assert reading.details["query"]["case"] == "LR-1"


def test_time_range_is_read_in_the_viewers_time_zone(auditor):
    auditor.time_zone = "America/New_York"  # UTC-4 on 10 March 2026 (DST began 8 March)
    auditor.save()
    late_evening_local = event(at=at(11, 2))  # 22:00 on 10 March in New York

    response = verified_client(auditor).get(
        EVENTS, {"since": "2026-03-10T00:00", "until": "2026-03-11T00:00"}
    )

    assert shown(response) == [late_evening_local]
    assert b"EDT" in response.content  # times are shown with their zone


def test_an_invalid_search_shows_errors_not_everything(auditor):
    event()
    response = verified_client(auditor).get(
        EVENTS, {"since": "2026-03-11T00:00", "until": "2026-03-10T00:00"}
    )

    assert response.status_code == 200
    assert response.context["page"] is None
    assert response.context["form"].errors


def test_pages_go_back_and_forth_newest_first(auditor):
    base = at(1)
    for n in range(120):
        event(at=base + timedelta(minutes=n), object_id=str(n))
    client = verified_client(auditor)

    first = client.get(EVENTS, {"action": "view"}).context["page"]
    assert [e.object_id for e in first.events] == [str(n) for n in range(119, 69, -1)]
    assert first.newer is None

    second = client.get(EVENTS, {"action": "view", "before": str(first.older)}).context["page"]
    assert [e.object_id for e in second.events] == [str(n) for n in range(69, 19, -1)]

    third = client.get(EVENTS, {"action": "view", "before": str(second.older)}).context["page"]
    assert [e.object_id for e in third.events] == [str(n) for n in range(19, -1, -1)]
    assert third.older is None

    back = client.get(EVENTS, {"action": "view", "after": str(third.newer)}).context["page"]
    assert [e.object_id for e in back.events] == [e.object_id for e in second.events]


def test_a_garbled_cursor_shows_the_first_page(auditor):
    newest = event(at=at(2))
    response = verified_client(auditor).get(EVENTS, {"before": "not-a-cursor"})
    assert shown(response)[0] == newest


def test_csv_export_streams_matching_events_oldest_first_and_is_logged(auditor):
    older = event(case_reference="LR-9", at=at(3), details={"ids": ["1", "2"]})
    newer = event(case_reference="LR-9", at=at(4), actor_label="=HYPERLINK(1)")
    event(case_reference="LR-8", at=at(4))
    client = verified_client(auditor)

    response = client.get(EXPORT, {"case": "LR-9"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["id"] for r in rows] == [str(older.pk), str(newer.pk)]
    assert rows[0]["at"] == "2026-03-03T12:00:00+00:00"
    assert rows[0]["details"] == '{"ids": ["1", "2"]}'
    assert rows[1]["actor_label"] == "'=HYPERLINK(1)"  # no formula in a spreadsheet
    [export] = AccessEvent.objects.filter(action="export")
    assert export.actor == auditor
    assert export.details == {"format": "csv", "query": {"case": "LR-9"}}


def test_csv_export_of_everything_includes_the_chain_columns(auditor):
    from portal.audit.chain import chain_seal

    access_event_record(action="view", actor_label="task:x")
    chain_seal()
    response = verified_client(auditor).get(EXPORT)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    sealed = AccessEvent.objects.get(actor_label="task:x")
    row = next(r for r in rows if r["id"] == str(sealed.pk))
    assert (row["seq"], row["hash"], row["prev_hash"]) == (
        str(sealed.seq),
        sealed.hash,
        sealed.prev_hash,
    )


@pytest.mark.django_db
def test_details_and_actions_read_as_words(auditor):
    """Issue #9 item 16: no raw JSON nor stored codes in the table."""
    from portal.audit.services import access_event_record

    access_event_record(
        action="login_failed",
        object_type="cases.case",
        details={"ids": ["12", "14"], "query": {"q": "newcomer"}, "ok": True},
    )

    page = verified_client(auditor).get(EVENTS).text

    assert "failed sign-in" in page
    assert "<dt>objects shown</dt><dd>2 (12, 14)</dd>" in page
    assert "<dt>searched for</dt><dd>q = newcomer</dd>" in page
    assert "<dt>verified</dt><dd>yes</dd>" in page
    assert '{"ids"' not in page and "&quot;ids&quot;" not in page


FORMULA = "=cmd|' /C calc'!A0"


def test_a_formula_sent_as_a_user_agent_is_text_in_the_csv_export(auditor, officer_a):
    # GIVEN an officer whose browser sends a DDE formula as its User-Agent
    verified_client(officer_a.user).get(reverse("officer:requests"), HTTP_USER_AGENT=FORMULA)
    # WHEN the auditor exports the log and reads it back
    response = verified_client(auditor).get(EXPORT, {"user": officer_a.user.username})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    # THEN the agent is there, as text a spreadsheet will not evaluate
    agents = {r["user_agent"] for r in rows}
    assert "'" + FORMULA in agents
    assert FORMULA not in agents
