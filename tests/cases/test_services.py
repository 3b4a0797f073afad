"""Services: intake, deadlines kept in step, overrides, holds, user notice, team work."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from cases.errors import CaseNotFound
from cases.models import (
    Case,
    CaseStatus,
    CaseType,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    LegalProcess,
    Preservation,
    PreservationStatus,
    ProcessKind,
    RoutingRule,
    TargetKind,
    TimelineEvent,
    UserNoticeStatus,
)
from cases.services import (
    case_assign,
    case_team_change,
    deadline_override,
    note_add,
    preservation_extend,
    preservation_release,
    process_update,
    targets_add,
    user_notice_update,
)
from cases.services.timeline import case_reference_next
from cases.workflow import case_transition
from portal.audit.models import AccessEvent
from tests.cases.factories import CaseFactory, intake

K = ProcessKind
D = DeadlineKind


def open_deadlines(case: Case) -> dict[str, Deadline]:
    return {d.kind: d for d in case.deadlines.filter(status=DeadlineStatus.OPEN)}


# --- intake -------------------------------------------------------------------------------


def test_intake_creates_everything_in_one_go(responder, officer_a):
    """GIVEN a subpoena received by e-mail WHEN a responder records it THEN the case has a
    reference, the default team, the process, normalised targets, its deadline with the
    rule's citation, a public timeline entry and an access event."""
    received = timezone.now() - timedelta(hours=2)
    case = intake(
        responder,
        agency=officer_a.agency,
        received_at=received,
        return_date=date.today() + timedelta(days=10),
        targets=[
            (TargetKind.EMAIL, "Jane.Doe@Example.com"),
            (TargetKind.PHONE, "+1 202 555 0147"),
            (TargetKind.EMAIL, "jane.doe@example.com"),  # the same target twice
        ],
    )
    assert re.fullmatch(r"LR-\d{4}-\d{6}", case.reference)
    assert case.status == CaseStatus.RECEIVED and case.team.is_default
    assert case.agency == officer_a.agency and case.submitting_officer is None
    assert sorted(case.targets.values_list("normalised", flat=True)) == [
        "+12025550147",
        "jane.doe@example.com",
    ]
    response = open_deadlines(case)[D.RESPONSE]
    assert response.rule_id == "us.subpoena" and response.citation == "18 USC 2703(c)(2)"
    assert "Return date" in response.explanation_text
    assert case.next_due_at == response.due_at
    assert case.timeline.get().public
    event = AccessEvent.objects.get(action="intake")
    assert event.case_reference == case.reference and event.actor == responder
    assert case_search_hits(responder, "jane.doe@example.com") == [case]


def case_search_hits(user, query):
    from cases.selectors import case_search

    return list(case_search(user, query))


def test_references_count_up_per_prefix(responder, child_safety):
    first = intake(responder)
    second = intake(responder)
    incident = intake(
        child_safety,
        case_type=CaseType.CHILD_SAFETY,
        kind=K.CYBERTIPLINE,
        document=None,
        targets=[(TargetKind.ACCOUNT_ID, "100004417")],
    )
    n1, n2 = int(first.reference[-6:]), int(second.reference[-6:])
    assert n2 == n1 + 1
    assert incident.reference.startswith("CS-") and incident.reference.endswith("000001")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_references_are_unique_under_concurrent_intake():
    """Eight transactions asking at once get eight different numbers."""
    barrier = threading.Barrier(8)
    found: list[str] = []
    lock = threading.Lock()

    def take():
        try:
            barrier.wait()
            with transaction.atomic():
                reference = case_reference_next(case_type=CaseType.REQUEST)
            with lock:
                found.append(reference)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(found) == 8 and len(set(found)) == 8


def test_an_officer_submits_for_their_own_agency(officer_a, officer_b):
    case = intake(officer_a.user, agency=officer_b.agency, received_via="email")
    assert case.agency == officer_a.agency
    assert case.submitting_officer == officer_a
    assert case.received_via == "api"


@pytest.mark.parametrize("persona", ["auditor", "admin_user"])
def test_who_may_not_record_process(db, request, persona):
    with pytest.raises(PermissionDenied):
        intake(request.getfixturevalue(persona))


def test_responders_do_not_record_child_safety_incidents(responder):
    with pytest.raises(PermissionDenied):
        intake(responder, case_type=CaseType.CHILD_SAFETY, kind=K.CYBERTIPLINE, document=None)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"kind": K.UK_OPO, "country": "US"}, "country"),
        ({"kind": K.EU_EPOC, "country": "DK", "subdivision": ""}, "country"),
        ({"subdivision": "CA-ON"}, "subdivision"),
        ({"issuing_authority": "  "}, "issuing_authority"),
        ({"received_at": timezone.now() + timedelta(days=1)}, "received_at"),
        ({"emergency": True}, "emergency_justification"),
        ({"kind": K.US_EMERGENCY}, "emergency_justification"),
        ({"targets": []}, "targets"),
        ({"targets": [(TargetKind.EMAIL, "not an address")]}, "targets"),
        ({"document": None}, "document"),
        ({"kind": "fishing_expedition"}, "kind"),
        ({"kind": K.CYBERTIPLINE}, "case_type"),
    ],
)
def test_intake_validation_names_the_field_and_writes_nothing(responder, overrides, field):
    with pytest.raises(ValidationError) as caught:
        intake(responder, **overrides)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert not Case.objects.exists()
    assert not AccessEvent.objects.filter(action="intake").exists()


def test_all_field_errors_come_at_once(responder):
    with pytest.raises(ValidationError) as caught:
        intake(responder, country="XX", issuing_authority="", targets=[], document=None)
    assert {"country", "issuing_authority", "targets", "document"} <= set(caught.value.message_dict)


def test_preservation_request_creates_a_hold_on_its_targets(responder):
    case = intake(
        responder,
        kind=K.US_PRESERVATION,
        targets=[(TargetKind.EMAIL, "a@example.com"), (TargetKind.IP, "192.0.2.10")],
    )
    hold = case.preservations.get()
    assert hold.status == PreservationStatus.ACTIVE and hold.targets.count() == 2
    assert hold.expires_at == open_deadlines(case)[D.PRESERVATION_EXPIRY].due_at


def test_ndo_and_emergency_withhold_user_notice(responder):
    with_ndo = intake(responder, ndo=True, ndo_expires_on=date.today() + timedelta(days=200))
    emergency = intake(
        responder, kind=K.US_EMERGENCY, document=None, emergency_justification="Threat to life"
    )
    plain = intake(responder)
    assert (with_ndo.user_notice_status, with_ndo.user_notice_withheld_reason) == (
        "withheld",
        "ndo",
    )
    assert emergency.user_notice_withheld_reason == "emergency"
    assert emergency.emergency and emergency.priority == 1
    assert plain.user_notice_status == UserNoticeStatus.PENDING


def test_routing_rules_pick_the_team(responder, supervisor, other_team):
    cs_team = other_team.__class__.objects.create(name="Child safety", slug="child-safety")
    RoutingRule.objects.create(position=10, jurisdiction="DE", team=other_team)
    RoutingRule.objects.create(position=20, case_type=CaseType.CHILD_SAFETY, team=cs_team)
    epoc = intake(responder, kind=K.EU_EPOC, country="DE", subdivision="")
    incident = intake(
        supervisor, case_type=CaseType.CHILD_SAFETY, kind=K.CYBERTIPLINE, document=None
    )
    domestic = intake(responder)
    assert epoc.team == other_team
    assert incident.team == cs_team
    assert domestic.team.is_default


def test_the_document_columns_are_immutable_in_the_database(responder):
    process = intake(responder).processes.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        LegalProcess.objects.filter(pk=process.pk).update(document_sha256="0" * 64)
    LegalProcess.objects.filter(pk=process.pk).update(return_date=date(2030, 1, 1))  # allowed


def test_the_timeline_is_append_only(responder):
    event = intake(responder).timeline.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        TimelineEvent.objects.filter(pk=event.pk).update(message="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        TimelineEvent.objects.filter(pk=event.pk).delete()


# --- deadlines follow their inputs -----------------------------------------------------------


def test_changing_the_return_date_recomputes(responder):
    case = intake(responder)
    process = case.processes.get()
    process_update(
        process=process,
        actor=responder,
        reason="Return date misread",
        return_date=date.today() + timedelta(days=3),
    )
    due = open_deadlines(case)[D.RESPONSE].due_at
    assert due.date() in {date.today() + timedelta(days=3), date.today() + timedelta(days=4)}
    case.refresh_from_db()
    assert case.next_due_at == due
    assert AccessEvent.objects.filter(action="process_update").exists()


def test_an_ndo_added_later_brings_its_clock_and_withholds_notice(responder):
    case = intake(responder)
    process_update(
        process=case.processes.get(),
        actor=responder,
        reason="NDO arrived",
        ndo=True,
        ndo_expires_on=date.today() + timedelta(days=180),
    )
    assert D.USER_NOTICE in open_deadlines(case)
    case.refresh_from_db()
    assert case.user_notice_status == "withheld"
    process_update(
        process=case.processes.get(),
        actor=responder,
        reason="NDO vacated",
        ndo=False,
        ndo_expires_on=None,
    )
    assert D.USER_NOTICE not in open_deadlines(case)


def test_disclosure_meets_the_response_and_closing_keeps_duties_open(supervisor, legal):
    from tests.reports.disclosures.helpers import answered

    case = intake(supervisor, ndo=True, ndo_expires_on=date.today() + timedelta(days=90))
    for target in ["triage", "legal_review", "approved", "collecting", "ready_to_disclose"]:
        case = case_transition(case=case, to_status=target, actor=supervisor).case
    answered(case, preparer=supervisor, approver=legal)  # the "disclosed" guard's condition
    case = case_transition(case=case, to_status="disclosed", actor=supervisor).case
    response = case.deadlines.get(kind=D.RESPONSE)
    assert response.status == DeadlineStatus.MET
    case = case_transition(case=case, to_status="closed", actor=supervisor).case
    assert set(open_deadlines(case)) == {D.USER_NOTICE}
    assert case.next_due_at == open_deadlines(case)[D.USER_NOTICE].due_at


def test_withdrawal_cancels_the_work_deadlines(responder):
    case = intake(responder)
    case_transition(case=case, to_status="withdrawn", actor=responder, reason="Agency withdrew")
    assert case.deadlines.get(kind=D.RESPONSE).status == DeadlineStatus.CANCELLED
    case.refresh_from_db()
    assert case.next_due_at is None


def test_emergency_first_decision_is_met_by_the_decision(responder, legal):
    case = intake(
        responder,
        kind=K.US_EMERGENCY,
        document=None,
        emergency_justification="Credible threat to life",
    )
    assert D.FIRST_DECISION in open_deadlines(case)
    case_transition(case=case, to_status="emergency_review", actor=responder)
    case.refresh_from_db()
    case_transition(case=case, to_status="approved", actor=responder)
    case_transition(case=case, to_status="approved", actor=legal)
    assert case.deadlines.get(kind=D.FIRST_DECISION).status == DeadlineStatus.MET


# --- overrides -------------------------------------------------------------------------------


def test_a_supervisor_overrides_with_a_reason_and_the_original_is_kept(supervisor):
    case = intake(supervisor)
    deadline = open_deadlines(case)[D.RESPONSE]
    computed = deadline.due_at
    new_due = computed + timedelta(days=5)
    deadline_override(deadline=deadline, due_at=new_due, reason="Agency agreed", actor=supervisor)
    deadline.refresh_from_db()
    assert deadline.due_at == new_due and deadline.original_due_at == computed
    assert deadline.overridden_by == supervisor and deadline.override_reason == "Agency agreed"
    case.refresh_from_db()
    assert case.next_due_at == new_due
    event = AccessEvent.objects.get(action="deadline_override")
    assert event.details["before"] == computed.isoformat()
    # recomputation keeps the override and refreshes the rule's value
    process_update(
        process=case.processes.get(),
        actor=supervisor,
        reason="date",
        return_date=date.today() + timedelta(days=2),
    )
    deadline.refresh_from_db()
    assert deadline.due_at == new_due and deadline.original_due_at != computed


@pytest.mark.parametrize("persona", ["responder", "legal", "auditor"])
def test_only_supervisors_override(request, persona, supervisor):
    case = intake(supervisor)
    deadline = open_deadlines(case)[D.RESPONSE]
    with pytest.raises(CaseNotFound):
        deadline_override(
            deadline=deadline,
            due_at=deadline.due_at + timedelta(days=1),
            reason="Please",
            actor=request.getfixturevalue(persona),
        )
    deadline.refresh_from_db()
    assert not deadline.is_overridden


def test_an_override_needs_a_reason(supervisor):
    case = intake(supervisor)
    deadline = open_deadlines(case)[D.RESPONSE]
    with pytest.raises(ValidationError) as caught:
        deadline_override(deadline=deadline, due_at=deadline.due_at, reason=" ", actor=supervisor)
    assert "reason" in caught.value.message_dict


# --- preservation ----------------------------------------------------------------------------


def test_a_2703f_hold_extends_once_to_180_days(responder):
    case = intake(responder, kind=K.US_PRESERVATION)
    hold = case.preservations.get()
    first_expiry = hold.expires_at
    hold = preservation_extend(preservation=hold, actor=responder, note="Renewed request")
    assert hold.status == PreservationStatus.EXTENDED and hold.extension_count == 1
    assert (hold.expires_at - first_expiry).days == 90
    assert open_deadlines(case)[D.PRESERVATION_EXPIRY].due_at == hold.expires_at
    with pytest.raises(ValidationError, match="cannot be extended further"):
        preservation_extend(preservation=hold, actor=responder)


def test_a_canadian_demand_cannot_be_extended(responder):
    case = intake(responder, kind=K.CA_PRESERVATION_DEMAND, country="CA", subdivision="CA-ON")
    with pytest.raises(ValidationError, match="cannot be extended"):
        preservation_extend(preservation=case.preservations.get(), actor=responder)


def test_releasing_a_hold_meets_its_expiry(responder):
    case = intake(responder, kind=K.US_PRESERVATION)
    hold = preservation_release(
        preservation=case.preservations.get(), actor=responder, reason="Expired, no process"
    )
    assert hold.status == PreservationStatus.RELEASED and hold.released_by == responder
    assert case.deadlines.get(kind=D.PRESERVATION_EXPIRY).status == DeadlineStatus.MET
    with pytest.raises(ValidationError):
        preservation_release(preservation=hold, actor=responder, reason="again")


def test_a_hold_superseded_by_a_warrant(responder):
    case = intake(responder, kind=K.US_PRESERVATION)
    warrant = LegalProcess.objects.create(
        case=case,
        kind=K.US_SEARCH_WARRANT,
        country="US",
        issuing_authority="US District Court",
        received_at=timezone.now(),
    )
    hold = preservation_release(
        preservation=case.preservations.get(),
        actor=responder,
        reason="Warrant served",
        superseded_by=warrant,
    )
    assert hold.status == PreservationStatus.SUPERSEDED and hold.superseded_by == warrant


def test_targets_added_later_join_the_hold(responder):
    case = intake(responder, kind=K.US_PRESERVATION)
    process = case.processes.get()
    targets_add(process=process, targets=[(TargetKind.USERNAME, "@late_addition")], actor=responder)
    assert Preservation.objects.get(case=case).targets.filter(normalised="late_addition").exists()


# --- user notice -----------------------------------------------------------------------------


def test_notice_cannot_be_sent_while_an_ndo_is_in_force(legal):
    case = intake(legal, ndo=True, ndo_expires_on=date.today() + timedelta(days=30))
    with pytest.raises(ValidationError, match="forbids notice"):
        user_notice_update(case=case, status="sent", actor=legal)


def test_notice_after_the_ndo_expired_meets_the_notice_deadline(legal):
    case = intake(legal, ndo=True, ndo_expires_on=date.today() + timedelta(days=30))
    LegalProcess.objects.filter(case=case).update(ndo_expires_on=date.today() - timedelta(days=1))
    case = user_notice_update(case=case, status="sent", actor=legal)
    assert case.user_notice_status == "sent" and case.user_notice_sent_at is not None
    assert case.deadlines.get(kind=D.USER_NOTICE).status == DeadlineStatus.MET


def test_withholding_needs_a_reason(legal):
    case = intake(legal)
    with pytest.raises(ValidationError) as caught:
        user_notice_update(case=case, status="withheld", actor=legal)
    assert "reason" in caught.value.message_dict
    case = user_notice_update(case=case, status="withheld", reason="futile", actor=legal)
    assert case.user_notice_withheld_reason == "futile"


# --- assignment, notes, team -----------------------------------------------------------------


def test_assign_and_unassign(responder, second_responder):
    case = CaseFactory()
    case_assign(case=case, assignee=second_responder, actor=responder)
    case.refresh_from_db()
    assert case.assignee == second_responder
    case_assign(case=case, assignee=None, actor=responder)
    case.refresh_from_db()
    assert case.assignee is None
    assert AccessEvent.objects.filter(action="assign").count() == 2
    assert case.timeline.filter(kind="assignment").count() == 2


def test_a_case_cannot_go_to_someone_who_cannot_open_it(responder, child_safety, outsider):
    case = CaseFactory()
    for person in (child_safety, outsider):
        with pytest.raises(ValidationError) as caught:
            case_assign(case=case, assignee=person, actor=responder)
        assert "assignee" in caught.value.message_dict


@pytest.mark.parametrize("persona", ["auditor", "outsider", "officer_a"])
def test_who_may_not_work_a_case(request, persona, responder):
    case = CaseFactory()
    actor = request.getfixturevalue(persona)
    actor = getattr(actor, "user", actor)
    with pytest.raises(CaseNotFound):
        note_add(case=case, author=actor, body="hello")
    with pytest.raises(CaseNotFound):
        case_assign(case=case, assignee=responder, actor=actor)
    assert AccessEvent.objects.filter(outcome="denied", actor=actor).count() == 2


def test_notes_are_internal(responder):
    case = CaseFactory()
    note = note_add(case=case, author=responder, body="Called the agency back")
    assert note.body == "Called the agency back"
    assert not case.timeline.get(kind="note").public
    with pytest.raises(ValidationError):
        note_add(case=case, author=responder, body="   ")


def test_a_supervisor_moves_a_case_to_another_team(supervisor, responder, other_team):
    case = CaseFactory(assignee=responder)
    case_team_change(case=case, team=other_team, actor=supervisor, reason="EU request")
    case.refresh_from_db()
    assert case.team == other_team and case.assignee is None  # not a member there
    with pytest.raises(CaseNotFound):  # the responder no longer sees it
        note_add(case=case, author=responder, body="x")


def test_responders_cannot_move_teams(responder, other_team):
    case = CaseFactory()
    with pytest.raises(CaseNotFound):
        case_team_change(case=case, team=other_team, actor=responder, reason="x")


# --- rules that were in the adapters (issue 11) ----------------------------------------------


def test_staff_intake_with_an_ndo_expiry_records_the_order(responder):
    """The officer form and the API implied the NDO from its expiry; the staff form did not
    and the service refused the same facts. The service decides it now, for every channel."""
    case = intake(responder, ndo_expires_on=date(2027, 1, 1))

    process = case.processes.get()
    assert process.ndo is True
    assert process.ndo_expires_on == date(2027, 1, 1)
    assert case.user_notice_status == UserNoticeStatus.WITHHELD


def test_an_issuing_authority_left_empty_is_the_agency(responder, officer_a):
    case = intake(responder, issuing_authority="", agency=officer_a.agency)

    assert case.processes.get().issuing_authority == "Agency A Police"


def test_a_correction_giving_an_ndo_expiry_records_the_order(legal):
    case = intake(legal)
    process = case.processes.get()

    process_update(
        process=process,
        actor=legal,
        reason="The order came with the process.",
        ndo_expires_on=date(2027, 6, 30),
    )

    process.refresh_from_db()
    assert (process.ndo, process.ndo_expires_on) == (True, date(2027, 6, 30))


def test_user_notice_on_a_child_safety_case_is_refused_by_the_service(child_safety):
    """Only the views and a template kept notice off child-safety cases; the service
    recorded a notice as sent. Notice could warn an abuser: the service refuses it."""
    case = intake(
        child_safety,
        case_type=CaseType.CHILD_SAFETY,
        kind=K.CYBERTIPLINE,
        document=None,
        targets=[(TargetKind.ACCOUNT_ID, "100004417")],
    )

    with pytest.raises(ValidationError) as caught:
        user_notice_update(case=case, status=UserNoticeStatus.SENT, actor=child_safety)

    assert "status" in caught.value.message_dict
    case.refresh_from_db()
    assert case.user_notice_status == UserNoticeStatus.WITHHELD
    assert case.user_notice_sent_at is None
