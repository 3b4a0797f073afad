"""Schemathesis per persona (issue 18, item 1): every caller the API can meet gets answers
the OpenAPI document describes and no 5xx, and none of them sees what is not theirs.

- officer A with a read-only token: reads work (200), every write is refused for its
  scope (403), and no answer carries agency B's request;
- the ``match`` service credential: the match endpoint answers (200, 400), every officer
  endpoint refuses it (401);
- staff: a signed-in responder's session cookie opens no API endpoint, nor does a token
  row left on a staff account (an officer since moved to staff work);
- an officer of a suspended agency: the token is refused everywhere.

Officer A with a read+submit token is ``tests/cases/api/test_schemathesis.py``. Examples
are few per operation (the refusals are cheap, the read-only officer's reads are not);
the whole module runs in about 20 s on the 2-core CI machine.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.urls import Resolver404, resolve
from django.utils import timezone
from schemathesis import GenerationMode

from cases.models import ProcessKind, TargetKind
from portal.accounts.models import ApiToken
from portal.accounts.roles import Role
from portal.accounts.tokens import token_digest
from portal.api.throttles import TokenRateThrottle
from reports.matching.credentials import ServiceCredentialThrottle, service_credential_issue
from tests.cases.api.conftest import token_for
from tests.cases.factories import intake
from tests.factories import verified_client
from tests.security.fuzz import CHECKS, fuzz, in_process_api, operations

pytestmark = pytest.mark.django_db

B_TARGET = "agency-b-only@example.com"
FEW = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}
MATCH = "POST /api/v1/match/"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


@pytest.fixture
def seeded(officer_a, officer_b):
    """References the fuzzer may hit: A's subpoena, A's preservation, B's subpoena."""
    long_ago = timezone.now() - timedelta(days=3)
    b_case = intake(officer_b.user, targets=[(TargetKind.EMAIL, B_TARGET)])
    return {
        "refs": [
            intake(officer_a.user, received_at=long_ago).reference,
            intake(officer_a.user, kind=ProcessKind.US_PRESERVATION).reference,
            b_case.reference,
        ],
        "b": b_case.reference,
    }


@pytest.fixture
def api(settings, monkeypatch, tmp_path):
    """The in-process API, unthrottled (the fuzzer would otherwise only meet 429s) and with
    a match index of the test's own."""
    monkeypatch.setattr(TokenRateThrottle, "rate", "100000/min", raising=False)
    monkeypatch.setattr(ServiceCredentialThrottle, "get_rate", lambda self: "100000/min")
    settings.LIAISON_API_AUTH_FAILURES = 100000
    settings.LIAISON_MATCH_INDEX_DIR = str(tmp_path / "index")
    settings.LIAISON_MATCH_DELTA_SECONDS = 0
    from reports.matching import credentials
    from reports.matching.index_store import MATCHER

    credentials._ACTOR_CACHE.clear()
    MATCHER.reset()
    with in_process_api(settings) as schema:
        yield schema
    MATCHER.reset()


def run(schema, headers, seeded, inspect=None, only=None) -> set[tuple[str, int]]:
    seen: set[tuple[str, int]] = set()
    for operation in operations(schema):
        if only is not None and operation.label not in only:
            continue
        for mode, examples in FEW.items():
            fuzz(
                operation,
                mode,
                examples,
                headers=headers,
                seeded=seeded["refs"],
                seen=seen,
                inspect=inspect,
            )
    return seen


def refused(*, status: int = 401, except_: str = ""):
    """An ``inspect`` for callers the API must turn away: every answer of every operation
    but ``except_`` is ``status``, or 406 (a generated Accept header the API cannot
    serve), or 404 for a path no URL matches (a generated non-integer id)."""

    def check(case, response) -> None:
        if case.operation.label == except_ or response.status_code in {status, 406}:
            return
        path = urlsplit(case.formatted_path).path
        unrouted = False
        try:
            resolve(path)
        except Resolver404:
            unrouted = True
        assert response.status_code == 404 and unrouted, (
            case.operation.label,
            path,
            response.status_code,
            response.text[:300],
        )

    return check


def test_read_only_officer_reads_but_writes_nothing_and_never_sees_agency_b(officer_a, seeded, api):
    from cases.models import Case

    cases_before = Case.objects.count()

    def nothing_of_b(case, response) -> None:
        if response.status_code < 300:
            assert seeded["b"] not in response.text, (case.formatted_path, response.text[:300])
            assert B_TARGET not in response.text.lower()

    seen = run(
        api,
        {"Authorization": f"Bearer {token_for(officer_a, ('read',))}"},
        seeded,
        inspect=nothing_of_b,
    )
    assert ("GET /api/v1/requests/", 200) in seen
    assert ("GET /api/v1/requests/{reference}/", 200) in seen
    assert ("GET /api/v1/requests/{reference}/", 404) in seen  # B's, or none
    # Nothing filed, extended, withdrawn or sent with a read-only token.
    assert not {(label, code) for label, code in seen if label.startswith("POST") and code == 201}
    for action in ("extend-preservation", "withdraw"):
        label = f"POST /api/v1/requests/{{reference}}/{action}/"
        assert (label, 403) in seen
        assert (label, 200) not in seen
    assert Case.objects.count() == cases_before


def test_match_credential_matches_and_opens_nothing_else(seeded, api):
    plaintext = service_credential_issue(name="upload pipeline", scopes=["match"]).plaintext
    headers = {"Authorization": f"Bearer {plaintext}"}
    seen = run(api, headers, seeded, inspect=refused(except_=MATCH))
    # Generated hashes are rarely hexadecimal of the right length; one known-good call
    # proves the credential reaches a verdict, checked against the schema like the rest.
    match = next(op for op in operations(api) if op.label == MATCH)
    case = match.Case(body={"account_id": "u1", "md5": MD5}, media_type="application/json")
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS)
    assert response.json()["verdict"] == "allow"
    # A generated hash of the right form gets its verdict (200); malformed ones 400, and
    # negative cases without the credential's header are 401 like any other.
    assert {code for label, code in seen if label == MATCH} <= {200, 400, 401, 406, 415}
    assert (MATCH, 400) in seen


def test_a_staff_session_opens_no_api_endpoint(responder, seeded, api):
    name = django_settings.SESSION_COOKIE_NAME
    session = verified_client(responder).cookies[name].value
    seen = run(api, {"Cookie": f"{name}={session}"}, seeded, inspect=refused())
    assert 401 in {code for _, code in seen}


def test_a_token_left_on_a_staff_account_is_refused_everywhere(officer_a, seeded, api):
    """An officer's token, then the account moved to staff work (officer role taken away,
    responder given): the token must stop working at once, on every endpoint."""
    plaintext = token_for(officer_a)
    user = officer_a.user
    user.groups.clear()
    user.groups.add(Group.objects.get(name=Role.RESPONDER))
    assert ApiToken.objects.get(digest=token_digest(plaintext)).revoked_at is None
    seen = run(api, {"Authorization": f"Bearer {plaintext}"}, seeded, inspect=refused())
    assert 401 in {code for _, code in seen}


def test_a_suspended_agency_token_is_refused_everywhere(officer_a, seeded, api):
    plaintext = token_for(officer_a)
    agency = officer_a.agency
    agency.status = type(agency).Status.SUSPENDED
    agency.save(update_fields=["status"])
    seen = run(api, {"Authorization": f"Bearer {plaintext}"}, seeded, inspect=refused())
    assert 401 in {code for _, code in seen}
