"""The officer portal's request pages (issue 6): list, track, file, extend, withdraw.

Personas: officer A (the requesting agency), officer B (another agency), a responder (staff
have the staff UI, not these pages), an anonymous visitor. Another agency's reference and a
missing one answer the same 404, and the refusal is in the access log.
"""

from __future__ import annotations

from datetime import timedelta

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseStatus, LegalProcess, ProcessKind
from cases.services import note_add
from portal.accounts.models import Officer
from portal.audit.models import AccessEvent
from tests.cases.conftest import stored_files
from tests.cases.documents import pdf_bytes, pdf_upload, upload
from tests.cases.factories import intake
from tests.factories import verified_client


@pytest.fixture
def request_a(officer_a):
    """A subpoena officer A filed, received yesterday."""
    return intake(
        officer_a.user,
        received_via="portal",
        agency_case_number="SPD-1",
        received_at=timezone.now() - timedelta(days=1),
    )


@pytest.fixture
def hold_a(officer_a):
    """A 2703(f) preservation request of agency A, with its hold in force."""
    return intake(officer_a.user, kind=ProcessKind.US_PRESERVATION, received_at=timezone.now())


@pytest.fixture
def request_b(officer_b):
    return intake(officer_b.user, received_via="portal")


def page_tree(answer) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(answer.content)


def assert_strict_csp_markup(answer) -> None:
    tree = page_tree(answer)
    assert tree.xpath("//script[not(@src)]") == []
    assert tree.xpath("//style") == [] and tree.xpath("//*[@style]") == []
    assert "unsafe-inline" not in answer["Content-Security-Policy"]


def form_values(**overrides) -> dict:
    values = {
        "submission_key": "a5d0c6a3a7f94e5c9b1f1e7c2d3b4a51",
        "kind": "us_subpoena",
        "jurisdiction": "US-IL",
        "issuing_authority": "Circuit Court of Example County",
        "agency_case_number": "SPD-26-77",
        "targets": "email:suspect@example.com\n+1 202 555 0142",
        "data_categories": ["subscriber", "login_ip"],
        "date_from": "2026-01-01",
        "date_to": "2026-02-01",
        "document": pdf_upload(),
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


# --- list ------------------------------------------------------------------------------------


def test_the_landing_page_lists_the_agencys_requests_and_no_others(officer_a, request_a, request_b):
    answer = verified_client(officer_a.user).get(reverse("officer:requests"))

    assert answer.status_code == 200
    rows = page_tree(answer).xpath("//table[@data-testid='requests']//a[@class='ref']/text()")
    assert rows == [request_a.reference]
    assert b"SPD-1" in answer.content
    assert_strict_csp_markup(answer)
    event = AccessEvent.objects.get(action="list", actor=officer_a.user)
    assert event.details["ids"] == [str(request_a.pk)]


def test_colleagues_requests_are_listed_too_and_a_status_filter_narrows(officer_a, request_a):
    from tests.factories import OfficerFactory

    colleague = OfficerFactory(agency=officer_a.agency)
    withdrawn = intake(colleague.user)
    client = verified_client(colleague.user)
    client.post(
        reverse("officer:request_withdraw", args=[withdrawn.reference]),
        {"reason": "Solved", "confirm": "on"},
    )

    everything = client.get(reverse("officer:requests"))
    only = client.get(reverse("officer:requests"), {"status": "withdrawn"})

    refs = page_tree(everything).xpath("//a[@class='ref']/text()")
    assert set(refs) == {request_a.reference, withdrawn.reference}
    assert page_tree(only).xpath("//a[@class='ref']/text()") == [withdrawn.reference]


def test_the_list_is_not_for_staff_or_anonymous_visitors(responder):
    assert verified_client(responder).get(reverse("officer:requests")).status_code == 404
    anonymous = Client().get(reverse("officer:requests"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))


# --- one request -----------------------------------------------------------------------------


def test_an_officer_tracks_a_request_status_deadlines_and_public_timeline(
    officer_a, request_a, responder
):
    note_add(case=request_a, author=responder, body="Internal: call the DA back")

    answer = verified_client(officer_a.user).get(
        reverse("officer:request", args=[request_a.reference])
    )

    assert answer.status_code == 200
    tree = page_tree(answer)
    assert tree.xpath("string(//*[@data-testid='status'])").strip() == "Received"
    # no return date on the subpoena: its response date is the provider's SLA, not shown
    assert not tree.xpath("//table[@data-testid='deadlines']")
    timeline = tree.xpath("string(//ol[@data-testid='timeline'])")
    assert "Received US subpoena" in timeline
    assert b"call the DA back" not in answer.content  # internal notes never shown
    assert b"suspect@example.com" in answer.content
    assert_strict_csp_markup(answer)
    assert AccessEvent.objects.filter(
        action="view", actor=officer_a.user, case_reference=request_a.reference
    ).exists()


def test_another_agencys_request_is_the_same_404_as_a_missing_one_and_is_logged(
    officer_b, request_a
):
    client = verified_client(officer_b.user)

    foreign = client.get(reverse("officer:request", args=[request_a.reference]))
    missing = client.get(reverse("officer:request", args=["LR-2026-999999"]))

    assert foreign.status_code == missing.status_code == 404
    assert AccessEvent.objects.filter(actor=officer_b.user, outcome="denied").count() == 2


@pytest.mark.parametrize("name", ["request_withdraw", "preservation_extend"])
def test_another_agency_cannot_act_on_a_request(officer_b, hold_a, name):
    hold = hold_a.preservations.get()
    args = [hold_a.reference, hold.pk] if name == "preservation_extend" else [hold_a.reference]

    answer = verified_client(officer_b.user).post(
        reverse(f"officer:{name}", args=args), {"reason": "mine now", "note": "x"}
    )

    assert answer.status_code == 404
    hold.refresh_from_db()
    assert hold.extension_count == 0
    assert Case.objects.get(pk=hold_a.pk).status == CaseStatus.RECEIVED
    assert AccessEvent.objects.filter(actor=officer_b.user, outcome="denied").exists()


def test_a_suspended_officer_is_told_why_and_sees_nothing(officer_a, request_a):
    client = verified_client(officer_a.user)
    Officer.objects.filter(pk=officer_a.pk).update(status=Officer.Status.SUSPENDED)

    answer = client.get(reverse("officer:request", args=[request_a.reference]))

    assert answer.status_code in (302, 403)  # session ended, or the refusal page
    assert request_a.reference.encode() not in answer.content


# --- filing ----------------------------------------------------------------------------------


def test_the_form_has_a_drop_zone_script_from_a_file_and_a_fresh_submission_key(officer_a):
    answer = verified_client(officer_a.user).get(reverse("officer:request_new"))

    assert answer.status_code == 200
    tree = page_tree(answer)
    assert tree.xpath("//script/@src") == ["/static/cases/upload.js"]
    assert tree.xpath("//*[@data-dropzone]//input[@type='file']")
    key = tree.xpath("string(//input[@name='submission_key']/@value)")
    assert len(key) == 32
    assert tree.xpath("string(//input[@name='jurisdiction']/@value)") == "US-CA"  # the agency's
    assert_strict_csp_markup(answer)


def test_an_officer_files_a_request_and_lands_on_its_page(officer_a):
    client = verified_client(officer_a.user)

    answer = client.post(reverse("officer:request_new"), form_values())

    case = Case.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("officer:request", args=[case.reference])
    assert case.agency == officer_a.agency and case.submitting_officer == officer_a
    assert case.received_via == "portal"
    process = case.processes.get()
    assert process.agency_case_number == "SPD-26-77"
    assert process.data_categories == ["login_ip", "subscriber"]
    assert str(process.date_from) == "2026-01-01" and process.subdivision == "US-IL"
    assert sorted(case.targets.values_list("normalised", flat=True)) == [
        "+12025550142",
        "suspect@example.com",
    ]
    assert case.deadlines.filter(rule_id="us.subpoena").exists()
    page = client.get(answer["Location"])
    assert case.reference.encode() in page.content


def test_sending_the_form_twice_files_one_request(officer_a):
    client = verified_client(officer_a.user)

    first = client.post(reverse("officer:request_new"), form_values())
    second = client.post(reverse("officer:request_new"), form_values())

    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_errors_keep_what_was_typed_say_where_and_store_nothing(officer_a, media_root):
    client = verified_client(officer_a.user)

    answer = client.post(
        reverse("officer:request_new"),
        form_values(jurisdiction="US-XX", targets="email:not-an-address", agency_case_number="K-9"),
    )

    assert answer.status_code == 400
    tree = page_tree(answer)
    errors = {
        e.getparent().xpath("string(.//label/@for)"): e.text_content()
        for e in tree.xpath("//p[@class='field-error']")
    }
    assert "id_jurisdiction" in errors and "ISO 3166-2" in errors["id_jurisdiction"]
    assert "id_targets" in errors and "Target 1" in errors["id_targets"]
    assert tree.xpath("string(//input[@name='agency_case_number']/@value)") == "K-9"
    assert tree.xpath("string(//textarea[@name='targets'])").strip() == "email:not-an-address"
    assert tree.xpath("//*[@data-file-note]")  # without the script: choose the file again
    assert Case.objects.count() == 0 and LegalProcess.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (upload("notes.txt", b"just text"), "Only PDF documents"),
        (upload("empty.pdf", b""), "empty"),
        (upload("broken.pdf", pdf_bytes()[:200]), "damaged"),
    ],
)
def test_a_bad_document_is_refused_next_to_the_upload_field(
    officer_a, media_root, document, message
):
    answer = verified_client(officer_a.user).post(
        reverse("officer:request_new"), form_values(document=document)
    )

    assert answer.status_code == 400
    error = page_tree(answer).xpath("string(//*[@data-dropzone]//p[@class='field-error'])")
    assert message in error
    assert Case.objects.count() == 0 and stored_files(media_root) == []


def test_a_corrected_resubmission_with_the_same_form_key_is_filed(officer_a):
    client = verified_client(officer_a.user)
    client.post(reverse("officer:request_new"), form_values(jurisdiction="ZZ"))

    answer = client.post(reverse("officer:request_new"), form_values())

    assert answer.status_code == 302 and Case.objects.count() == 1


# --- actions ---------------------------------------------------------------------------------


def test_an_officer_extends_a_hold_once(officer_a, hold_a):
    client = verified_client(officer_a.user)
    hold = hold_a.preservations.get()
    before = hold.expires_at
    url = reverse("officer:preservation_extend", args=[hold_a.reference, hold.pk])

    first = client.post(url, {"note": "Renewal letter of today"})
    second = client.post(url, {"note": "again"})

    assert first.status_code == 302
    hold.refresh_from_db()
    assert hold.extension_count == 1 and hold.expires_at - before == timedelta(days=90)
    assert second.status_code == 400
    assert b"cannot be extended further" in second.content
    assert hold_a.timeline.filter(kind="preservation", public=True).exists()
    assert AccessEvent.objects.filter(action="preservation_extend", actor=officer_a.user).exists()


def test_an_officer_withdraws_with_a_reason(officer_a, request_a):
    client = verified_client(officer_a.user)
    url = reverse("officer:request_withdraw", args=[request_a.reference])

    without = client.post(url, {"reason": "", "confirm": "on"})
    unconfirmed = client.post(url, {"reason": "Suspect identified"})
    answer = client.post(url, {"reason": "Suspect identified", "confirm": "on"})

    assert without.status_code == 400
    assert unconfirmed.status_code == 400
    assert b"Tick the box to confirm the withdrawal." in unconfirmed.content
    assert answer.status_code == 302
    request_a.refresh_from_db()
    assert request_a.status == CaseStatus.WITHDRAWN
    page = client.get(reverse("officer:request", args=[request_a.reference]))
    assert b"Withdraw the request" not in page.content  # nothing left to withdraw
    assert b"Suspect identified" in page.content  # the public timeline says why


def test_a_disclosed_request_cannot_be_withdrawn(officer_a, request_a):
    Case.objects.filter(pk=request_a.pk).update(status=CaseStatus.DISCLOSED)

    answer = verified_client(officer_a.user).post(
        reverse("officer:request_withdraw", args=[request_a.reference]),
        {"reason": "late", "confirm": "on"},
    )

    assert answer.status_code == 400
    assert Case.objects.get(pk=request_a.pk).status == CaseStatus.DISCLOSED


def test_the_navigation_entry_my_requests_opens_the_list(officer_a):
    answer = verified_client(officer_a.user).get(reverse("home"))

    assert answer.status_code == 302
    assert answer["Location"] == reverse("officer:requests")


def test_the_demo_officer_of_agency_a_sees_the_agencys_requests_and_no_others(db):
    """``make run``'s demo data: officer.a signs in and finds Springfield's requests."""
    from cases import demo
    from portal.accounts import demo as accounts_demo
    from portal.accounts.models import User

    context: dict = {}
    accounts_demo.load_demo(context)
    demo.load_demo(context)
    officer = User.objects.get(username="officer.a")
    client = verified_client(officer)

    answer = client.get(reverse("officer:requests"))

    shown = set(page_tree(answer).xpath("//a[@class='ref']/text()"))
    agency = Case.objects.filter(agency=officer.officer.agency)
    assert len(shown) >= 3
    assert shown == set(agency.values_list("reference", flat=True))
    assert not Case.objects.filter(reference__in=shown).exclude(agency=officer.officer.agency)
    one = sorted(shown)[0]
    assert client.get(reverse("officer:request", args=[one])).status_code == 200
