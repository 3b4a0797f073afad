"""Every report the portal can produce validates against NCMEC's schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from lxml import etree

from reports.cybertip.build import file_details_xml, report_problems, report_xml, reviews_for
from reports.cybertip.models import DetailKind, IncidentType, PersonRole
from reports.cybertip.services import (
    DetailInput,
    PersonInput,
    report_draft_create,
    report_file_add,
)
from reports.cybertip.xml import parse, schema
from tests.reports.cybertip.helpers import file_input, report_input

pytestmark = pytest.mark.django_db

DETAILS = {
    DetailKind.WEB_PAGE: DetailInput(
        kind=DetailKind.WEB_PAGE, urls=["https://example.com/a?b=1&c=2"], third_party_hosted=False
    ),
    DetailKind.EMAIL: DetailInput(
        kind=DetailKind.EMAIL, email_addresses=["reported@example.com"], content="Subject: hi"
    ),
    DetailKind.NEWSGROUP: DetailInput(
        kind=DetailKind.NEWSGROUP, name="alt.example", email_addresses=["reported@example.com"]
    ),
    DetailKind.CHAT_IM: DetailInput(
        kind=DetailKind.CHAT_IM, chat_client="Example Chat", chat_room_name="room <1> & co"
    ),
    DetailKind.ONLINE_GAMING: DetailInput(
        kind=DetailKind.ONLINE_GAMING, game_name="Example Quest", console="PC"
    ),
    DetailKind.CELL_PHONE: DetailInput(
        kind=DetailKind.CELL_PHONE, phone_number="+15555550123", latitude=40.7, longitude=-74.0
    ),
    DetailKind.NON_INTERNET: DetailInput(kind=DetailKind.NON_INTERNET, location_name="A park"),
    DetailKind.PEER_TO_PEER: DetailInput(
        kind=DetailKind.PEER_TO_PEER, p2p_client="ExampleShare", file_names="a.jpg; b.jpg"
    ),
}


def _valid(document: bytes) -> etree._Element:
    root = parse(document)
    assert schema().validate(root), schema().error_log
    return root


@pytest.mark.parametrize("incident_type", IncidentType.values)
def test_a_report_of_each_incident_type_validates(cs_case, child_safety, incident_type):
    report = report_draft_create(
        case=cs_case, actor=child_safety, data=report_input(incident_type=incident_type)
    )
    root = _valid(report_xml(report))
    assert root.findtext("incidentSummary/incidentType") == incident_type


@pytest.mark.parametrize("kind", DetailKind.values)
def test_a_report_of_each_internet_details_kind_validates(cs_case, child_safety, kind):
    report = report_draft_create(
        case=cs_case, actor=child_safety, data=report_input(details=[DETAILS[kind]])
    )
    root = _valid(report_xml(report))
    assert root.find(f"internetDetails/{kind}") is not None


def test_a_text_only_enticement_report_without_files_is_a_full_report(cs_case, child_safety):
    """Grooming seen only in chat text: no file at all, never skipped."""
    report = report_draft_create(
        case=cs_case,
        actor=child_safety,
        data=report_input(
            incident_type=IncidentType.ONLINE_ENTICEMENT,
            annotations=["sextortion", "minorToMinorInteraction"],
            details=[
                DetailInput(
                    kind=DetailKind.CHAT_IM,
                    chat_client="Example Chat",
                    content="[10:01] user: <messages as logged>",
                )
            ],
            persons=[
                PersonInput(role=PersonRole.REPORTED, esp_identifier="u-1", screen_name="groomer"),
                PersonInput(role=PersonRole.VICTIM, age=13, esp_identifier="u-2"),
            ],
        ),
    )
    assert report.files.count() == 0
    root = _valid(report_xml(report))
    flags = [e.tag for e in root.find("incidentSummary/reportAnnotations")]
    assert flags == ["minorToMinorInteraction", "sextortion"]
    assert all(not (e.text or "").strip() for e in root.find("incidentSummary/reportAnnotations"))
    assert root.findtext("victim/victimPerson/age") == "13"


def test_a_follow_up_cites_the_prior_report(cs_case, child_safety):
    report = report_draft_create(
        case=cs_case, actor=child_safety, data=report_input(prior_report_ids=[4564654, 4564700])
    )
    root = _valid(report_xml(report))
    assert [e.text for e in root.findall("personOrUserReported/priorCTReports")] == [
        "4564654",
        "4564700",
    ]


def test_escalation_text_and_incident_zone_are_written(cs_case, child_safety):
    moment = timezone.now().replace(microsecond=0) - timedelta(days=1)
    report = report_draft_create(
        case=cs_case,
        actor=child_safety,
        data=report_input(
            escalate_text="Ongoing live stream of abuse",
            incident_at=moment,
            incident_time_zone="Europe/Berlin",
        ),
    )
    root = _valid(report_xml(report))
    assert root.findtext("incidentSummary/escalateToHighPriority") == "Ongoing live stream of abuse"
    written = root.findtext("incidentSummary/incidentDateTime")
    assert written.endswith(("+01:00", "+02:00"))
    from datetime import datetime

    assert datetime.fromisoformat(written) == moment


def test_file_details_validate_and_say_not_viewed_without_a_recorded_view(cs_case, child_safety):
    report = report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    file = report_file_add(
        report=report,
        actor=child_safety,
        upload=file_input(
            annotations=["liveStreaming"], industry_classification="B2", pdq="f" * 64
        ),
    )
    reviewed = reviews_for([report])[report.pk]
    root = _valid(
        file_details_xml(file, ncmec_report_id=7, ncmec_file_id="ab12", reviewed=reviewed)
    )
    assert root.findtext("fileViewedByEsp") == "false"
    assert root.find("fileAnnotations/liveStreaming") is not None
    assert root.findtext("industryClassification") == "B2"
    hashes = {e.get("hashType"): e.text for e in root.findall("originalFileHash")}
    assert hashes == {"MD5": file.md5, "SHA256": file.sha256, "PDQ": "f" * 64}


def test_a_missing_reporter_email_is_a_clear_error_before_sending(cs_case, child_safety, settings):
    settings.LIAISON_CYBERTIP_REPORTER = {**settings.LIAISON_CYBERTIP_REPORTER, "email": ""}
    report = report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    problems = report_problems(report)
    assert "LIAISON_CYBERTIP_REPORTER_EMAIL" in problems["reporter.email"][0]
    with pytest.raises(ValidationError):
        report_xml(report)


def test_bad_input_is_refused_field_by_field(cs_case, child_safety):
    data = report_input(
        incident_at=timezone.now() + timedelta(days=2),
        persons=[
            PersonInput(
                role=PersonRole.REPORTED,
                emails=["not-an-address"],
                ip_events=[{"ip": "999.1.1.1", "port": 70000}],
            )
        ],
        details=[DetailInput(kind=DetailKind.EMAIL, email_addresses=["other@example.com"])],
    )
    with pytest.raises(ValidationError) as caught:
        report_draft_create(case=cs_case, actor=child_safety, data=data)
    fields = caught.value.message_dict
    assert "incident_at" in fields
    assert "persons.0.emails.0" in fields
    assert "persons.0.ip_events.0" in fields
    assert "details.0.email_addresses.0" in fields


def test_the_schema_parser_expands_no_entities(settings, tmp_path):
    from reports.cybertip.xml import parse as safe_parse

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    evil = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<reportResponse><responseCode>&x;</responseCode></reportResponse>"
    ).encode()
    root = safe_parse(evil)
    assert "TOP SECRET" not in etree.tostring(root).decode()


def test_export_command_writes_the_xml_that_xmllint_accepts(cs_case, child_safety, tmp_path):
    import io
    import shutil
    import subprocess

    from django.conf import settings
    from django.core.management import call_command

    report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    out = io.StringIO()
    call_command("export_cybertip", cs_case.reference.lower(), stdout=out)
    document = out.getvalue().encode()
    _valid(document)
    # A second, independent validator (libxml2-utils, .ci/system-packages).
    path = tmp_path / "report.xml"
    path.write_bytes(document)
    result = subprocess.run(
        [
            shutil.which("xmllint") or "xmllint",
            "--noout",
            "--schema",
            str(settings.LIAISON_CYBERTIP_XSD),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_export_command_refuses_an_unknown_case(db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("export_cybertip", "CS-2000-000000")
