"""The case page and its actions: what each persona sees and can do, errors kept on the
form, conflicts as messages, downloads as attachments, every read in the access log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    Case,
    CaseStatus,
    DeadlineStatus,
    PreservationStatus,
    ProcessKind,
    TargetKind,
    UserNoticeStatus,
)
from cases.workflow import case_transition
from portal.audit.models import AccessEvent
from tests.cases.documents import pdf_bytes, upload
from tests.cases.factories import intake
from tests.factories import AgencyFactory, verified_client


def page_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.reference])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def case(responder):
    agency = AgencyFactory(name="Example County Sheriff")
    return intake(
        responder,
        agency=agency,
        authority_reference="SO-2026-0412",
        received_at=timezone.now() - timedelta(days=2),
        targets=[(TargetKind.EMAIL, "night.owl@example.com"), (TargetKind.PHONE, "+12025550143")],
    )


@pytest.fixture
def hold(responder):
    return intake(
        responder,
        kind=ProcessKind.US_PRESERVATION,
        received_at=timezone.now() - timedelta(days=1),
        targets=[(TargetKind.EMAIL, "night.owl@example.com")],
    )


# --- the page -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_shows_the_case_its_deadline_rule_targets_and_timeline(responder, case):
    response = verified_client(responder).get(page_url(case))
    assert response.status_code == 200
    text = response.text
    deadline = case.deadlines.get()
    assert case.reference in text
    assert "Example County Sheriff" in text and "SO-2026-0412" in text
    assert f"<code>{deadline.rule_id}</code>" in text
    assert deadline.citation in text
    assert str(deadline.explanation_text) in text
    assert "night.owl@example.com" in text and "+12025550143" in text
    assert "Received US subpoena" in text  # the intake timeline event
    assert case.processes.get().document_sha256 in text


@pytest.mark.django_db
def test_viewing_the_case_is_logged_once_with_the_reference(responder, case):
    before = AccessEvent.objects.filter(action="view", case_reference=case.reference).count()
    verified_client(responder).get(page_url(case))
    views = AccessEvent.objects.filter(action="view", case_reference=case.reference)
    assert views.count() == before + 1
    assert views.latest("pk").actor == responder


@pytest.mark.django_db
def test_other_cases_naming_the_same_target_are_pointed_out(responder, case, hold):
    text = verified_client(responder).get(page_url(case)).text
    assert "Also requested by" in text
    assert reverse("cases:detail", args=[hold.reference]) in text


@pytest.mark.django_db
def test_also_requested_by_never_names_a_case_the_viewer_cannot_see(
    responder, case, other_team, supervisor
):
    elsewhere = intake(responder, targets=[(TargetKind.EMAIL, "night.owl@example.com")])
    Case.objects.filter(pk=elsewhere.pk).update(team=other_team)
    text = verified_client(responder).get(page_url(case)).text
    assert elsewhere.reference not in text


@pytest.mark.django_db
def test_buttons_are_only_the_transitions_the_role_may_take(responder, legal, case):
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.TRIAGE)
    as_responder = verified_client(responder).get(page_url(case)).text
    as_legal = verified_client(legal).get(page_url(case)).text
    assert "Send to legal review</button>" in as_responder
    assert ">Reject</button>" not in as_responder
    assert 'Reject <span class="muted">(Legal, Supervisor)</span>' in as_responder
    assert ">Reject</button>" in as_legal


@pytest.mark.django_db
def test_an_auditor_reads_the_case_but_gets_no_forms(auditor, case):
    text = verified_client(auditor).get(page_url(case)).text
    assert case.reference in text
    assert '<form method="post" action="/cases/' not in text
    assert "Access history" in text  # auditors read the access log


@pytest.mark.django_db
def test_override_and_team_forms_show_to_supervisors_only(responder, supervisor, case):
    as_responder = verified_client(responder).get(page_url(case)).text
    as_supervisor = verified_client(supervisor).get(page_url(case)).text
    assert "Save override" not in as_responder and "Move to team" not in as_responder
    assert "Save override" in as_supervisor and "Move to team" in as_supervisor


# --- transitions ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_transition_moves_the_case_and_says_so(responder, case):
    client = verified_client(responder)
    response = client.post(
        reverse("cases:transition", args=[case.reference]),
        {"to_status": "triage", "expected_status": "received"},
    )
    assert response.status_code == 302 and response["Location"] == page_url(case)
    case.refresh_from_db()
    assert case.status == CaseStatus.TRIAGE
    assert f"{case.reference} is now “triage”." in messages_of(response)
    assert "Status changed from received to triage." in client.get(page_url(case)).text


@pytest.mark.django_db
def test_steps_and_refusals_are_logged_with_the_callers_address(responder, outsider, case):
    """The services take no request: the access log's request context supplies where a
    step or a refusal came from (issue 11, item 4)."""
    refused = verified_client(outsider).get(page_url(case), REMOTE_ADDR="198.51.100.23")
    assert refused.status_code == 404
    denial = AccessEvent.objects.get(actor=outsider, outcome="denied", action="case_view")
    assert str(denial.ip) == "198.51.100.23" and denial.request_id
    moved = verified_client(responder).post(
        reverse("cases:transition", args=[case.reference]),
        {"to_status": "triage", "expected_status": "received"},
        REMOTE_ADDR="198.51.100.24",
    )
    assert moved.status_code == 302
    step = AccessEvent.objects.get(actor=responder, action="transition")
    assert str(step.ip) == "198.51.100.24" and step.request_id


@pytest.mark.django_db
def test_a_missing_reason_is_shown_on_the_form_and_nothing_moves(legal, case):
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.TRIAGE)
    response = verified_client(legal).post(
        reverse("cases:transition", args=[case.reference]),
        {"to_status": "rejected", "expected_status": "triage", "reason": "  "},
    )
    assert response.status_code == 400
    assert "This field is required." in response.text
    assert '<details class="transition-reason" open>' in response.text
    case.refresh_from_db()
    assert case.status == CaseStatus.TRIAGE


@pytest.mark.django_db
def test_someone_else_moved_the_case_is_a_message_not_an_error(responder, second_responder, case):
    # GIVEN two responders looking at the same received case
    # WHEN the second one starts triage first
    case_transition(case=case, to_status="triage", actor=second_responder)
    # AND the first one presses the same button on their stale page
    response = verified_client(responder).post(
        reverse("cases:transition", args=[case.reference]),
        {"to_status": "triage", "expected_status": "received"},
    )
    # THEN they are told, and the case moved once
    assert response.status_code == 302
    assert any("Someone else moved this case" in m for m in messages_of(response))
    assert case.timeline.filter(kind="transition").count() == 1


@pytest.mark.django_db
def test_a_step_the_role_may_not_take_is_refused_with_a_message(responder, case):
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.TRIAGE)
    response = verified_client(responder).post(
        reverse("cases:transition", args=[case.reference]),
        {"to_status": "rejected", "expected_status": "triage", "reason": "no"},
    )
    assert response.status_code == 302
    assert any("Your role may not take this step" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.status == CaseStatus.TRIAGE


@pytest.mark.django_db
def test_a_forged_status_is_refused_without_a_500(responder, case):
    response = verified_client(responder).post(
        reverse("cases:transition", args=[case.reference]),
        {"to_status": "party", "expected_status": "received"},
    )
    assert response.status_code == 302
    assert messages_of(response) == ["That step does not exist; reload the case."]


@pytest.mark.django_db
def test_emergency_approval_needs_a_second_person(responder, second_responder):
    case = intake(
        responder,
        kind=ProcessKind.US_EMERGENCY,
        emergency=True,
        emergency_justification="Threat to life stated by the agency.",
        document=None,
    )
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.EMERGENCY_REVIEW)
    url = reverse("cases:transition", args=[case.reference])
    data = {"to_status": "approved", "expected_status": "emergency_review"}
    first = verified_client(responder).post(url, data)
    assert any("another person must approve" in m for m in messages_of(first))
    case.refresh_from_db()
    assert case.status == CaseStatus.EMERGENCY_REVIEW
    verified_client(second_responder).post(url, data)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED


# --- assignment, notes, files ----------------------------------------------------------------


@pytest.mark.django_db
def test_assign_to_me_then_to_a_colleague_then_unassign(responder, second_responder, case):
    client = verified_client(responder)
    url = reverse("cases:assign", args=[case.reference])
    response = client.post(url, {"self-assignee": responder.pk})
    assert f"{case.reference} is assigned to you." in messages_of(response)
    case.refresh_from_db()
    assert case.assignee == responder
    client.post(url, {"assignee": second_responder.pk})
    case.refresh_from_db()
    assert case.assignee == second_responder
    client.post(url, {"assignee": ""})
    case.refresh_from_db()
    assert case.assignee is None


@pytest.mark.django_db
def test_assigning_someone_who_cannot_work_the_case_is_a_field_error(responder, outsider, case):
    response = verified_client(responder).post(
        reverse("cases:assign", args=[case.reference]), {"assignee": outsider.pk}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    case.refresh_from_db()
    assert case.assignee is None


@pytest.mark.django_db
def test_assign_to_me_for_someone_else_is_refused(responder, second_responder, case):
    response = verified_client(responder).post(
        reverse("cases:assign", args=[case.reference]), {"self-assignee": second_responder.pk}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.assignee is None


@pytest.mark.django_db
def test_a_note_is_added_and_an_empty_one_is_a_field_error(responder, case):
    client = verified_client(responder)
    url = reverse("cases:note_add", args=[case.reference])
    empty = client.post(url, {"note-body": "   "})
    assert empty.status_code == 400
    assert "This field is required." in empty.text
    client.post(url, {"note-body": "Called the clerk: docket number confirmed."})
    assert case.notes.get().body == "Called the clerk: docket number confirmed."


@pytest.mark.django_db
def test_a_note_too_long_keeps_what_was_typed(responder, case):
    body = "x" * 20_001
    response = verified_client(responder).post(
        reverse("cases:note_add", args=[case.reference]), {"note-body": body}
    )
    assert response.status_code == 400
    assert body in response.text
    assert not case.notes.exists()


@pytest.mark.django_db
def test_an_attachment_is_checked_stored_and_downloaded_as_a_logged_attachment(responder, case):
    client = verified_client(responder)
    url = reverse("cases:attachment_add", args=[case.reference])
    bad = client.post(url, {"file-file": upload("page.html", b"<script>alert(1)</script>")})
    assert bad.status_code == 400
    assert "Only PDF documents and images" in bad.text
    client.post(
        url,
        {"file-file": upload("reply.pdf", pdf_bytes("Reply")), "file-description": "Reply"},
    )
    attachment = case.attachments.get()
    download = client.get(
        reverse("cases:attachment_download", args=[case.reference, attachment.pk])
    )
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="reply.pdf"'
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert b"".join(download.streaming_content) == pdf_bytes("Reply")
    event = AccessEvent.objects.filter(action="download").latest("pk")
    assert event.case_reference == case.reference
    assert event.details["sha256"] == attachment.sha256


@pytest.mark.django_db
def test_the_process_document_downloads_as_an_attachment_and_is_logged(auditor, case):
    process = case.processes.get()
    response = verified_client(auditor).get(
        reverse("cases:process_document", args=[case.reference, process.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    event = AccessEvent.objects.filter(action="download").latest("pk")
    assert (event.actor, event.object_id) == (auditor, str(process.pk))


@pytest.mark.django_db
def test_a_document_of_another_case_is_404_through_this_case(responder, case, hold):
    other_process = hold.processes.get()
    response = verified_client(responder).get(
        reverse("cases:process_document", args=[case.reference, other_process.pk])
    )
    assert response.status_code == 404


# --- deadlines, holds, notice, team ------------------------------------------------------------


@pytest.mark.django_db
def test_a_supervisor_overrides_a_deadline_and_a_missing_reason_keeps_the_time(supervisor, case):
    client = verified_client(supervisor)
    deadline = case.deadlines.get()
    url = reverse("cases:deadline_override", args=[case.reference, deadline.pk])
    field = f"d{deadline.pk}"
    missing = client.post(url, {f"{field}-due_at": "2030-01-15T17:00", f"{field}-reason": ""})
    assert missing.status_code == 400
    assert 'value="2030-01-15T17:00"' in missing.text
    client.post(url, {f"{field}-due_at": "2030-01-15T17:00", f"{field}-reason": "Agreed."})
    deadline.refresh_from_db()
    assert deadline.due_at.isoformat() == "2030-01-15T17:00:00+00:00"
    assert deadline.override_reason == "Agreed." and deadline.overridden_by == supervisor


@pytest.mark.django_db
def test_override_times_are_read_in_the_supervisors_zone(supervisor, case):
    supervisor.time_zone = "America/New_York"
    supervisor.save()
    deadline = case.deadlines.get()
    verified_client(supervisor).post(
        reverse("cases:deadline_override", args=[case.reference, deadline.pk]),
        {f"d{deadline.pk}-due_at": "2030-01-15T17:00", f"d{deadline.pk}-reason": "Agreed."},
    )
    deadline.refresh_from_db()
    assert deadline.due_at.isoformat() == "2030-01-15T22:00:00+00:00"


@pytest.mark.django_db
def test_a_hold_is_extended_once_then_only_release_is_offered(responder, hold):
    client = verified_client(responder)
    preservation = hold.preservations.get()
    before = preservation.expires_at
    client.post(
        reverse("cases:preservation_extend", args=[hold.reference, preservation.pk]),
        {f"x{preservation.pk}-note": "Renewed request of 2026-03-01"},
    )
    preservation.refresh_from_db()
    assert preservation.extension_count == 1 and preservation.expires_at > before
    text = client.get(page_url(hold)).text
    assert "Extend preservation" not in text and "Release preservation" in text
    again = client.post(
        reverse("cases:preservation_extend", args=[hold.reference, preservation.pk]),
        {f"x{preservation.pk}-note": ""},
    )
    assert again.status_code == 302
    assert any("cannot be extended further" in m for m in messages_of(again))


@pytest.mark.django_db
def test_a_hold_is_released_with_a_reason(responder, hold):
    client = verified_client(responder)
    preservation = hold.preservations.get()
    url = reverse("cases:preservation_release", args=[hold.reference, preservation.pk])
    assert client.post(url, {f"r{preservation.pk}-reason": ""}).status_code == 400
    client.post(url, {f"r{preservation.pk}-reason": "Agency withdrew the request."})
    preservation.refresh_from_db()
    assert preservation.status == PreservationStatus.RELEASED
    assert not hold.deadlines.filter(
        kind="preservation_expiry", status=DeadlineStatus.OPEN
    ).exists()


@pytest.mark.django_db
def test_user_notice_withheld_needs_a_reason_then_is_recorded(responder, case):
    client = verified_client(responder)
    url = reverse("cases:user_notice", args=[case.reference])
    missing = client.post(url, {"notice-status": "withheld", "notice-reason": ""})
    assert missing.status_code == 400
    assert "Say why notice is withheld." in missing.text
    client.post(url, {"notice-status": "withheld", "notice-reason": "futile"})
    case.refresh_from_db()
    assert case.user_notice_status == UserNoticeStatus.WITHHELD


@pytest.mark.django_db
def test_notice_cannot_be_sent_while_an_ndo_is_in_force(responder):
    case = intake(responder, ndo=True, ndo_expires_on=(timezone.now() + timedelta(days=90)).date())
    response = verified_client(responder).post(
        reverse("cases:user_notice", args=[case.reference]), {"notice-status": "sent"}
    )
    assert response.status_code == 400
    assert "A non-disclosure order forbids notice" in response.text


@pytest.mark.django_db
def test_a_supervisor_moves_the_case_out_of_their_teams_and_lands_on_the_queue(
    supervisor, other_team, case
):
    response = verified_client(supervisor).post(
        reverse("cases:team_change", args=[case.reference]),
        {"team-team": other_team.pk, "team-reason": "Agency is in the EMEA region."},
    )
    assert response.status_code == 302 and response["Location"] == reverse("cases:queue")
    case.refresh_from_db()
    assert case.team == other_team


@pytest.mark.django_db
def test_the_case_page_query_count_does_not_grow_with_its_contents(responder, supervisor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.services import note_add, targets_add

    case = intake(supervisor, targets=[(TargetKind.EMAIL, "one@example.com")])
    client = verified_client(supervisor)
    client.get(page_url(case))  # the session's renewal (once a minute) is in neither count
    with CaptureQueriesContext(connection) as small:
        client.get(page_url(case))
    process = case.processes.get()
    targets_add(
        process=process,
        targets=[(TargetKind.EMAIL, f"more{n}@example.com") for n in range(10)],
        actor=supervisor,
    )
    for n in range(10):
        note_add(case=case, author=supervisor, body=f"note {n}")
        intake(responder, targets=[(TargetKind.EMAIL, f"more{n}@example.com")])
    with CaptureQueriesContext(connection) as large:
        response = client.get(page_url(case))
    assert response.text.count("Also requested by") == 10
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
def test_a_child_safety_analyst_works_child_safety_cases_only(child_safety, responder):
    from tests.cases.factories import CaseFactory

    incident = CaseFactory(child_safety=True)
    client = verified_client(child_safety)
    page = client.get(page_url(incident))
    assert page.status_code == 200
    assert "Start triage</button>" in page.text
    assert 'id="user-notice"' not in page.text  # no notice to the account holder here
    assert incident.reference in client.get(reverse("cases:queue")).text
    assert verified_client(responder).get(page_url(incident)).status_code == 404
