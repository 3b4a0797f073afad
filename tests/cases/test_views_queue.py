"""The queue page: tabs, order, countdowns, filters, search, paging, and its access event."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseStatus, LegalProcess, ProcessKind, TargetKind
from cases.views.queue import PAGE_SIZE
from portal.audit.models import AccessEvent
from tests.cases.factories import CaseFactory, LegalProcessFactory, intake
from tests.factories import AgencyFactory, verified_client

QUEUE = reverse("cases:queue")


def refs(response) -> list[str]:
    """Case references in the order the table shows them."""
    return re.findall(r'<a class="ref" href="/cases/([A-Z]{2}-\d{4}-\d{6})/">', response.text)


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def queue_cases(responder, other_team, now):
    """Cases spread over the tabs; one of another team that must never show."""
    return {
        "overdue": CaseFactory(next_due_at=now - timedelta(hours=3, minutes=10)),
        "soon": CaseFactory(next_due_at=now + timedelta(hours=5, minutes=30), assignee=responder),
        "tomorrow": CaseFactory(next_due_at=now + timedelta(hours=30, minutes=20)),
        "later": CaseFactory(next_due_at=now + timedelta(days=12, hours=1)),
        "emergency": CaseFactory(
            next_due_at=now + timedelta(minutes=40, seconds=50), emergency=True
        ),
        "no_deadline": CaseFactory(next_due_at=None),
        "closed": CaseFactory(status=CaseStatus.CLOSED, next_due_at=None),
        "other_team": CaseFactory(team=other_team, next_due_at=now - timedelta(days=1)),
    }


@pytest.mark.django_db
def test_all_tab_lists_open_cases_of_my_teams_nearest_deadline_first(responder, queue_cases):
    response = verified_client(responder).get(QUEUE)
    assert response.status_code == 200
    c = queue_cases
    assert refs(response) == [
        c[name].reference
        for name in ("overdue", "emergency", "soon", "tomorrow", "later", "no_deadline")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        ("mine", ["soon"]),
        ("unassigned", ["overdue", "emergency", "tomorrow", "later", "no_deadline"]),
        ("emergency", ["emergency"]),
        ("due_48h", ["emergency", "soon", "tomorrow"]),
        ("overdue", ["overdue"]),
    ],
)
def test_each_tab_holds_its_cases(responder, queue_cases, tab, expected):
    response = verified_client(responder).get(QUEUE, {"tab": tab})
    assert refs(response) == [queue_cases[name].reference for name in expected]
    tabs = response.text.split('<nav class="tabs"', 1)[1].split("</nav>", 1)[0]
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', tabs)
    assert len(current) == 1 and f"tab={tab}" in current[0]


@pytest.mark.django_db
def test_countdowns_are_words_with_a_tone_and_times_carry_their_zone(responder, queue_cases):
    responder.time_zone = "Europe/Paris"
    responder.save()
    text = verified_client(responder).get(QUEUE).text
    assert '<span class="countdown overdue">overdue 3 h</span>' in text
    assert '<span class="countdown soon">due in 40 min</span>' in text
    assert '<span class="countdown soon">due in 5 h</span>' in text
    assert '<span class="countdown near">due in 30 h</span>' in text
    assert '<span class="countdown later">due in 12 d</span>' in text
    assert '<span class="countdown none">no deadline</span>' in text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T</time>", text)


@pytest.mark.django_db
def test_search_finds_a_case_by_reference_target_and_agency(responder, now):
    agency = AgencyFactory(name="Harbour City Police")
    case = intake(responder, agency=agency, targets=[(TargetKind.EMAIL, "Night.Owl@Example.com")])
    other = intake(responder, targets=[(TargetKind.USERNAME, "someone_else")])
    client = verified_client(responder)
    for query in (case.reference, case.reference[-6:], "night.owl@example.com", "Harbour"):
        response = client.get(QUEUE, {"q": query})
        assert refs(response) == [case.reference], query
    assert refs(client.get(QUEUE, {"q": "someone_else"})) == [other.reference]


@pytest.mark.django_db
def test_search_under_all_also_finds_closed_cases_but_other_tabs_stay_open(responder, queue_cases):
    closed = queue_cases["closed"]
    client = verified_client(responder)
    assert refs(client.get(QUEUE, {"q": closed.reference})) == [closed.reference]
    assert refs(client.get(QUEUE, {"q": closed.reference, "tab": "unassigned"})) == []


@pytest.mark.django_db
def test_filters_by_status_agency_team_and_process_kind(responder, other_team, now):
    agency = AgencyFactory(name="Example Port Authority Police")
    triage = CaseFactory(status=CaseStatus.TRIAGE, agency=agency)
    received = CaseFactory(agency=agency)
    warrant = LegalProcessFactory(kind=ProcessKind.US_SEARCH_WARRANT).case
    client = verified_client(responder)
    assert refs(client.get(QUEUE, {"status": "triage"})) == [triage.reference]
    by_agency = client.get(QUEUE, {"agency": agency.pk})
    assert set(refs(by_agency)) == {triage.reference, received.reference}
    assert f'<option value="{agency.pk}" selected>Example Port Authority Police</option>' in (
        by_agency.text
    )
    assert refs(client.get(QUEUE, {"kind": ProcessKind.US_SEARCH_WARRANT})) == [warrant.reference]
    both = client.get(QUEUE, {"status": "received", "agency": agency.pk, "tab": "unassigned"})
    assert refs(both) == [received.reference]
    team = responder.teams.get()
    assert len(refs(client.get(QUEUE, {"team": team.pk}))) == 3
    # a team the responder is not in is not a choice: the filter is refused, not widened
    outside = client.get(QUEUE, {"team": other_team.pk})
    assert "Select a valid choice" in outside.text
    assert len(refs(outside)) == 3


@pytest.mark.django_db
def test_paging_is_previous_next_without_counting(responder, now):
    CaseFactory.create_batch(PAGE_SIZE + 3, next_due_at=now + timedelta(days=2))
    client = verified_client(responder)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(QUEUE)
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counts if "cases_" in sql]
    assert len(refs(first)) == PAGE_SIZE
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    assert f"Showing 1\N{EN DASH}{PAGE_SIZE}" in first.text
    second = client.get(QUEUE, {"page": 2})
    assert len(refs(second)) == 3
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert set(refs(first)).isdisjoint(refs(second))
    # a silly page number is clamped, never an error
    assert client.get(QUEUE, {"page": "x"}).status_code == 200


@pytest.mark.django_db
def test_the_queue_query_count_does_not_grow_with_the_page(responder, now):
    client = verified_client(responder)
    client.get(QUEUE)  # the session's renewal (once a minute) is not part of either count
    CaseFactory.create_batch(3)
    with CaptureQueriesContext(connection) as small:
        client.get(QUEUE)
    CaseFactory.create_batch(30)
    with CaptureQueriesContext(connection) as large:
        client.get(QUEUE)
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
def test_one_access_event_names_the_cases_shown_and_the_search(responder, queue_cases):
    client = verified_client(responder)
    client.get(QUEUE, {"tab": "overdue"})
    event = AccessEvent.objects.filter(action="list").latest("pk")
    assert event.actor == responder
    assert event.details["ids"] == [str(queue_cases["overdue"].pk)]
    assert event.details["query"] == {"tab": "overdue"}
    client.get(QUEUE, {"q": "LR-2026"})
    search = AccessEvent.objects.filter(action="search").latest("pk")
    assert search.details["query"]["q"] == "LR-2026"
    assert AccessEvent.objects.filter(actor=responder, action__in=["list", "search"]).count() == 2


@pytest.mark.django_db
def test_the_intake_button_shows_only_to_those_who_may_record_process(responder, auditor):
    assert reverse("cases:intake") in verified_client(responder).get(QUEUE).text
    page = verified_client(auditor).get(QUEUE).text
    assert 'class="button primary" href="/cases/new/"' not in page
    assert not LegalProcess.objects.exists()


@pytest.mark.django_db
def test_the_assignee_filter_shows_one_persons_open_cases(supervisor, responder, queue_cases):
    response = verified_client(supervisor).get(QUEUE, {"assignee": responder.pk})
    assert response.status_code == 200
    assert refs(response) == [queue_cases["soon"].reference]
    assert 'name="assignee"' in response.text
    event = AccessEvent.objects.filter(actor=supervisor, action="list").latest("id")
    assert event.details["query"]["assignee"] == str(responder.pk)


@pytest.mark.django_db
def test_an_assignee_outside_my_teams_is_a_field_error_not_a_filter(
    responder, other_team, queue_cases
):
    from tests.factories import UserFactory

    stranger = UserFactory(username="stranger")
    other_team.members.add(stranger)
    response = verified_client(responder).get(QUEUE, {"assignee": stranger.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert queue_cases["overdue"].reference in refs(response)  # the bad filter is dropped
