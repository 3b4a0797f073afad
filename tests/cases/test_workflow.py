"""The transition table, checked against a spec written out here by hand.

``ALLOWED`` is the policy a reader can check against ARCHITECTURE.md: who may take each
step. Every transition of ``cases.workflow.TRANSITIONS`` must appear in it, and every
persona is tried on every transition: allowed ones move the case (or record an approval),
denied ones leave it untouched.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cases.errors import CaseNotFound, ConcurrentUpdate
from cases.models import Approval, Case, CaseStatus, TimelineEvent
from cases.workflow import TRANSITIONS, case_transition, transitions_available
from portal.audit.models import AccessEvent
from tests.cases.factories import CaseFactory

S = CaseStatus
STAFF = {"responder", "legal", "child_safety", "supervisor"}
WORKERS = {"responder", "child_safety", "supervisor"}
DECIDERS = {"legal", "supervisor"}
OPEN = [
    S.RECEIVED,
    S.EMERGENCY_REVIEW,
    S.TRIAGE,
    S.NEEDS_INFO,
    S.LEGAL_REVIEW,
    S.APPROVED,
    S.COLLECTING,
    S.READY_TO_DISCLOSE,
]

ALLOWED: dict[tuple[str, str], set[str]] = {
    (S.RECEIVED, S.TRIAGE): STAFF,
    (S.RECEIVED, S.EMERGENCY_REVIEW): STAFF,
    (S.TRIAGE, S.EMERGENCY_REVIEW): STAFF,
    (S.EMERGENCY_REVIEW, S.APPROVED): STAFF,
    (S.EMERGENCY_REVIEW, S.REJECTED): STAFF,
    (S.EMERGENCY_REVIEW, S.TRIAGE): STAFF,
    (S.TRIAGE, S.NEEDS_INFO): STAFF - {"child_safety"},  # no agency to ask on an incident
    (S.NEEDS_INFO, S.TRIAGE): STAFF | {"officer_a"},  # by answering in the conversation
    (S.TRIAGE, S.LEGAL_REVIEW): STAFF,
    (S.TRIAGE, S.REJECTED): DECIDERS,
    (S.LEGAL_REVIEW, S.APPROVED): DECIDERS,
    (S.LEGAL_REVIEW, S.NEEDS_INFO): DECIDERS,
    (S.LEGAL_REVIEW, S.REJECTED): DECIDERS,
    (S.APPROVED, S.COLLECTING): WORKERS,
    (S.COLLECTING, S.READY_TO_DISCLOSE): WORKERS,
    (S.READY_TO_DISCLOSE, S.COLLECTING): STAFF,
    (S.READY_TO_DISCLOSE, S.DISCLOSED): STAFF,
    **{(source, S.WITHDRAWN): STAFF - {"child_safety"} | {"officer_a"} for source in OPEN},
    (S.TRIAGE, S.CLOSED): {"child_safety"},  # incidents only; supervisors' cases are requests
    (S.DISCLOSED, S.CLOSED): STAFF,
    (S.REJECTED, S.CLOSED): STAFF,
    (S.WITHDRAWN, S.CLOSED): STAFF,
    (S.CLOSED, S.TRIAGE): {"supervisor"},
}
PERSONAS = ["responder", "legal", "child_safety", "supervisor", "auditor", "officer_a"]
# Steps a persona's role holds that the guard refuses for the type of case the persona
# works (the analyst works incidents, which no agency withdraws or is asked about; the
# supervisor's test case is a request, which is not closed as "nothing to report").
REFUSED_BY_CASE_TYPE = {
    *((source, S.WITHDRAWN, "child_safety") for source in OPEN),
    (S.TRIAGE, S.NEEDS_INFO, "child_safety"),
    (S.TRIAGE, S.CLOSED, "supervisor"),
}
EMERGENCY_PATH = {
    (S.RECEIVED, S.EMERGENCY_REVIEW),
    (S.TRIAGE, S.EMERGENCY_REVIEW),
    (S.EMERGENCY_REVIEW, S.APPROVED),
    (S.EMERGENCY_REVIEW, S.REJECTED),
    (S.EMERGENCY_REVIEW, S.TRIAGE),
}


def test_the_spec_names_every_transition_of_the_table():
    assert {(t.source, t.target) for t in TRANSITIONS} == set(ALLOWED)


def _actor(request, persona):
    value = request.getfixturevalue(persona)
    return value.user if persona == "officer_a" else value


def _case_for(persona, actor, source, key):
    """A case the persona can see: child-safety analysts work CS cases, others LR cases;
    the officer's case belongs to their agency."""
    extra = {}
    if persona == "child_safety":
        extra["child_safety"] = True
    agency = actor.officer.agency if persona == "officer_a" else None
    return CaseFactory(status=source, emergency=key in EMERGENCY_PATH, agency=agency, **extra)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED), ids=lambda v: str(v))
def test_transition_allowed_or_denied_per_role(db, request, persona, source, target):
    actor = _actor(request, persona)
    case = _case_for(persona, actor, source, (source, target))
    allowed = persona in ALLOWED[(source, target)]
    if allowed:
        result = case_transition(case=case, to_status=target, actor=actor, reason="Test reason")
        if (source, target) == (S.EMERGENCY_REVIEW, S.APPROVED):
            assert not result.moved  # one approval recorded, a second person is needed
            assert Approval.objects.filter(case=case, approver=actor).exists()
        else:
            assert result.moved
            case.refresh_from_db()
            assert case.status == target
            assert TimelineEvent.objects.filter(case=case, kind="transition").exists()
            assert AccessEvent.objects.filter(
                action="transition", case_reference=case.reference, outcome="success"
            ).exists()
    elif (source, target, persona) in REFUSED_BY_CASE_TYPE:
        # the role may take the step, the case's type does not have it: a rule's refusal
        with pytest.raises(ValidationError):
            case_transition(case=case, to_status=target, actor=actor, reason="Test reason")
        case.refresh_from_db()
        assert case.status == source
    else:
        with pytest.raises((ValidationError, CaseNotFound)):
            case_transition(case=case, to_status=target, actor=actor, reason="Test reason")
        case.refresh_from_db()
        assert case.status == source
        assert AccessEvent.objects.filter(action="transition", outcome="denied").exists()


def test_transitions_available_are_the_buttons_a_responder_sees(responder):
    case = CaseFactory(status=S.TRIAGE)
    targets = {t.target for t in transitions_available(case, responder)}
    assert targets == {S.NEEDS_INFO, S.LEGAL_REVIEW, S.WITHDRAWN}  # not emergency, not reject


def test_a_step_outside_the_table_is_refused(supervisor):
    case = CaseFactory(status=S.RECEIVED)
    with pytest.raises(ValidationError, match="cannot go from"):
        case_transition(case=case, to_status=S.DISCLOSED, actor=supervisor)


REASONED = [
    (S.TRIAGE, S.NEEDS_INFO),
    (S.TRIAGE, S.REJECTED),
    (S.LEGAL_REVIEW, S.REJECTED),
    (S.EMERGENCY_REVIEW, S.REJECTED),
    (S.RECEIVED, S.WITHDRAWN),
    (S.CLOSED, S.TRIAGE),
]


@pytest.mark.parametrize(("source", "target"), REASONED)
def test_a_rejection_and_other_reasoned_steps_need_a_reason(supervisor, source, target):
    case = CaseFactory(status=source, emergency=source == S.EMERGENCY_REVIEW)
    with pytest.raises(ValidationError) as caught:
        case_transition(case=case, to_status=target, actor=supervisor, reason="  ")
    assert "reason" in caught.value.message_dict
    case.refresh_from_db()
    assert case.status == source


def test_the_emergency_path_is_only_for_emergencies(responder):
    case = CaseFactory(status=S.RECEIVED, emergency=False)
    with pytest.raises(ValidationError, match="emergency"):
        case_transition(case=case, to_status=S.EMERGENCY_REVIEW, actor=responder)


def test_emergency_disclosure_needs_two_distinct_approvers(responder, second_responder, legal):
    """GIVEN an emergency in review WHEN one person approves twice THEN it still waits;
    WHEN a second person approves THEN it is approved, naming both."""
    case = CaseFactory(status=S.EMERGENCY_REVIEW, emergency=True)
    first = case_transition(case=case, to_status=S.APPROVED, actor=responder)
    assert not first.moved and first.approvals == ["responder"]
    with pytest.raises(ValidationError, match="already approved"):
        case_transition(case=case, to_status=S.APPROVED, actor=responder)
    second = case_transition(case=case, to_status=S.APPROVED, actor=legal)
    assert second.moved and second.approvals == ["responder", "legal"]
    case.refresh_from_db()
    assert case.status == S.APPROVED
    assert TimelineEvent.objects.filter(case=case, kind="approval").count() == 2


def test_an_emergency_cannot_be_disclosed_without_two_approvals(supervisor):
    case = CaseFactory(status=S.READY_TO_DISCLOSE, emergency=True)
    with pytest.raises(ValidationError, match="two different people"):
        case_transition(case=case, to_status=S.DISCLOSED, actor=supervisor)


def test_a_stale_status_is_refused_with_a_clear_message(responder, legal):
    case = CaseFactory(status=S.TRIAGE)
    stale = Case.objects.get(pk=case.pk)
    case_transition(case=case, to_status=S.LEGAL_REVIEW, actor=responder)
    with pytest.raises(ConcurrentUpdate, match="Someone else moved this case"):
        case_transition(case=stale, to_status=S.NEEDS_INFO, actor=legal, reason="More info")
    case.refresh_from_db()
    assert case.status == S.LEGAL_REVIEW


def test_the_officer_may_withdraw_only_their_agency_requests(officer_a, officer_b):
    case = CaseFactory(status=S.TRIAGE, agency=officer_a.agency)
    with pytest.raises(CaseNotFound):
        case_transition(case=case, to_status=S.WITHDRAWN, actor=officer_b.user, reason="No")
    result = case_transition(
        case=case, to_status=S.WITHDRAWN, actor=officer_a.user, reason="Solved"
    )
    assert result.moved


def test_a_member_of_another_team_cannot_move_the_case(outsider):
    case = CaseFactory(status=S.RECEIVED)
    with pytest.raises(CaseNotFound):
        case_transition(case=case, to_status=S.TRIAGE, actor=outsider)


def test_closing_stamps_closed_at_and_reopening_clears_it(supervisor):
    case = CaseFactory(status=S.DISCLOSED)
    case_transition(case=case, to_status=S.CLOSED, actor=supervisor)
    case.refresh_from_db()
    assert case.closed_at is not None
    case_transition(case=case, to_status=S.TRIAGE, actor=supervisor, reason="New evidence")
    case.refresh_from_db()
    assert case.closed_at is None and case.status == S.TRIAGE


# --- concurrency: real transactions on separate connections ---------------------------------


def _race(functions):
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as exc:  # the test inspects what each racer got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_responders_racing_one_wins(responder, second_responder):
    """GIVEN two responders looking at the same received case WHEN both press "start
    triage" and "withdrawn" at once THEN exactly one wins and the other is told."""
    case = CaseFactory(status=S.RECEIVED)
    results = _race(
        [
            lambda: case_transition(
                case=Case.objects.get(pk=case.pk), to_status=S.TRIAGE, actor=responder
            ),
            lambda: case_transition(
                case=Case.objects.get(pk=case.pk),
                to_status=S.WITHDRAWN,
                actor=second_responder,
                reason="Agency withdrew",
            ),
        ]
    )
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], ConcurrentUpdate)
    case.refresh_from_db()
    assert case.status == wins[0].case.status
    assert TimelineEvent.objects.filter(case=case, kind="transition").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_approvers_at_once_approve_exactly_once(responder, legal):
    case = CaseFactory(status=S.EMERGENCY_REVIEW, emergency=True)
    results = _race(
        [
            lambda: case_transition(case=case, to_status=S.APPROVED, actor=responder),
            lambda: case_transition(case=case, to_status=S.APPROVED, actor=legal),
        ]
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.moved for r in results) == [False, True]
    case.refresh_from_db()
    assert case.status == S.APPROVED
    assert TimelineEvent.objects.filter(case=case, kind="transition").count() == 1
