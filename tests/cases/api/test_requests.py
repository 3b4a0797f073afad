"""Reading and acting on requests through the API (issue 6): list, track, extend a
preservation, withdraw; and every endpoint for officer A, officer B, an anonymous caller, a
revoked token and a read-only token.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, CaseStatus, Preservation, ProcessKind
from cases.services import note_add
from portal.accounts.models import ApiToken, Officer
from portal.accounts.tokens import api_token_revoke
from portal.audit.models import AccessEvent
from tests.cases.api.conftest import (
    LIST,
    bearer,
    detail,
    extend,
    submission,
    token_for,
    withdraw,
)
from tests.cases.api.test_submit import field_errors, problem
from tests.cases.factories import intake
from tests.factories import OfficerFactory


@pytest.fixture
def request_a(officer_a):
    """A subpoena officer A filed yesterday."""
    return intake(
        officer_a.user,
        received_via="api",
        agency_case_number="SPD-1",
        received_at=timezone.now() - timedelta(days=1),
    )


@pytest.fixture
def hold_a(officer_a):
    """A 2703(f) preservation request of agency A, its hold in force."""
    return intake(officer_a.user, kind=ProcessKind.US_PRESERVATION)


@pytest.fixture
def request_b(officer_b):
    return intake(officer_b.user)


# --- list ------------------------------------------------------------------------------------


def test_the_list_holds_the_agencys_requests_newest_first(api_a, officer_a, request_a, request_b):
    colleague = OfficerFactory(agency=officer_a.agency)
    newer = intake(colleague.user)

    answer = api_a.get(LIST)

    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert [r["reference"] for r in body["results"]] == [newer.reference, request_a.reference]
    row = body["results"][1]
    assert row == {
        "reference": request_a.reference,
        "status": "received",
        "emergency": False,
        "kind": "us_subpoena",
        "jurisdiction": "US-CA",
        "agency_case_number": "SPD-1",
        "submitted_at": row["submitted_at"],
        "status_changed_at": row["status_changed_at"],
        "next_due_at": row["next_due_at"],
    }
    assert row["next_due_at"].endswith("Z")
    event = AccessEvent.objects.get(action="list", actor=officer_a.user)
    assert set(event.details["ids"]) == {str(newer.pk), str(request_a.pk)}


def test_officer_b_lists_none_of_agency_as_requests(api_b, request_a, request_b):
    body = api_b.get(LIST).json()

    assert [r["reference"] for r in body["results"]] == [request_b.reference]


def test_the_list_filters_by_status_and_pages(api_a, officer_a, request_a):
    for _ in range(3):
        intake(officer_a.user)
    Case.objects.filter(pk=request_a.pk).update(status=CaseStatus.TRIAGE)

    triage = api_a.get(LIST, {"status": "triage"}).json()
    first = api_a.get(LIST, {"page_size": 3}).json()
    second = api_a.get(first["next"]).json()

    assert [r["reference"] for r in triage["results"]] == [request_a.reference]
    assert first["count"] == 4 and len(first["results"]) == 3
    assert [r["reference"] for r in second["results"]] == [request_a.reference]
    assert second["next"] is None and second["previous"]


def test_a_bad_filter_or_page_is_a_problem(api_a, request_a):
    assert "status" in field_errors(api_a.get(LIST, {"status": "lost"}))
    problem(api_a.get(LIST, {"page": 99}), 404, "not_found")


# --- detail ----------------------------------------------------------------------------------


def test_the_detail_shows_status_deadlines_and_only_the_public_timeline(
    api_a, request_a, responder
):
    note_add(case=request_a, author=responder, body="Internal: detective sounded unsure")

    answer = api_a.get(detail(request_a.reference))

    assert answer.status_code == 200
    body = answer.json()
    assert body["reference"] == request_a.reference and body["status"] == "received"
    assert body["can_withdraw"] is True
    assert body["process"]["kind"] == "us_subpoena"
    assert body["process"]["agency_case_number"] == "SPD-1"
    assert body["targets"] == [
        {"type": "email", "value": "suspect@example.com", "normalised": "suspect@example.com"}
    ]
    assert body["deadlines"] == []  # no return date: the provider's own SLA, not shown
    assert [e["kind"] for e in body["timeline"]] == ["intake"]
    assert "detective" not in answer.content.decode()
    assert "responder" not in answer.content.decode()  # no staff names
    assert AccessEvent.objects.filter(
        action="view", case_reference=request_a.reference, outcome="success"
    ).exists()


def test_a_lower_case_reference_finds_the_request(api_a, request_a):
    assert api_a.get(detail(request_a.reference.lower())).status_code == 200


# --- extend and withdraw ---------------------------------------------------------------------


def test_officer_a_extends_the_hold_by_90_days_once(api_a, hold_a):
    hold = hold_a.preservations.get()
    before = hold.expires_at

    answer = api_a.post(extend(hold_a.reference), {"note": "Renewal of today"}, format="json")
    again = api_a.post(extend(hold_a.reference), {"preservation": hold.pk}, format="json")

    assert answer.status_code == 200, answer.content
    body = answer.json()["preservation"]
    assert body["id"] == hold.pk and body["status"] == "extended"
    assert body["extensions"] == body["extensions_allowed"] == 1
    assert body["can_extend"] is False
    hold.refresh_from_db()
    assert hold.expires_at - before == timedelta(days=90)
    conflict = problem(again, 409, "invalid_state")
    assert "cannot be extended further" in conflict["detail"]
    deadline = hold_a.deadlines.get(kind="preservation_expiry")
    assert deadline.due_at == hold.expires_at


def test_a_request_without_a_hold_has_nothing_to_extend(api_a, request_a):
    errors = field_errors(api_a.post(extend(request_a.reference), {}, format="json"))
    assert "preservation" in errors
    errors = field_errors(
        api_a.post(extend(request_a.reference), {"preservation": 999999}, format="json")
    )
    assert "no such hold" in errors["preservation"]


def test_officer_a_withdraws_and_a_second_withdrawal_is_a_conflict(api_a, request_a):
    answer = api_a.post(withdraw(request_a.reference), {"reason": "Solved"}, format="json")
    again = api_a.post(withdraw(request_a.reference), {"reason": "Solved"}, format="json")

    assert answer.status_code == 200
    assert answer.json()["status"] == "withdrawn"
    problem(again, 409, "invalid_state")
    body = api_a.get(detail(request_a.reference)).json()
    assert body["status"] == "withdrawn" and body["can_withdraw"] is False
    assert "Solved" in body["timeline"][-1]["text"]


def test_a_withdrawal_needs_a_reason(api_a, request_a):
    assert "reason" in field_errors(api_a.post(withdraw(request_a.reference), {}, format="json"))
    assert Case.objects.get(pk=request_a.pk).status == CaseStatus.RECEIVED


# --- every endpoint, every persona -----------------------------------------------------------

ENDPOINTS = ["list", "submit", "detail", "extend", "withdraw"]


def call(client, endpoint: str, case: Case):
    hold = case.preservations.get()
    if endpoint == "list":
        return client.get(LIST)
    if endpoint == "submit":
        return client.post(LIST, submission(), format="multipart")
    if endpoint == "detail":
        return client.get(detail(case.reference))
    if endpoint == "extend":
        return client.post(extend(case.reference), {"preservation": hold.pk}, format="json")
    return client.post(withdraw(case.reference), {"reason": "no longer needed"}, format="json")


def unchanged(case: Case) -> bool:
    hold = Preservation.objects.get(case=case)
    return (
        Case.objects.get(pk=case.pk).status == CaseStatus.RECEIVED
        and hold.extension_count == 0
        and Case.objects.count() == 1
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_officer_a_may_use_every_endpoint(api_a, hold_a, endpoint):
    answer = call(api_a, endpoint, hold_a)

    assert answer.status_code in (200, 201), answer.content


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_call_is_logged_by_its_own_events_naming_the_token(officer_a, hold_a, endpoint):
    plaintext = token_for(officer_a)
    prefix = ApiToken.objects.get(user=officer_a.user).prefix
    last = AccessEvent.objects.order_by("pk").last()

    answer = call(bearer(plaintext), endpoint, hold_a)

    assert answer.status_code in (200, 201), answer.content
    events = list(AccessEvent.objects.filter(pk__gt=last.pk).order_by("pk"))
    assert events
    assert {e.details.get("token") for e in events} == {prefix}
    assert {e.actor_id for e in events} == {officer_a.user_id}
    assert "token_used" not in {e.action for e in events}  # no second row for the token
    if endpoint in ("list", "detail"):  # a read is one row
        assert [e.action for e in events] == ["list" if endpoint == "list" else "view"]


@pytest.mark.parametrize("endpoint", ["detail", "extend", "withdraw"])
def test_officer_b_gets_404_for_agency_as_request_and_it_is_logged(
    api_b, officer_b, hold_a, endpoint
):
    answer = call(api_b, endpoint, hold_a)
    missing = call(api_b, endpoint, Case(reference="LR-2026-999999", pk=hold_a.pk))

    body = problem(answer, 404, "not_found")
    assert body == {**problem(missing, 404, "not_found"), "instance": body["instance"]}
    assert unchanged(hold_a)
    denials = AccessEvent.objects.filter(actor=officer_b.user).order_by("pk")
    assert [e.outcome for e in denials] == ["denied", "denied"]  # one event per call
    assert {e.details["token"] for e in denials} == {
        ApiToken.objects.get(user=officer_b.user).prefix
    }


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_anonymous_caller_gets_401_everywhere(hold_a, endpoint):
    answer = call(bearer(None), endpoint, hold_a)

    problem(answer, 401, "not_authenticated")
    assert answer["WWW-Authenticate"] == 'Bearer realm="api"'
    assert unchanged(hold_a)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_revoked_token_gets_401_everywhere(officer_a, hold_a, endpoint):
    plaintext = token_for(officer_a)
    api_token_revoke(token=ApiToken.objects.get(user=officer_a.user))

    problem(call(bearer(plaintext), endpoint, hold_a), 401, "revoked")
    assert unchanged(hold_a)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_read_only_token_reads_but_never_writes(officer_a, hold_a, endpoint):
    answer = call(bearer(token_for(officer_a, ("read",))), endpoint, hold_a)

    if endpoint in ("list", "detail"):
        assert answer.status_code == 200
    else:
        problem(answer, 403, "insufficient_scope")
    assert unchanged(hold_a)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_suspended_officers_token_stops_at_once(officer_a, hold_a, endpoint):
    client = bearer(token_for(officer_a))
    Officer.objects.filter(pk=officer_a.pk).update(status=Officer.Status.SUSPENDED)

    problem(call(client, endpoint, hold_a), 401, "officer_suspended")
    assert unchanged(hold_a)


# --- which deadlines an officer sees (issue 11 item 7) --------------------------------------


def test_the_officer_sees_the_return_date_and_the_holds_expiry_not_internal_steps(officer_a, api_a):
    """The API and the portal showed every deadline, the provider's internal SLAs and
    review steps too (first decision, NDO review). Both show the legal dates only."""
    subpoena = intake(
        officer_a.user,
        return_date=timezone.localdate() + timedelta(days=20),
        ndo=True,
    )
    hold = intake(officer_a.user, kind=ProcessKind.US_PRESERVATION)
    assert subpoena.deadlines.filter(kind="ndo_review").exists()  # exists, but internal

    shown = {d["kind"] for d in api_a.get(detail(subpoena.reference)).json()["deadlines"]}
    held = {d["kind"] for d in api_a.get(detail(hold.reference)).json()["deadlines"]}

    assert shown == {"response"}
    assert held == {"preservation_expiry"}
