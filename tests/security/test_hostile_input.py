"""The hostile-input catalogue (issue 18, item 2): each input an attacker or a broken client
can send gets a clear 4xx (problem+json on the API) or a safe result, and a refused
request leaves no row and no file behind.

What other modules already prove is not repeated here; ``docs/security.md`` lists them
(active PDF content, polyglots, NUL bytes in the access log, CSV formula neutralising of
the access-log export, CyberTipline XML escaping, open redirects, escaping of names).
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from cases.models import LegalProcess
from portal.accounts.models import Officer
from reports.matching.credentials import service_credential_issue
from tests.cases.api.conftest import LIST, submission, token_for
from tests.cases.documents import pdf_bytes, pdf_upload
from tests.cases.factories import intake
from tests.factories import verified_client

pytestmark = pytest.mark.django_db

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
DEEP = "[" * 100_000 + "]" * 100_000
TRICKY_TEXT = {
    "nul": "Court\x00of Example County",
    "lone surrogate": "Court \ud800 of Example County",
    "bidi override": "Court of \u202eytnuoC elpmaxE\u202c",
    "combining flood": "Cou" + "\u0301" * 5000 + "rt",
}


def rows() -> dict[str, int]:
    """Row counts of every table the request, message, disclosure and matching code writes
    (the access log is not counted: a refused request is rightly logged)."""
    counts = {}
    for label in ("cases", "disclosures", "cybertip", "matching"):
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model.objects.count()
    return counts


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def bearer(plaintext: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def post_json(client: APIClient, url: str, data: dict):
    """JSON as a client sends it: ``\\ud800`` escapes, which the test client's own renderer
    cannot encode."""
    return client.generic("POST", url, json.dumps(data), "application/json")


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


@pytest.fixture
def officer_api(officer_a) -> APIClient:
    return bearer(token_for(officer_a))


@pytest.fixture
def match_api(settings, tmp_path) -> APIClient:
    settings.LIAISON_MATCH_INDEX_DIR = str(tmp_path / "index")
    return bearer(service_credential_issue(name="pipeline", scopes=["match"]).plaintext)


@pytest.fixture
def a_request(officer_a):
    return intake(officer_a.user).reference


# --- Malformed, deep, huge and mistyped JSON ------------------------------------------------


def json_endpoints(reference: str) -> list[str]:
    return [
        "/api/v1/requests/check/",
        f"/api/v1/requests/{reference}/messages/",
        f"/api/v1/requests/{reference}/withdraw/",
        f"/api/v1/requests/{reference}/extend-preservation/",
    ]


def test_json_nested_too_deeply_is_a_parse_error_everywhere(
    officer_api, match_api, a_request, media_root
):
    """A hundred thousand nested arrays fit in the body limit and made ``json.loads``
    raise RecursionError: a 500 on every JSON endpoint before ``portal.api.parsers``."""
    before, stored = rows(), files(media_root)
    calls = [(match_api, "/api/v1/match/")] + [
        (officer_api, url) for url in json_endpoints(a_request)
    ]
    for client, url in calls:
        body = assert_problem(client.generic("POST", url, DEEP, "application/json"), 400)
        assert body["code"] == "parse_error"
        assert "nested too deeply" in body["detail"]
    # The same inside a multipart field that carries JSON (the submission's targets).
    response = officer_api.post(LIST, submission(targets=DEEP), format="multipart")
    assert assert_problem(response, 400)["errors"][0]["field"].startswith("targets")
    assert rows() == before
    assert files(media_root) == stored


def test_a_body_over_the_memory_limit_is_413_not_500(officer_api, match_api, a_request):
    before = rows()
    huge = json.dumps({"account_id": "x" * (3 * 1024 * 1024), "md5": MD5})
    for client, url in [(match_api, "/api/v1/match/"), (officer_api, json_endpoints(a_request)[1])]:
        body = assert_problem(client.generic("POST", url, huge, "application/json"), 413)
        assert body["code"] == "request_too_large"
    assert rows() == before


@pytest.mark.parametrize("text", ['{"account_id": ', "{'single': 'quotes'}", "\xff\xfe", "NaN"])
def test_malformed_json_is_a_400_parse_error(match_api, text):
    body = assert_problem(
        match_api.generic("POST", "/api/v1/match/", text.encode("latin-1"), "application/json"),
        400,
    )
    assert body["code"] in {"parse_error", "validation_error"}


@pytest.mark.parametrize("content_type", ["application/xml", "text/plain", "text/csv"])
def test_a_wrong_content_type_is_415(officer_api, match_api, a_request, content_type):
    for client, url in [(match_api, "/api/v1/match/"), (officer_api, LIST)]:
        assert_problem(client.generic("POST", url, b"<a>1</a>", content_type), 415)


# --- Odd text in every stored field: NUL, lone surrogates, bidi, combining floods ---------


@pytest.mark.parametrize("kind", TRICKY_TEXT)
def test_odd_unicode_in_stored_text_is_refused_or_stored_intact(officer_api, a_request, kind):
    """NUL and lone surrogates cannot be stored (PostgreSQL refuses NUL, UTF-8 has no lone
    surrogates): a field error, nothing stored. Bidi overrides and combining marks are
    valid text: stored exactly as sent or refused by the field's length, never a 500."""
    value = TRICKY_TEXT[kind]
    before = rows()
    answers = [
        post_json(officer_api, f"/api/v1/requests/{a_request}/messages/", {"body": value}),
        post_json(officer_api, f"/api/v1/requests/{a_request}/withdraw/", {"reason": value}),
    ]
    if kind != "lone surrogate":  # UTF-8 has no encoding of it for a multipart field
        answers.append(
            officer_api.post(LIST, submission(issuing_authority=value), format="multipart")
        )
    for response in answers:
        assert response.status_code in {200, 201, 400}, response.content[:300]
        if response.status_code == 400:
            assert assert_problem(response, 400)["errors"]
    if kind in {"nul", "lone surrogate"}:
        assert all(r.status_code == 400 for r in answers)
        assert rows() == before
    if answers[0].status_code == 201:
        assert answers[0].json()["body"] == value
    if len(answers) == 3 and answers[2].status_code == 201:
        assert LegalProcess.objects.filter(issuing_authority=value).exists()


@pytest.mark.parametrize(
    "header", ["key\x00nul", "\u202ereversed", "a" * 10_000, "ключ-é", "\r\nX-Injected: 1"]
)
def test_odd_idempotency_keys_never_break_a_submission(officer_api, header):
    response = officer_api.post(LIST, submission(), format="multipart", HTTP_IDEMPOTENCY_KEY=header)
    assert response.status_code in {201, 400}, response.content[:300]
    assert "X-Injected" not in response


def test_odd_user_agents_are_logged_without_breaking_the_request(officer_api):
    from portal.audit.models import AccessEvent

    for agent in ["ua\x00nul", "\u202eagent", "x" * 20_000]:
        response = officer_api.get(LIST, HTTP_USER_AGENT=agent)
        assert response.status_code == 200
    assert AccessEvent.objects.filter(action="list").count() >= 3


# --- Uploads: oversized, traversal in names, zip bombs, archive members --------------------


def test_an_oversized_upload_is_a_field_error_and_nothing_is_stored(
    officer_api, settings, media_root
):
    settings.LIAISON_UPLOAD_MAX_BYTES = 64 * 1024
    before = rows()
    big = pdf_upload(data=pdf_bytes() + b"%" + b"0" * (80 * 1024) + b"\n")
    body = assert_problem(
        officer_api.post(LIST, submission(legal_process=big), format="multipart"), 400
    )
    assert body["errors"][0]["field"] == "legal_process"
    assert rows() == before
    assert files(media_root) == []


@pytest.mark.parametrize(
    "name",
    ["../../../../etc/cron.d/evil.pdf", "..\\..\\windows\\evil.pdf", "/abs/evil.pdf", "a\x00b.pdf"],
)
def test_a_path_in_an_uploaded_file_name_stays_a_name(officer_api, media_root, tmp_path, name):
    """Stored files are named by their hash under MEDIA_ROOT; the name the uploader gave
    is kept (as its last component) to show, and never becomes a path."""
    response = officer_api.post(
        LIST, submission(legal_process=pdf_upload(name=name)), format="multipart"
    )
    assert response.status_code in {201, 400}, response.content[:300]
    stored = files(media_root)
    assert all(".." not in part and "evil" not in part for part in stored), stored
    outside = [p for p in tmp_path.rglob("*evil*")]
    assert outside == []


def zip_with(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_zip_bomb_sent_to_verify_is_answered_without_inflating_it(officer_api, settings):
    """A 40 MB PDF member of zeros compresses to some 40 KB. Verify read the PDF member
    whole into memory; with the member's declared size checked first, the answer comes
    without inflating it (peak memory far below the member's size)."""
    settings.LIAISON_DISCLOSURE_FILE_MAX_BYTES = 4 * 1024 * 1024
    bomb = zip_with({"answer.pdf": b"%PDF-1.7\n" + b"\0" * (40 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    upload = io.BytesIO(bomb)
    upload.name = "delivery.zip"
    tracemalloc.start()
    try:
        response = officer_api.post("/api/v1/verify/", {"file": upload}, format="multipart")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200, response.content[:300]
    assert response.json()["ok"] is False
    assert response.json()["problems"] == ["pdf_too_large"]
    assert peak < 16 * 1024 * 1024, peak


def test_archive_members_with_paths_are_never_extracted(officer_api, media_root, tmp_path):
    members = {
        "../../../../tmp/evil.pdf": pdf_bytes(),
        "/etc/evil.pdf": pdf_bytes(),
        "files/../../evil.txt": b"x",
        "answer.pdf": pdf_bytes(),
    }
    upload = io.BytesIO(zip_with(members))
    upload.name = "delivery.zip"
    response = officer_api.post("/api/v1/verify/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["ok"] is False
    assert files(media_root) == []
    assert list(tmp_path.rglob("*evil*")) == []
    assert not Path("/tmp/evil.pdf").exists()


# --- E-mail headers, search, names shown to others ------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "officer@a-pd.example.gov\r\nBcc: everyone@example.com",
        "officer@a-pd.example.gov\nSubject: hi",
        "officer@a-pd.example.gov%0d%0aBcc:x@example.com",
    ],
)
def test_header_injection_in_the_application_address_is_a_form_error_and_sends_nothing(
    officer_a, email
):
    before = Officer.objects.count()
    response = Client().post(
        "/officer/apply/",
        {
            "first_name": "Dana",
            "last_name": "Example",
            "agency": officer_a.agency_id,
            "badge_number": "B-7",
            "email": email,
            "phone": "+12025550142",
        },
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert mail.outbox == []
    assert Officer.objects.count() == before


@pytest.mark.parametrize(
    "query",
    ["' OR 1=1 --", "%", "_", "\\", "'; DROP TABLE cases_case; --", "ZZ%", "a\x00b"],
)
def test_sql_ish_search_strings_find_nothing_they_should_not(responder, officer_b, query):
    """LIKE wildcards and quotes are text to match, not SQL: none of these matches the one
    case the responder can see, which a search by its reference does find."""
    reference = intake(officer_b.user).reference
    client = verified_client(responder)
    assert [
        c.reference
        for c in client.get("/cases/", {"tab": "all", "q": reference}).context["page"].items
    ] == [reference]
    response = client.get("/cases/", {"tab": "all", "q": query})
    assert response.status_code in {200, 400}
    if response.status_code == 200 and response.context["form"].is_valid():
        assert response.context["page"].items == []
    elif response.status_code == 200:  # refused (NUL): the form says so, no filter applied
        assert response.context["form"].errors["q"]
