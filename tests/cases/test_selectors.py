"""The case gate for every persona, the queue tabs, target search and "also requested by"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.errors import CaseNotFound
from cases.models import CaseStatus, TargetKind
from cases.policy import case_allows, may_be_assigned
from cases.selectors import (
    CaseAction,
    QueueTab,
    assignable_users,
    case_get_for_user,
    case_queue,
    case_search,
    cases_also_requesting,
    cases_visible_to,
    target_search,
)
from portal.accounts.models import Officer
from portal.audit.models import AccessEvent
from tests.cases.factories import CaseFactory, TargetFactory, intake

PERSONAS = [
    "responder",
    "legal",
    "child_safety",
    "supervisor",
    "auditor",
    "officer_a",
    "officer_b",
    "outsider",
    "admin_user",
]


@pytest.fixture
def world(db, officer_a, other_team):
    """One case of each kind that matters, all in the default team except the last."""
    return {
        "request_a": CaseFactory(agency=officer_a.agency),
        "request_no_agency": CaseFactory(),
        "child_safety": CaseFactory(child_safety=True),
        "other_team": CaseFactory(team=other_team, agency=officer_a.agency),
    }


# persona -> which cases of ``world`` it may view / work / supervise
EXPECTED = {
    "responder": ({"request_a", "request_no_agency"},) * 2 + (set(),),
    "legal": ({"request_a", "request_no_agency"},) * 2 + (set(),),
    "child_safety": ({"child_safety"},) * 2 + (set(),),
    "supervisor": ({"request_a", "request_no_agency", "child_safety"},) * 3,
    "auditor": ({"request_a", "request_no_agency", "child_safety"}, set(), set()),
    "officer_a": ({"request_a", "other_team"}, set(), set()),
    "officer_b": (set(), set(), set()),
    "outsider": ({"other_team"}, {"other_team"}, set()),  # a responder of the EMEA team
    "admin_user": (set(), set(), set()),
}


def _user(request, persona):
    value = request.getfixturevalue(persona)
    return value.user if isinstance(value, Officer) else value


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_gate_for_every_persona(request, world, persona):
    user = _user(request, persona)
    for action, names in zip(CaseAction, EXPECTED[persona], strict=True):
        visible = set(cases_visible_to(user, action).values_list("pk", flat=True))
        assert visible == {world[n].pk for n in names}, (persona, action)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_in_memory_gate_agrees_with_the_query(request, world, persona):
    """``case_allows`` (what a page asks per panel, without a query) answers as the gate's
    query does, for every persona, case and action."""
    user = _user(request, persona)
    for action, names in zip(CaseAction, EXPECTED[persona], strict=True):
        allowed = {name for name, case in world.items() if case_allows(user, case, action)}
        assert allowed == names, (persona, action)


@pytest.mark.parametrize("persona", PERSONAS)
def test_assign_to_me_is_offered_to_exactly_the_assignable(request, world, persona):
    user = _user(request, persona)
    for case in world.values():
        listed = assignable_users(case).filter(pk=user.pk).exists()
        assert may_be_assigned(user, case) == listed, (persona, case.case_type, case.team_id)


@pytest.mark.parametrize("persona", PERSONAS)
def test_missing_and_forbidden_cases_look_the_same(request, world, persona):
    user = _user(request, persona)
    with pytest.raises(CaseNotFound):
        case_get_for_user(user, "LR-2026-999999")
    hidden = [c for c in world.values() if not cases_visible_to(user).filter(pk=c.pk).exists()]
    for case in hidden:
        with pytest.raises(CaseNotFound):
            case_get_for_user(user, case.reference)
    assert (
        AccessEvent.objects.filter(outcome="denied", action="case_view").count() == len(hidden) + 1
    )


def test_case_get_for_user_accepts_lower_case_references(responder, world):
    case = world["request_a"]
    assert case_get_for_user(responder, case.reference.lower()) == case


def test_an_unverified_officer_sees_nothing(world, officer_a):
    officer_a.status = Officer.Status.SUSPENDED
    officer_a.save()
    assert not cases_visible_to(officer_a.user).exists()


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not cases_visible_to(AnonymousUser()).exists()
    with pytest.raises(CaseNotFound):
        case_get_for_user(AnonymousUser(), world["request_a"].reference)


def test_the_gate_is_one_query_after_the_first(responder, world):
    """Team ids are cached on the user: listing visible cases is a single SQL query."""
    list(cases_visible_to(responder))
    with CaptureQueriesContext(connection) as queries:
        list(cases_visible_to(responder))
    assert len(queries) == 1


# --- queue ------------------------------------------------------------------------------------


@pytest.fixture
def queue(db, responder, second_responder):
    now = timezone.now()
    return {
        "overdue": CaseFactory(next_due_at=now - timedelta(hours=3), assignee=responder),
        "soon": CaseFactory(next_due_at=now + timedelta(hours=5)),
        "emergency": CaseFactory(next_due_at=now + timedelta(minutes=40), emergency=True),
        "later": CaseFactory(next_due_at=now + timedelta(days=9), assignee=second_responder),
        "no_deadline": CaseFactory(next_due_at=None),
        "closed": CaseFactory(next_due_at=now - timedelta(days=1), status=CaseStatus.CLOSED),
        "now": now,
    }


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        (QueueTab.ALL, ["overdue", "emergency", "soon", "later", "no_deadline"]),
        (QueueTab.MINE, ["overdue"]),
        (QueueTab.UNASSIGNED, ["emergency", "soon", "no_deadline"]),
        (QueueTab.EMERGENCY, ["emergency"]),
        (QueueTab.DUE_SOON, ["emergency", "soon"]),
        (QueueTab.OVERDUE, ["overdue"]),
    ],
)
def test_queue_tabs_sorted_by_nearest_deadline(responder, queue, tab, expected):
    found = list(case_queue(responder, tab, now=queue["now"]))
    assert found == [queue[name] for name in expected]


def test_queue_hides_other_teams_and_forbidden_types(outsider, child_safety, queue):
    assert not case_queue(outsider).exists()
    assert not case_queue(child_safety).exists()


@pytest.mark.parametrize(
    ("tab", "index"),
    [
        (QueueTab.ALL, "cases_case_queue"),
        (QueueTab.MINE, "cases_case_queue_mine"),
        (QueueTab.UNASSIGNED, "cases_case_queue_unassigned"),
        (QueueTab.EMERGENCY, "cases_case_queue_emergency"),
        (QueueTab.OVERDUE, "cases_case_queue"),
        (QueueTab.DUE_SOON, "cases_case_queue"),
    ],
)
def test_each_queue_tab_can_use_its_partial_index(supervisor, second_responder, queue, tab, index):
    """With sequential scans off, PostgreSQL picks the tab's partial index: the query's
    WHERE matches the index's predicate. (bench/queue.py measures it at 1M rows.)"""
    team_id = queue["soon"].team_id
    insert = (
        "INSERT INTO cases_case (reference, case_type, status, team_id, assignee_id, priority,"
        " emergency, received_via, summary, user_notice_status, user_notice_withheld_reason,"
        " user_notice_note, next_due_at, status_changed_at, created_at, updated_at)"
        " SELECT %s || lpad(g::text, 6, '0'), 'request', %s, %s, %s, 3, false,"
        " 'email', '', 'pending', '', '', now() + g * %s * interval '1 hour', now(), now(), now()"
        " FROM generate_series(1, %s) g"
    )
    with connection.cursor() as cursor:
        # a realistic shape: most cases closed, most open ones assigned (without these the
        # few open rows cost the same on every index and the planner's pick is a coin toss),
        # statistics up to date
        cursor.execute(insert, ["LR-2019-", "closed", team_id, None, -1, 5000])
        cursor.execute(insert, ["LR-2020-", "triage", team_id, second_responder.pk, 240, 500])
        cursor.execute("ANALYZE cases_case")
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = case_queue(supervisor, tab, now=queue["now"])[:50].explain()
    assert index in plan, plan


def test_the_queue_filtered_by_assignee_lists_their_open_cases_on_the_mine_index(
    supervisor, responder, queue
):
    """The dashboard's workload row ("who holds what"): the person's open cases only, read
    from the same (assignee, next_due_at) partial index as their own "mine" tab."""
    found = list(case_queue(supervisor, assignee_id=responder.pk, now=queue["now"]))
    assert found == [queue["overdue"]]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = case_queue(supervisor, assignee_id=responder.pk, now=queue["now"])[:50].explain()
    assert "cases_case_queue_mine" in plan, plan


# --- search -----------------------------------------------------------------------------------


@pytest.fixture
def searchable(responder, officer_a):
    first = intake(
        responder,
        agency=officer_a.agency,
        targets=[(TargetKind.EMAIL, "Jane.Doe@Example.com"), (TargetKind.PHONE, "+1 202 555 0147")],
    )
    second = intake(responder, targets=[(TargetKind.EMAIL, "jane.doe@example.com")])
    third = intake(responder, targets=[(TargetKind.USERNAME, "@night_owl_77")])
    return first, second, third


def test_target_search_exact_first(responder, searchable):
    first, second, _ = searchable
    how, found = target_search(responder, "JANE.DOE@example.com")
    assert how == "exact"
    assert {t.case_id for t in found} == {first.pk, second.pk}


def test_target_search_phone_in_any_format(responder, searchable):
    how, found = target_search(responder, "+1 (202) 555-0147")
    assert how == "exact" and [t.case_id for t in found] == [searchable[0].pk]


def test_target_search_substring(responder, searchable):
    how, found = target_search(responder, "owl_7")
    assert how == "substring" and [t.case_id for t in found] == [searchable[2].pk]


def test_target_search_respects_the_gate(outsider, searchable):
    assert target_search(outsider, "jane.doe@example.com") == ("", [])


def test_case_search_by_reference_agency_and_target(responder, searchable, officer_a):
    first, second, third = searchable
    assert list(case_search(responder, first.reference[-6:])) == [first]
    assert list(case_search(responder, "Agency A")) == [first]
    assert set(case_search(responder, "jane.doe@example.com")) == {first, second}
    assert list(case_search(responder, "night_owl_77")) == [third]
    assert list(case_search(responder, "", agency_id=officer_a.agency_id)) == [first]


def test_a_whole_address_finds_its_mailbox_and_a_part_finds_every_mailbox_with_it(
    responder, searchable
):
    """Like ``target_search``: a complete e-mail address names one mailbox, so another that
    merely contains it (someone else) is not listed; a part of an address still finds all."""
    first, second, _ = searchable
    longer = intake(responder, targets=[(TargetKind.EMAIL, "mary.jane.doe@example.com")])
    assert set(case_search(responder, "Jane.Doe@example.com")) == {first, second}
    assert set(case_search(responder, "jane.doe@exa")) == {first, second, longer}


def test_also_requested_by_lists_other_visible_cases_with_the_same_target(
    responder, searchable, other_team
):
    """The EMEA case naming the same address stays hidden from a responder of the default
    team: "also requested by" never leaks a case the gate would refuse."""
    first, second, _ = searchable
    hidden = CaseFactory(team=other_team)
    TargetFactory(process__case=hidden, case=hidden, value="jane.doe@example.com")
    rows = cases_also_requesting(responder, first)
    assert [(r["case"], r["target"].normalised) for r in rows] == [(second, "jane.doe@example.com")]


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("LR-2026-000123", True),
        ("lr-2026-123", True),
        ("2026-000123", True),
        ("123", True),
        ("000123", True),
        ("026-00012", False),  # a partial reference: substring (trigram) match only
    ],
)
def test_reference_search_forms(responder, query, matches):
    case = CaseFactory(reference="LR-2026-000123")
    CaseFactory(reference="LR-2026-000124")
    found = list(case_search(responder, query))
    if matches:
        assert found == [case]
    else:
        assert case in found and len(found) == 2


def test_queue_counts_are_capped(responder, queue):
    from cases.selectors import case_queue_counts

    counts = case_queue_counts(responder, now=queue["now"])
    assert counts == {
        "all": 5,
        "mine": 1,
        "unassigned": 3,
        "emergency": 1,
        "due_48h": 2,
        "overdue": 1,
    }
    assert case_queue_counts(responder, now=queue["now"], cap=2)["all"] == 2
