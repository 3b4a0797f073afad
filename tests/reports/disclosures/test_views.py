"""The productions panel of the staff case page: start, add files, request release,
approve; errors come back on the form; nobody releases their own."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import DataCategory
from reports.disclosures.models import Disclosure, DisclosureState
from tests.factories import verified_client
from tests.reports.disclosures.helpers import LOGINS_CSV

pytestmark = pytest.mark.django_db


def page(client, case):
    return client.get(f"/cases/{case.reference}/")


def test_prepare_and_release_from_the_case_page(collecting_case, responder, legal):
    client = verified_client(responder)
    assert 'data-testid="disclosures"' in page(client, collecting_case).content.decode()
    process = collecting_case.processes.get()
    base = f"/cases/{collecting_case.reference}/disclosures/"
    answer = client.post(
        base,
        {"process": process.pk, "kind": "production", "categories": [DataCategory.LOGIN_IP]},
    )
    assert answer.status_code == 302
    disclosure = Disclosure.objects.get()
    answer = client.post(
        f"{base}{disclosure.pk}/files/",
        {"file": SimpleUploadedFile("logins.csv", LOGINS_CSV, content_type="text/csv")},
    )
    assert answer.status_code == 302
    assert disclosure.files.get().record_count == 40
    assert client.post(f"{base}{disclosure.pk}/submit/").status_code == 302
    # the preparer sees why they cannot release it, and the endpoint refuses too
    html = page(client, collecting_case).content.decode()
    assert 'data-testid="disclosure-release"' not in html
    client.post(f"{base}{disclosure.pk}/release/")
    assert Disclosure.objects.get().state == DisclosureState.READY
    approver = verified_client(legal)
    assert 'data-testid="disclosure-release"' in page(approver, collecting_case).content.decode()
    assert approver.post(f"{base}{disclosure.pk}/release/").status_code == 302
    assert Disclosure.objects.get().state == DisclosureState.RELEASED
    html = page(approver, collecting_case).content.decode()
    assert 'data-testid="render-progress"' in html  # queued for the render task


def test_a_wrong_statement_comes_back_on_the_form(collecting_case, responder):
    client = verified_client(responder)
    process = collecting_case.processes.get()
    answer = client.post(
        f"/cases/{collecting_case.reference}/disclosures/",
        {"process": process.pk, "kind": "production", "categories": [DataCategory.CONTENT]},
    )
    assert answer.status_code == 400
    assert "Produce only the categories the process asks for." in answer.content.decode()
    assert not Disclosure.objects.exists()


def test_officers_and_outsiders_get_404(collecting_case, officer_a, outsider_legal):
    url = f"/cases/{collecting_case.reference}/disclosures/"
    assert verified_client(officer_a.user).post(url, {}).status_code == 404
    assert verified_client(outsider_legal).post(url, {}).status_code == 404


def test_a_correction_can_name_only_released_productions(collecting_case, responder, legal):
    """The "Corrects" options of the create form: the released productions, not drafts."""
    import re

    from tests.reports.disclosures.helpers import prepare, released

    sent = released(collecting_case, responder, legal)
    draft = prepare(collecting_case, responder)
    html = page(verified_client(responder), collecting_case).content.decode()
    select = re.search(r'<select name="corrects".*?</select>', html, re.S)
    assert select, "no Corrects choice on the create form"
    assert f'<option value="{sent.pk}">{sent.reference}</option>' in select.group(0)
    assert draft.reference not in select.group(0)
