"""The officer portal in a real browser: drop the PDF on the upload zone, get an error, keep
the file, correct the field, file the request, withdraw it. No CSP violation anywhere (the
``page`` fixture fails the test on any). Screenshots are named ``officer-*``.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from cases.models import Case, CaseStatus
from tests.cases.documents import pdf_bytes
from tests.e2e.conftest import screenshot, sign_in, url_path

pytestmark = pytest.mark.e2e

DROP = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "application/pdf" }));
  const zone = document.querySelector("[data-dropzone]");
  const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, init));
  }
}"""
ATTACHED = "document.querySelector('[data-dropzone] input[type=file]').files.length"


def test_an_officer_drops_the_pdf_keeps_it_across_an_error_and_files(page: Page, live_server,
                                                                     officer_a):  # fmt: skip
    document = pdf_bytes("Subpoena dropped in the browser (fictitious)")
    sign_in(page, live_server, officer_a.user)
    page.goto(reverse("officer:request_new"))
    zone = page.locator("[data-dropzone]")
    expect(zone).to_have_class("dropzone is-enhanced")

    page.evaluate(DROP, [base64.b64encode(document).decode(), "subpoena.pdf"])
    expect(zone).to_contain_text("subpoena.pdf")
    page.get_by_label("Kind of legal process").select_option("us_subpoena")
    page.get_by_label("Jurisdiction").fill("US-XX")
    page.get_by_label("Your case number").fill("SPD-26-0099")
    page.get_by_label("Targets").fill("email:dropped.suspect@example.com")
    page.get_by_label("Basic subscriber information").check()
    page.get_by_role("button", name="File the request").click()

    expect(page.locator(".field-error").first).to_contain_text("ISO 3166-2")
    assert page.evaluate(ATTACHED) == 1  # the file survived the round trip
    expect(page.get_by_label("Your case number")).to_have_value("SPD-26-0099")
    expect(page.locator("[data-file-note]")).to_have_count(0)
    screenshot(page, "officer-request-error-file-kept")
    assert Case.objects.count() == 0

    page.get_by_label("Jurisdiction").fill("US-IL")
    page.get_by_role("button", name="File the request").click()

    expect(page.get_by_test_id("status")).to_have_text("Received")
    case = Case.objects.get()
    assert url_path(page) == reverse("officer:request", args=[case.reference])
    process = case.processes.get()
    assert process.document_sha256 == hashlib.sha256(document).hexdigest()
    assert process.agency_case_number == "SPD-26-0099"
    assert process.data_categories == ["subscriber"]
    # The subpoena states no return date: its deadline is the provider's internal SLA,
    # which officers are not shown (cases.policy: only deadlines that concern the agency).
    expect(page.locator("#deadlines")).to_contain_text("No deadline applies to this request.")
    screenshot(page, "officer-request-filed")

    page.get_by_label("Why is the request withdrawn?").fill("Suspect identified")
    page.get_by_role("button", name="Withdraw the request").click()
    # nothing happens without the confirmation that names the request
    expect(page.get_by_text("Tick the box to confirm the withdrawal.")).to_be_visible()
    assert Case.objects.get().status == CaseStatus.RECEIVED
    page.get_by_label("Why is the request withdrawn?").fill("Suspect identified")
    page.get_by_label(f"Yes, withdraw {case.reference}").check()
    screenshot(page, "officer-withdraw-confirm")
    page.get_by_role("button", name="Withdraw the request").click()

    expect(page.get_by_test_id("status")).to_have_text("Withdrawn")
    assert Case.objects.get().status == CaseStatus.WITHDRAWN
    page.goto(reverse("officer:requests"))
    expect(page.get_by_test_id("requests")).to_contain_text(case.reference)
    screenshot(page, "officer-requests")
