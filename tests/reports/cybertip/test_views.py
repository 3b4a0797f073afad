"""The review UI: who sees it, the draft form's errors, reveal-before-view, the
supervisors' list of failed submissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.audit.models import AccessEvent
from reports.cybertip.models import CyberTipReport, ReportStatus
from reports.cybertip.services import report_draft_create, report_file_add
from tests.factories import verified_client
from tests.reports.cybertip.helpers import file_input, report_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(cs_case, child_safety):
    report = report_draft_create(case=cs_case, actor=child_safety, data=report_input())
    report_file_add(report=report, actor=child_safety, upload=file_input(1))
    return report


def _urls(report):
    ref, pk = report.case.reference, report.pk
    file_pk = report.files.get().pk
    return [
        reverse("cybertip:new", args=[ref]),
        reverse("cybertip:report", args=[ref, pk]),
        reverse("cybertip:file_content", args=[ref, pk, file_pk]),
    ]


@pytest.mark.parametrize("persona", ["responder", "legal", "auditor", "officer_a"])
def test_other_personas_get_404_on_every_report_page(request, report, persona):
    user = request.getfixturevalue(persona)
    client = verified_client(getattr(user, "user", user))  # an officer persona is an Officer
    for url in _urls(report):
        assert client.get(url).status_code == 404, url


def test_the_case_page_shows_the_panel_to_the_analyst(cs_case, child_safety, report):
    response = verified_client(child_safety).get(reverse("cases:detail", args=[cs_case.reference]))
    assert response.status_code == 200
    assert b'data-testid="cybertip-panel"' in response.content


def test_the_draft_form_creates_a_report_and_shows_field_errors(cs_case, supervisor):
    client = verified_client(supervisor)
    url = reverse("cybertip:new", args=[cs_case.reference])
    bad = client.post(
        url,
        {
            "incident_type": "Online Enticement of Children for Sexual Acts",
            "incident_at": "2026-11-30T10:00",
            "incident_time_zone": "Europe/Berlin",
            "esp_identifier": "u-1",
            "emails": "not-an-email",
        },
    )
    assert bad.status_code == 200
    assert "not a well-formed e-mail address" in bad.content.decode()
    assert not CyberTipReport.objects.exists()
    good = client.post(
        url,
        {
            "incident_type": "Online Enticement of Children for Sexual Acts",
            "incident_at": "2026-11-30T10:00",
            "incident_time_zone": "Europe/Berlin",
            "esp_identifier": "u-1",
            "detail_kind": "chatImIncident",
            "detail_content": "chat text",
        },
    )
    report = CyberTipReport.objects.get()
    assert good.status_code == 302
    assert report.incident_at.isoformat() == "2026-11-30T09:00:00+00:00"
    page = client.get(good["Location"])
    assert b'data-testid="report-valid"' in page.content


def test_a_file_is_served_only_after_its_reveal_is_recorded(report, child_safety):
    client = verified_client(child_safety)
    file = report.files.get()
    content_url = reverse("cybertip:file_content", args=[report.case.reference, report.pk, file.pk])
    assert client.get(content_url).status_code == 403
    page = client.get(reverse("cybertip:report", args=[report.case.reference, report.pk]))
    assert b"Not viewed by a person" in page.content
    assert b"United States v. Wilson" in page.content
    reveal = reverse("cybertip:file_reveal", args=[report.case.reference, report.pk, file.pk])
    assert client.post(reveal).status_code == 302
    assert AccessEvent.objects.filter(action="cybertip_file_view", actor=child_safety).count() == 1
    response = client.get(content_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == file_input(1).content


def test_supervisors_see_failed_submissions_with_the_last_answer(report, supervisor, child_safety):
    CyberTipReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.FAILED, last_answer="submit: HTTP 400, responseCode 4100"
    )
    page = verified_client(supervisor).get(reverse("cybertip:attention"))
    assert page.status_code == 200
    assert b"responseCode 4100" in page.content
    assert verified_client(child_safety).get(reverse("cybertip:attention")).status_code == 404


def test_submit_from_the_page_queues_the_report(report, child_safety):
    """The task itself is queued on commit (tested with a real worker in test_submission)."""
    client = verified_client(child_safety)
    url = reverse("cybertip:submit", args=[report.case.reference, report.pk])
    assert client.post(url).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTING
    assert report.queued_by == child_safety


def test_urgent_referral_from_the_page_needs_a_second_person(
    report, child_safety, supervisor, officer_a
):
    from reports.cybertip.models import UrgentReferral

    ref, pk = report.case.reference, report.pk
    verified_client(child_safety).post(
        reverse("cybertip:referral_create", args=[ref, pk]),
        {
            "agency": officer_a.agency.pk,
            "basis": "2702b8",
            "emergency": "Live stream ongoing",
            "disclosed": "Account id and stream URL",
        },
    )
    referral = UrgentReferral.objects.get()
    approve = reverse("cybertip:referral_approve", args=[ref, pk, referral.pk])
    page = verified_client(child_safety).get(reverse("cybertip:report", args=[ref, pk]))
    assert approve.encode() not in page.content  # the requester is offered no approval
    verified_client(supervisor).post(approve)
    referral.refresh_from_db()
    assert referral.status == "sent"
