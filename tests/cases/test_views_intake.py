"""The intake form: process that arrived by e-mail, fax or post becomes a case, or every
problem is shown next to its field with what was typed kept and nothing stored."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.intake_forms import target_lines_parse
from cases.models import Case, ProcessKind, ReceivedVia, TargetKind, UserNoticeStatus
from cases.services import TargetInput
from portal.audit.models import AccessEvent
from tests.cases.conftest import stored_files
from tests.cases.documents import pdf_upload, upload
from tests.factories import AgencyFactory, verified_client

INTAKE = reverse("cases:intake")


def form_data(**overrides) -> dict:
    received = timezone.localtime(timezone.now() - timedelta(hours=2))
    data = {
        "kind": ProcessKind.US_SUBPOENA,
        "received_via": ReceivedVia.FAX,
        "received_at": received.strftime("%Y-%m-%dT%H:%M"),
        "country": "US",
        "subdivision": "US-CA",
        "issuing_authority": "Superior Court of Example County",
        "authority_reference": "SC-2026-77",
        "targets": "email:Night.Owl@Example.com\n+1 202 555 0143\nusername:@owl",
        "priority": "3",
        "document": pdf_upload(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_the_form_opens_with_the_time_of_receipt_in_the_viewers_zone(responder):
    responder.time_zone = "Asia/Tokyo"
    responder.save()
    response = verified_client(responder).get(INTAKE)
    assert response.status_code == 200
    # typed in the shape the pages show times in (not the browser's picker), zone named
    assert "As YYYY-MM-DD HH:MM, 24-hour, in your time zone (Asia/Tokyo)." in response.text
    field = re.search(r'<input type="text" name="received_at"[^>]*>', response.text)
    assert field and 'placeholder="YYYY-MM-DD HH:MM"' in field.group(0)
    tokyo_now = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert f'value="{tokyo_now:%Y-%m-%d} ' in field.group(0)
    assert '<span class="input-zone">Asia/Tokyo</span>' in response.text


@pytest.mark.django_db
def test_a_faxed_subpoena_becomes_a_case(responder, media_root):
    response = verified_client(responder).post(INTAKE, form_data())
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.reference])
    process = case.processes.get()
    assert case.received_via == ReceivedVia.FAX
    assert process.authority_reference == "SC-2026-77"
    assert sorted(case.targets.values_list("kind", "normalised")) == [
        (TargetKind.EMAIL, "night.owl@example.com"),
        (TargetKind.PHONE, "+12025550143"),
        (TargetKind.USERNAME, "owl"),
    ]
    assert case.deadlines.filter(rule_id__startswith="us.subpoena").exists()
    assert len(stored_files(media_root)) == 1
    assert AccessEvent.objects.filter(action="intake", case_reference=case.reference).exists()


@pytest.mark.django_db
def test_received_at_is_read_in_the_viewers_zone(responder):
    responder.time_zone = "America/Los_Angeles"
    responder.save()
    verified_client(responder).post(INTAKE, form_data(received_at="2026-01-10T09:30"))
    received = Case.objects.get().processes.get().received_at
    assert received.isoformat() == "2026-01-10T17:30:00+00:00"


@pytest.mark.django_db
def test_an_agency_fills_in_country_and_authority_left_empty(responder):
    agency = AgencyFactory(name="Example County Sheriff", country="US")
    verified_client(responder).post(
        INTAKE, form_data(agency=agency.pk, country="", subdivision="", issuing_authority="")
    )
    case = Case.objects.get()
    process = case.processes.get()
    assert case.agency == agency
    assert (process.country, process.issuing_authority) == ("US", "Example County Sheriff")


@pytest.mark.django_db
def test_an_ndo_withholds_user_notice(responder):
    expiry = (timezone.now() + timedelta(days=200)).date().isoformat()
    verified_client(responder).post(INTAKE, form_data(ndo="on", ndo_expires_on=expiry))
    case = Case.objects.get()
    assert case.user_notice_status == UserNoticeStatus.WITHHELD
    assert case.processes.get().ndo_expires_on.isoformat() == expiry


@pytest.mark.django_db
def test_every_problem_is_shown_by_its_field_input_kept_nothing_stored(responder, media_root):
    data = form_data(
        country="XX",
        targets="email:not-an-address\nphone:12\nfax:123",
        emergency="on",
        emergency_justification="",
        document=upload("order.html", b"<html><script>alert(1)</script></html>", "text/html"),
        authority_reference="SC-2026-77",
    )
    response = verified_client(responder).post(INTAKE, data)
    assert response.status_code == 400
    text = response.text
    for message in (
        "Give the country as an ISO 3166-1 code",
        "Target 1:",
        "Target 2:",
        "Target 3:",
        "Say why this is an emergency",
        "This file is a web page (HTML), not a PDF.",
        "Only PDF documents and images",
    ):
        assert message in text, message
    assert "email:not-an-address\nphone:12\nfax:123</textarea>" in text
    assert 'value="SC-2026-77"' in text
    assert "The case was not created." in text
    # the error is tied to its input for screen readers
    assert 'aria-describedby="id_targets_helptext id_targets_error"' in text
    assert 'id="id_targets_error"' in text and 'aria-invalid="true"' in text
    assert not Case.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_a_missing_document_and_missing_targets_are_field_errors(responder):
    response = verified_client(responder).post(INTAKE, form_data(targets="", document=None))
    assert response.status_code == 400
    assert "This field is required." in response.text
    response = verified_client(responder).post(INTAKE, form_data(document=None))
    assert "Attach the legal process document (PDF or image)." in response.text
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_receipt_time_in_the_future_is_refused(responder):
    future = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = verified_client(responder).post(INTAKE, form_data(received_at=future))
    assert response.status_code == 400
    assert "The time of receipt cannot be in the future." in response.text


def test_target_lines_with_and_without_a_type():
    assert target_lines_parse(
        "email:a@example.com\n\n  https://example.com/p/1 \nurl:http://example.com\n"
        "198.51.100.7\n2001:db8::1\nplainname\nACCOUNT: 10001"
    ) == [
        TargetInput(TargetKind.EMAIL, "a@example.com"),
        TargetInput(TargetKind.URL, "https://example.com/p/1"),
        TargetInput(TargetKind.URL, "http://example.com"),
        TargetInput(TargetKind.IP, "198.51.100.7"),
        TargetInput(TargetKind.IP, "2001:db8::1"),
        TargetInput("", "plainname"),
        TargetInput(TargetKind.ACCOUNT_ID, "10001"),
    ]


# --- child-safety incidents (issue 9, item 3) ------------------------------------------------


def incident_data(**overrides) -> dict:
    found = timezone.localtime(timezone.now() - timedelta(minutes=30))
    data = {
        "reported_kind": TargetKind.ACCOUNT_ID,
        "reported_user": "100031337",
        "content": "https://example.com/p/8812\nhttps://example.com/m/77",
        "other_identifiers": "203.0.113.9",
        "description": "Apparent exploitation material in a public post (fictitious).",
        "how_found": "user_report",
        "detected_at": found.strftime("%Y-%m-%dT%H:%M"),
        "urgency": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_a_child_safety_analyst_records_an_incident(child_safety):
    """The analyst got a 404 at /cases/new/ and had no way to record an incident."""
    client = verified_client(child_safety)
    page = client.get(INTAKE)
    assert page.status_code == 200
    assert b"Record a child-safety incident" in page.content

    answer = client.post(INTAKE, incident_data())

    assert answer.status_code == 302
    case = Case.objects.get()
    assert answer["Location"] == reverse("cases:detail", args=[case.reference])
    assert case.reference.startswith("CS-")
    assert case.priority == 1 and case.received_via == ReceivedVia.INTERNAL
    assert case.user_notice_status == UserNoticeStatus.WITHHELD
    process = case.processes.get()
    assert process.kind == ProcessKind.CYBERTIPLINE
    assert process.issuing_authority == "Internal detection (user report)"
    assert set(case.targets.values_list("kind", "normalised")) >= {
        (TargetKind.ACCOUNT_ID, "100031337"),
        (TargetKind.IP, "203.0.113.9"),
    }
    assert case.targets.filter(kind=TargetKind.URL).count() == 2
    assert case.deadlines.filter(kind="report").exists()  # the CyberTipline report duty


@pytest.mark.django_db
def test_an_incident_without_its_content_is_refused_with_the_input_kept(child_safety):
    answer = verified_client(child_safety).post(INTAKE, incident_data(content=""))

    assert answer.status_code == 400
    assert b"100031337" in answer.content
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_each_role_gets_only_the_intake_it_may_use(responder, child_safety, supervisor):
    assert verified_client(responder).get(INTAKE, {"type": "child_safety"}).status_code == 404
    assert verified_client(child_safety).get(INTAKE, {"type": "request"}).status_code == 404
    both = verified_client(supervisor)
    assert b"Record a child-safety incident instead" in both.get(INTAKE).content
    assert both.get(INTAKE, {"type": "child_safety"}).status_code == 200


@pytest.mark.django_db
def test_the_incident_offers_child_safety_steps_not_the_agencys(child_safety):
    """A child-safety case offered "Withdrawn by the agency" and "Ask for information":
    there is no agency. It offers closing with a reason when nothing is to be reported."""
    from cases.workflow import case_transition, transitions_available

    verified_client(child_safety).post(INTAKE, incident_data())
    case = Case.objects.get()
    case = case_transition(case=case, to_status="triage", actor=child_safety).case

    offered = {t.target for t in transitions_available(case, child_safety)}

    assert "withdrawn" not in offered and "needs_info" not in offered
    assert "closed" in offered
