"""Officer access: the productions list, expiring agency-bound downloads, the officer page;
verification that names a production only to its own agency."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core import signing as django_signing
from django.core.cache import cache
from rest_framework.test import APIClient

from portal.accounts.tokens import api_token_issue
from portal.audit.models import AccessEvent
from portal.notifications.models import Notification
from reports.disclosures.models import DisclosureKind, NotProducedReason
from tests.factories import verified_client
from tests.reports.disclosures.helpers import built, content

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def bearer(officer) -> APIClient:
    token = api_token_issue(user=officer.user, name="Case system", scopes=["read"]).plaintext
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def listing(client, reference):
    return client.get(f"/api/v1/requests/{reference}/productions/")


def test_officer_lists_and_downloads_their_production(collecting_case, responder, legal, officer_a):
    disclosure, package = built(collecting_case, responder, legal)
    client = bearer(officer_a)
    answer = listing(client, collecting_case.reference)
    assert answer.status_code == 200
    (item,) = answer.json()["productions"]
    assert item["reference"] == disclosure.reference
    assert item["ready"] is True
    assert item["records"] == 41
    assert item["certificate"]["pdf_sha256"] == package.pdf_sha256
    download = client.get(item["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"] == f'attachment; filename="{disclosure.reference}.zip"'
    assert b"".join(download.streaming_content) == content(package.zip_file)
    event = AccessEvent.objects.filter(action="download", case_reference=collecting_case.reference)
    assert event.filter(actor=officer_a.user, outcome="success").count() == 1


def test_the_officer_was_notified_when_it_could_be_downloaded(
    collecting_case, responder, legal, officer_a
):
    built(collecting_case, responder, legal)
    note = Notification.objects.get(user=officer_a.user, kind="disclosure_released")
    assert collecting_case.reference in note.subject


def test_another_agency_gets_404_for_list_and_link(
    collecting_case, responder, legal, officer_a, officer_b
):
    built(collecting_case, responder, legal)
    url = listing(bearer(officer_a), collecting_case.reference).json()["productions"][0][
        "download_url"
    ]
    other = bearer(officer_b)
    assert listing(other, collecting_case.reference).status_code == 404
    refused = other.get(url)
    assert refused.status_code == 404
    assert refused["Content-Type"].startswith("application/problem+json")
    assert AccessEvent.objects.filter(actor=officer_b.user, outcome="denied").exists()


def test_an_expired_link_answers_404(collecting_case, responder, legal, officer_a, settings):
    built(collecting_case, responder, legal)
    client = bearer(officer_a)
    url = listing(client, collecting_case.reference).json()["productions"][0]["download_url"]
    settings.LIAISON_DISCLOSURE_DOWNLOAD_DAYS = 0  # the window closes at release
    assert client.get(url).status_code == 404
    assert (
        listing(client, collecting_case.reference).json()["productions"][0]["download_url"] is None
    )


def test_a_changed_link_answers_404(collecting_case, responder, legal, officer_a):
    disclosure, _package = built(collecting_case, responder, legal)
    client = bearer(officer_a)
    forged = django_signing.dumps({"d": disclosure.pk, "a": officer_a.agency_id}, salt="other")
    base = f"/api/v1/requests/{collecting_case.reference}/productions/{disclosure.pk}"
    url = f"{base}/download/{forged}/"
    assert client.get(url).status_code == 404


def test_officer_portal_shows_certificate_summary_and_downloads(
    collecting_case, responder, legal, officer_a, officer_b
):
    _disclosure, package = built(collecting_case, responder, legal)
    page = verified_client(officer_a.user).get(f"/officer/requests/{collecting_case.reference}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Business records certificate" in html
    assert package.pdf_sha256 in html
    link = html.split('data-testid="production-download"')[0].rsplit('href="', 1)[1].split('"')[0]
    response = verified_client(officer_a.user).get(link)
    assert response.status_code == 200
    assert verified_client(officer_b.user).get(link).status_code == 404


def _verify(client, name, data):
    return client.post("/api/v1/verify/", {"file": io_file(name, data)}, format="multipart")


def io_file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_verify_names_the_production_only_to_its_agency(
    collecting_case, responder, legal, officer_a, officer_b
):
    disclosure, package = built(collecting_case, responder, legal)
    zip_bytes = content(package.zip_file)
    own = _verify(bearer(officer_a), "p.zip", zip_bytes).json()
    assert own["ok"] is True
    assert own["production"]["reference"] == disclosure.reference
    assert own["files"]["matching"] == 2
    foreign = _verify(bearer(officer_b), "p.zip", zip_bytes).json()
    assert foreign["ok"] is True  # the file speaks for itself...
    assert foreign["production"] is None  # ...our records of agency A do not
    # a validly signed letter we hold for nobody visible answers exactly the same way
    _d, letter = built(
        collecting_case,
        responder,
        legal,
        kind=DisclosureKind.NO_RECORDS,
        not_produced_reason=NotProducedReason.NO_DATA,
    )
    unknown = _verify(bearer(officer_b), "l.pdf", content(letter.pdf_file)).json()
    assert unknown["production"] is None
    assert set(unknown) == set(foreign)


def test_verify_finds_a_changed_file_in_the_zip(collecting_case, responder, legal, officer_a):
    _disclosure, package = built(collecting_case, responder, legal)
    source = zipfile.ZipFile(io.BytesIO(content(package.zip_file)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as changed:
        for name in source.namelist():
            data = source.read(name)
            if name == "files/logins.csv":
                data = data.replace(b"192.0.2.1,", b"192.0.2.9,", 1)
            changed.writestr(name, data)
        changed.writestr("files/extra.txt", b"not produced")
    answer = _verify(bearer(officer_a), "p.zip", out.getvalue()).json()
    assert answer["ok"] is False
    assert answer["files"]["mismatched"] == ["files/logins.csv"]
    assert answer["files"]["unlisted"] == ["files/extra.txt"]
    assert "files_do_not_match_manifest" in answer["problems"]


def test_verify_page_for_staff(collecting_case, responder, legal):
    disclosure, package = built(collecting_case, responder, legal)
    client = verified_client(responder)
    assert client.get("/disclosures/verify/").status_code == 200
    answer = client.post(
        "/disclosures/verify/", {"file": io_file("p.pdf", content(package.pdf_file))}
    )
    assert answer.status_code == 200
    assert disclosure.reference in answer.content.decode()
    assert AccessEvent.objects.filter(action="disclosure_verify", actor=responder).exists()


def _released_days_ago(disclosure, days: int) -> None:
    """Time passes: move the release back (released rows are immutable, so the test steps
    around that one trigger the way an operator's restore would, and only here)."""
    import pgtrigger
    from django.utils import timezone

    from reports.disclosures.models import Disclosure

    with pgtrigger.ignore("disclosures.Disclosure:disclosures_released_immutable"):
        Disclosure.objects.filter(pk=disclosure.pk).update(
            released_at=timezone.now() - timezone.timedelta(days=days)
        )


def test_staff_renew_an_expired_link_for_the_agency(
    collecting_case, responder, legal, officer_a, officer_b
):
    """GIVEN a production whose officer link expired, WHEN a responder presses "renew" on
    the disclosure panel, THEN the agency's officer downloads again for a new 30 days, is
    told so, the renewal is audited, and another agency still gets 404."""
    from reports.disclosures.models import DownloadRenewal

    disclosure, _package = built(collecting_case, responder, legal)
    _released_days_ago(disclosure, 31)
    officer = bearer(officer_a)
    assert (
        listing(officer, collecting_case.reference).json()["productions"][0]["download_url"] is None
    )

    staff = verified_client(responder)
    html = staff.get(f"/cases/{collecting_case.reference}/").content.decode()
    assert 'data-testid="renew-link"' in html
    answer = staff.post(f"/cases/{collecting_case.reference}/disclosures/{disclosure.pk}/renew/")
    assert answer.status_code == 302

    renewal = DownloadRenewal.objects.get()
    assert renewal.agency_id == officer_a.agency_id and renewal.renewed_by == responder
    entry = listing(officer, collecting_case.reference).json()["productions"][0]
    assert entry["download_url"] is not None
    assert entry["download_expires_at"].startswith(f"{renewal.expires_at:%Y-%m-%d}")
    assert officer.get(entry["download_url"]).status_code == 200
    assert bearer(officer_b).get(entry["download_url"]).status_code == 404
    event = AccessEvent.objects.get(action="disclosure_download_renew")
    assert event.actor == responder and event.case_reference == collecting_case.reference
    assert Notification.objects.filter(
        user=officer_a.user, subject__contains="available again"
    ).exists()
    html = staff.get(f"/cases/{collecting_case.reference}/").content.decode()
    assert 'data-testid="renew-link"' not in html  # works again: nothing to renew


def test_a_working_link_is_not_renewed_and_officers_cannot_renew(
    collecting_case, responder, legal, officer_a
):
    from django.core.exceptions import ValidationError

    from reports.disclosures.models import DownloadRenewal
    from reports.disclosures.services import disclosure_download_renew

    disclosure, _package = built(collecting_case, responder, legal)
    with pytest.raises(ValidationError, match="still works"):
        disclosure_download_renew(disclosure=disclosure, actor=responder)
    _released_days_ago(disclosure, 31)
    url = f"/cases/{collecting_case.reference}/disclosures/{disclosure.pk}/renew/"
    assert verified_client(officer_a.user).post(url).status_code == 404
    assert not DownloadRenewal.objects.exists()


def test_a_renewal_for_the_old_agency_opens_nothing_to_the_new_one(
    collecting_case, responder, legal, officer_a, officer_b
):
    """The renewal is bound to the agency it was granted to."""
    from cases.models import Case
    from reports.disclosures.services import disclosure_download_renew

    disclosure, _package = built(collecting_case, responder, legal)
    _released_days_ago(disclosure, 31)
    disclosure_download_renew(disclosure=disclosure, actor=responder)
    from reports.disclosures.links import download_expired
    from reports.disclosures.models import Disclosure

    assert not download_expired(Disclosure.objects.get(pk=disclosure.pk))
    Case.objects.filter(pk=collecting_case.pk).update(agency=officer_b.agency)
    # the case is now agency B's: agency A's renewal does not count for it
    assert download_expired(Disclosure.objects.get(pk=disclosure.pk))
