"""``POST /api/v1/match/`` end to end: credential scopes, file and hash forms, batch, errors,
and what a hit leaves behind (case, CyberTipline draft valid against the XSD)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from lxml import etree
from rest_framework.test import APIClient

from portal.accounts.tokens import api_token_issue
from portal.audit.models import AccessEvent
from reports.cybertip.build import file_details_xml, report_problems, report_xml, reviews_for
from reports.cybertip.models import CyberTipReport
from reports.matching.credentials import service_credential_issue, service_credential_revoke
from reports.matching.index_store import pdq_index_build
from reports.matching.matching import file_hashes
from reports.matching.models import MatchedItem
from tests.reports.matching.conftest import add_entries, flip, make_list, noise_png, random_pdq

pytestmark = pytest.mark.django_db

URL = "/api/v1/match/"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def client_with(credential: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {credential}")
    return client


@pytest.fixture
def matcher(db) -> APIClient:
    return client_with(service_credential_issue(name="upload pipeline", scopes=["match"]).plaintext)


def test_issue_service_token_prints_a_credential_once(db):
    out = io.StringIO()
    call_command(
        "issue_service_token", "uploads", "--scopes", "match", stdout=out, stderr=io.StringIO()
    )
    credential = out.getvalue().strip()
    assert credential.startswith("lis_")
    response = client_with(credential).post(URL, {"account_id": "u1", "md5": MD5}, format="json")
    assert response.status_code == 200
    assert response.json()["verdict"] == "allow"


def test_officer_token_cannot_call_match(officer_a):
    token = api_token_issue(user=officer_a.user, name="t", scopes=["read", "submit"]).plaintext
    response = client_with(token).post(URL, {"account_id": "u1", "md5": MD5}, format="json")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


def test_match_credential_cannot_read_requests(matcher, officer_a):
    assert matcher.get("/api/v1/requests/").status_code == 401
    assert matcher.get("/api/v1/me/").status_code == 401


def test_revoked_or_missing_credential_is_refused_and_logged(db):
    issued = service_credential_issue(name="old", scopes=["match"])
    service_credential_revoke(credential=issued.credential)
    response = client_with(issued.plaintext).post(
        URL, {"account_id": "u", "md5": MD5}, format="json"
    )
    assert response.status_code == 401
    assert APIClient().post(URL, {"account_id": "u", "md5": MD5}, format="json").status_code == 401
    denied = AccessEvent.objects.filter(action="service_credential_used", outcome="denied")
    assert denied.first().details["reason"] == "revoked"


def test_bad_input_is_problem_json_with_field_errors(matcher):
    response = matcher.post(
        URL, {"account_id": "u1", "md5": "xyz", "pdq_quality": 3}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert {e["field"] for e in body["errors"]} == {"md5"}
    response = matcher.post(URL, {"account_id": "u1"}, format="json")
    assert response.status_code == 400


def test_hashes_match_with_list_label_type_and_distance(matcher, rng, child_safety_team):
    stored = random_pdq(rng)
    add_entries(
        make_list(labels=["A1", "A2"]), [("pdq", stored, 100, "A2"), ("md5", MD5, None, "A1")]
    )
    pdq_index_build()
    response = matcher.post(
        URL,
        {
            "account_id": "user-5",
            "pdq": flip(stored, 4),
            "pdq_quality": 100,
            "md5": MD5,
            "ip": "198.51.100.7",
            "uploaded_at": "2026-12-01T10:00:00Z",
            "client": "ios 5.1",
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "block"
    assert [(m["list"], m["label"], m["hash_type"], m["distance"]) for m in body["matches"]] == [
        ("ncmec", "A1", "md5", None),
        ("ncmec", "A2", "pdq", 4),
    ]
    assert body["case"].startswith("CS-")
    item = MatchedItem.objects.get(pk=body["item"])
    assert (item.account_id, item.ip, item.client) == ("user-5", "198.51.100.7", "ios 5.1")
    assert not item.file  # hashes only: there is no file to keep


def test_batch_answers_results_in_order(matcher, child_safety_team):
    add_entries(make_list(), [("md5", MD5, None, "")])
    response = matcher.post(
        URL,
        {
            "items": [
                {"account_id": "a", "sha256": "1" * 64},
                {"account_id": "b", "md5": MD5},
                {"account_id": "c", "md5": "2" * 32},
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    assert [r["verdict"] for r in response.json()["results"]] == ["allow", "block", "allow"]
    bad = matcher.post(
        URL, {"items": [{"account_id": "a"}, {"account_id": "b", "md5": "q"}]}, format="json"
    )
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"items.0", "items.1.md5"}


def test_file_upload_is_hashed_and_kept_only_on_a_hit(matcher, child_safety_team):
    known = noise_png(1)
    hashes = file_hashes(known)
    assert hashes["pdq_quality"] >= 50
    add_entries(make_list(labels=["A1"]), [("pdq", hashes["pdq"], hashes["pdq_quality"], "A1")])
    pdq_index_build()
    # an unrelated synthetic image: allowed, nothing stored
    other = matcher.post(
        URL, {"account_id": "u", "file": io.BytesIO(noise_png(2))}, format="multipart"
    )
    assert other.status_code == 200 and other.json()["verdict"] == "allow"
    assert not MatchedItem.objects.exists()
    # the known one (re-encoded as JPEG: near, not equal): blocked, the file kept
    from PIL import Image

    jpeg = io.BytesIO()
    Image.open(io.BytesIO(known)).convert("RGB").save(jpeg, format="JPEG", quality=90)
    jpeg.seek(0)
    jpeg.name = "upload.jpg"
    hit = matcher.post(
        URL, {"account_id": "u", "file": jpeg, "ip": "203.0.113.5"}, format="multipart"
    )
    assert hit.status_code == 200, hit.content
    body = hit.json()
    assert body["verdict"] == "block" and body["matches"][0]["hash_type"] == "pdq"
    item = MatchedItem.objects.get(pk=body["item"])
    assert item.file and item.file_size == len(jpeg.getvalue())
    assert item.sha256 == file_hashes(jpeg.getvalue())["sha256"]
    # the CyberTipline draft is prefilled and valid against NCMEC's schema, file not viewed
    report = CyberTipReport.objects.get(case=item.case)
    assert report.persons.get().esp_identifier == "u"
    assert report_problems(report) == {}
    etree.fromstring(report_xml(report))
    file = report.files.get()
    assert (file.sha256, file.pdq, file.industry_classification) == (item.sha256, item.pdq, "A1")
    details = file_details_xml(
        file, ncmec_report_id=1, ncmec_file_id="f1", reviewed=reviews_for([report])[report.pk]
    )
    assert b"<fileViewedByEsp>false</fileViewedByEsp>" in details


def test_not_an_image_is_a_field_error(matcher):
    response = matcher.post(
        URL, {"account_id": "u", "file": io.BytesIO(b"not an image")}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


def test_the_match_api_has_its_own_rate_limit(matcher, settings):
    from django.core.cache import cache

    cache.clear()
    settings.LIAISON_MATCH_RATE = "2/min"
    statuses = [
        matcher.post(URL, {"account_id": "u", "md5": MD5}, format="json").status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    cache.clear()


def test_the_demo_list_blocks_the_demo_image(matcher, child_safety_team, settings, tmp_path):
    """`make run` loads a list with the hashes of a synthetic image and writes the image
    out, so a new user can see a block verdict; loading it again adds nothing."""
    from reports.matching import demo
    from reports.matching.models import HashEntry

    settings.VAR_DIR = tmp_path
    context: dict = {}
    demo.load_demo(context)
    demo.load_demo(context)
    assert HashEntry.objects.filter(hash_list__name=demo.DEMO_LIST).count() == 3
    image = tmp_path / "demo" / "known-image-demo.png"
    assert str(image) in context["hints"][0]
    with image.open("rb") as upload:
        answer = matcher.post(URL, {"account_id": "demo-user", "file": upload}, format="multipart")
    assert answer.status_code == 200, answer.content
    assert answer.json()["verdict"] == "block"
    assert {m["hash_type"] for m in answer.json()["matches"]} == {"md5", "sha256", "pdq"}
