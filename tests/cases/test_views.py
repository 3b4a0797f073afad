"""Denied cases for every page and form of the staff case UI (STYLE.md rule 9).

Each endpoint is tried by people who must not reach it: a responder of another team, an
officer (even of the requesting agency), a child-safety analyst on a request case, an
auditor on write endpoints, a responder on supervisor-only endpoints, and an anonymous
visitor. A missing case and a forbidden one answer the same 404; nothing changes; the
refusal is in the access log.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseStatus, Note, ProcessKind, TimelineEvent
from portal.audit.models import AccessEvent
from tests.cases.documents import pdf_upload
from tests.cases.factories import intake
from tests.factories import verified_client


@pytest.fixture
def case(responder, officer_a):
    """A request of agency A in the default team, with a preservation and a document."""
    return intake(
        responder,
        kind=ProcessKind.US_PRESERVATION,
        agency=officer_a.agency,
        received_at=timezone.now() - timedelta(days=1),
    )


def _urls(case: Case) -> dict[str, tuple[str, str, dict]]:
    ref = case.reference
    process = case.processes.get()
    deadline = case.deadlines.first()
    hold = case.preservations.get()
    return {
        "detail": ("get", reverse("cases:detail", args=[ref]), {}),
        "document": ("get", reverse("cases:process_document", args=[ref, process.pk]), {}),
        "transition": (
            "post",
            reverse("cases:transition", args=[ref]),
            {"to_status": "triage", "expected_status": "received"},
        ),
        "assign": ("post", reverse("cases:assign", args=[ref]), {"assignee": ""}),
        "note": ("post", reverse("cases:note_add", args=[ref]), {"note-body": "hello"}),
        "attachment": (
            "post",
            reverse("cases:attachment_add", args=[ref]),
            {"file-file": pdf_upload()},
        ),
        "user_notice": (
            "post",
            reverse("cases:user_notice", args=[ref]),
            {"notice-status": "withheld", "notice-reason": "futile"},
        ),
        "team": (
            "post",
            reverse("cases:team_change", args=[ref]),
            {"team-team": case.team_id, "team-reason": "r"},
        ),
        "override": (
            "post",
            reverse("cases:deadline_override", args=[ref, deadline.pk]),
            {f"d{deadline.pk}-due_at": "2030-01-01T10:00", f"d{deadline.pk}-reason": "r"},
        ),
        "extend": (
            "post",
            reverse("cases:preservation_extend", args=[ref, hold.pk]),
            {f"x{hold.pk}-note": "renewed"},
        ),
        "release": (
            "post",
            reverse("cases:preservation_release", args=[ref, hold.pk]),
            {f"r{hold.pk}-reason": "done"},
        ),
    }


WRITES = [
    "transition",
    "assign",
    "note",
    "attachment",
    "user_notice",
    "team",
    "override",
    "extend",
    "release",
]
SUPERVISOR_ONLY = ["team", "override"]
ALL = ["detail", "document", *WRITES]


def _fingerprint(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.status,
        case.assignee_id,
        case.team_id,
        case.user_notice_status,
        Note.objects.filter(case=case).count(),
        case.attachments.count(),
        TimelineEvent.objects.filter(case=case).count(),
        tuple(case.deadlines.values_list("due_at", flat=True)),
        tuple(case.preservations.values_list("status", "extension_count")),
    )


def _call(client: Client, method: str, url: str, data: dict):
    return client.get(url) if method == "get" else client.post(url, data)


def _denied_for(persona_user, case: Case, endpoints: list[str]) -> None:
    client = verified_client(persona_user)
    urls = _urls(case)
    before = _fingerprint(case)
    for name in endpoints:
        denials = AccessEvent.objects.filter(outcome="denied").count()
        method, url, data = urls[name]
        response = _call(client, method, url, data)
        assert response.status_code == 404, (name, response.status_code)
        assert AccessEvent.objects.filter(outcome="denied").count() > denials, name
    assert _fingerprint(case) == before


@pytest.mark.django_db
def test_a_responder_of_another_team_gets_404_everywhere(case, outsider):
    _denied_for(outsider, case, ALL)


@pytest.mark.django_db
def test_an_officer_of_the_requesting_agency_gets_404_on_the_staff_ui(case, officer_a):
    _denied_for(officer_a.user, case, ALL)


@pytest.mark.django_db
def test_a_child_safety_analyst_gets_404_on_a_request_case(case, child_safety):
    _denied_for(child_safety, case, ALL)


@pytest.mark.django_db
def test_an_auditor_may_read_but_every_write_is_404(case, auditor):
    client = verified_client(auditor)
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200
    _denied_for(auditor, case, WRITES)


@pytest.mark.django_db
def test_supervisor_only_forms_are_404_for_a_responder(case, responder):
    _denied_for(responder, case, SUPERVISOR_ONLY)


@pytest.mark.django_db
def test_a_missing_case_is_the_same_404_as_a_forbidden_one(case, responder, outsider):
    missing = verified_client(responder).get(reverse("cases:detail", args=["LR-2026-999999"]))
    forbidden = verified_client(outsider).get(reverse("cases:detail", args=[case.reference]))
    assert missing.status_code == forbidden.status_code == 404
    assert _main(missing.content) == _main(forbidden.content)


def _main(page: bytes) -> bytes:
    """What the page says (its <main>), without the viewer's own name in the top bar and
    the CSRF tokens Django masks afresh on every response."""
    found = re.search(rb"<main.*?</main>", page, re.S)
    assert found is not None
    return re.sub(rb'(csrfmiddlewaretoken" value=")[^"]+', rb"\1", found.group(0))


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(case):
    client = Client()
    before = _fingerprint(case)
    pages = {**_urls(case), "queue": ("get", reverse("cases:queue"), {})}
    pages["intake"] = ("post", reverse("cases:intake"), {"kind": "us_subpoena"})
    for name, (method, url, data) in pages.items():
        response = _call(client, method, url, data)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login")), name
    assert _fingerprint(case) == before


@pytest.mark.django_db
def test_signed_in_without_the_second_factor_opens_nothing(case, responder):
    client = Client()
    client.force_login(responder)  # password step only
    response = client.get(reverse("cases:detail", args=[case.reference]))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


@pytest.mark.django_db
def test_queue_and_intake_are_404_for_an_officer(officer_a):
    client = verified_client(officer_a.user)
    assert client.get(reverse("cases:queue")).status_code == 404
    assert client.get(reverse("cases:intake")).status_code == 404
    assert client.post(reverse("cases:intake"), {"kind": "us_subpoena"}).status_code == 404
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_intake_is_404_for_an_auditor_and_incidents_only_for_an_analyst(auditor, child_safety):
    assert verified_client(auditor).get(reverse("cases:intake")).status_code == 404
    analyst = verified_client(child_safety).get(reverse("cases:intake"))
    assert analyst.status_code == 200
    assert b"Record a child-safety incident" in analyst.content


@pytest.mark.django_db
def test_a_responder_of_another_team_sees_none_of_the_teams_cases_in_the_queue(case, outsider):
    client = verified_client(outsider)
    for tab in ("all", "mine", "unassigned", "emergency", "due_48h", "overdue"):
        response = client.get(reverse("cases:queue"), {"tab": tab})
        assert response.status_code == 200
        assert case.reference not in response.text, tab
    found = client.get(reverse("cases:queue"), {"q": case.reference})
    assert reverse("cases:detail", args=[case.reference]) not in found.text
    assert "No case matches these filters." in found.text


@pytest.mark.django_db
def test_a_case_moved_to_a_status_does_not_leak_through_a_stale_transition_by_an_outsider(
    case, outsider
):
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.TRIAGE)
    response = verified_client(outsider).post(
        reverse("cases:transition", args=[case.reference]),
        {"to_status": "legal_review", "expected_status": "triage"},
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.TRIAGE
