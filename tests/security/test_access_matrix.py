"""The access matrix (issue 11, item 9): every URL of the portal, asked by every persona,
against one table of expected answers (NetBox's generic view tests, STYLE.md).

The URL conf is walked like the access-log coverage test does (``tests/url_walk.py``):
a named URL without a row in ``TABLE`` fails ``test_every_url_has_a_row``, and a row
whose URL is gone fails ``test_every_row_names_a_url``. The Django admin is one row for
``admin:index`` and one for a model page; the rest of ``/admin/`` is the admin's own
(``OTPAdminSite``: a verified superuser, or its sign-in page), covered as one prefix.

Each row is one URL and method, each cell the answer one persona must get. The objects a
row points at are in ``OBJECTS``: by default a request of agency A (its preservation,
disclosure, message), the child-safety case for the CyberTipline pages; a row
``name[b]`` or ``name[cs]`` asks the same URL about agency B's request or the child-safety
case, so each officer meets its own agency's objects and the other's. The personas and
objects are built in ``tests/security/access_world.py``.

Two kinds of row:
- a page: one cell per web persona. A bearer token opens no page, so officer A's token
  is asked too and must get the anonymous visitor's answer;
- an API operation (``anon | ...``): the anonymous caller and the API's own callers
  (tokens of officers A and B, a revoked token, a token of a suspended agency, the match
  service's credential). A session cookie opens no API endpoint, so every web persona is
  asked too and must get the anonymous caller's answer.

Cells:
    L    a redirect to the sign-in page        V   a redirect to the second factor
    R    any other redirect (a form's "done", the admin's own sign-in page)
    UP   200 or 503: readiness reports on the broker the run is given
    200, 400, 401, 403, 404, 405 ...  that status

A POST carries an empty body. When the answer is a refusal (L, V, 4xx), the request has
written nothing but its session, its access-log entry and a credential's last use: the
refusal comes before any write.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.urls import get_resolver, reverse

from tests.security import access_world as w
from tests.url_walk import walk

TABLE = """
# personas:                             anon resp lgl  anls sup  aud  admn outs offA offB susp no2f
[accounts]
login                              GET  200  R    R    R    R    R    R    R    R    R    R    200
login                              POST 200  R    R    R    R    R    R    R    R    R    R    200
verify                             GET  L    R    R    R    R    R    R    R    R    R    R    200
verify                             POST L    R    R    R    R    R    R    R    R    R    R    200
enrol                              GET  L    200  200  200  200  200  200  200  200  200  200  V
enrol                              POST L    200  200  200  200  200  200  200  200  200  200  V
security                           GET  L    200  200  200  200  200  200  200  200  200  200  V
security                           POST L    200  200  200  200  200  200  200  200  200  200  V
confirm                            GET  L    200  200  200  200  200  200  200  200  200  200  V
confirm                            POST L    200  200  200  200  200  200  200  200  200  200  V
backup_codes                       POST L    200  200  200  200  200  200  200  200  200  200  V
tokens_revoke                      POST L    R    R    R    R    R    R    R    R    R    R    V
time_zone                          POST L    R    R    R    R    R    R    R    R    R    R    V
logout                             POST L    L    L    L    L    L    L    L    L    L    L    L

[admin]
index                              GET  R    R    R    R    R    R    200  R    R    R    R    V
index                              POST R    R    R    R    R    R    200  R    R    R    R    V
accounts_officer_changelist        GET  L    R    R    R    R    R    200  R    R    R    R    V

[]
home                               GET  L    R    R    R    R    R    R    R    R    R    R    V
healthz                            GET  200  200  200  200  200  200  200  200  200  200  200  200
readyz                             GET  UP   UP   UP   UP   UP   UP   UP   UP   UP   UP   UP   UP
metrics                            GET  404  404  404  404  404  404  404  404  404  404  404  404
healthz-celery                     GET  L    404  404  404  404  404  200  404  404  404  404  V
language_set                       POST R    R    R    R    R    R    R    R    R    R    R    R
passkey-authentication-begin       POST 403  200  200  200  200  200  200  200  200  200  200  200
passkey-authentication-complete    POST 403  400  400  400  400  400  400  400  400  400  400  400
passkey-registration-begin         POST 403  200  200  200  200  200  200  200  200  200  200  403
passkey-registration-complete      POST 403  400  400  400  400  400  400  400  400  400  400  403

[otp_webauthn]
credential-authentication-begin    POST 403  200  200  200  200  200  200  200  200  200  200  200
credential-authentication-complete POST 403  400  400  400  400  400  400  400  400  400  400  400
credential-registration-begin      POST 403  200  200  200  200  200  200  200  200  200  200  403
credential-registration-complete   POST 403  400  400  400  400  400  400  400  400  400  400  403
js-i18n-catalog                    GET  L    200  200  200  200  200  200  200  200  200  200  200

[cases]
queue                              GET  L    200  200  200  200  200  404  200  404  404  404  V
intake                             GET  L    200  200  200  200  404  404  200  404  404  404  V
intake                             POST L    400  400  400  400  404  404  400  404  404  404  V
detail                             GET  L    200  200  404  200  200  404  404  404  404  404  V
detail[cs]                         GET  L    404  404  200  200  200  404  404  404  404  404  V
transition                         POST L    R    R    404  R    404  404  404  404  404  404  V
assign                             POST L    R    R    404  R    404  404  404  404  404  404  V
note_add                           POST L    400  400  404  400  404  404  404  404  404  404  V
attachment_add                     POST L    400  400  404  400  404  404  404  404  404  404  V
attachment_download                GET  L    200  200  404  200  200  404  404  404  404  404  V
attachment_download[cs]            GET  L    404  404  200  200  403  404  404  404  404  404  V
process_document                   GET  L    200  200  404  200  200  404  404  404  404  404  V
user_notice                        POST L    400  400  404  400  404  404  404  404  404  404  V
team_change                        POST L    404  404  404  400  404  404  404  404  404  404  V
deadline_override                  POST L    404  404  404  400  404  404  404  404  404  404  V
preservation_extend                POST L    R    R    404  R    404  404  404  404  404  404  V
preservation_release               POST L    400  400  404  400  404  404  404  404  404  404  V

[conversation]
staff_post                         POST L    400  400  404  400  404  404  404  404  404  404  V
staff_file                         GET  L    200  200  404  200  200  404  404  404  404  404  V
officer_post                       POST L    404  404  404  404  404  404  404  400  404  403  V
officer_file                       GET  L    404  404  404  404  404  404  404  200  404  403  V
# API callers:                          anon |    tokA tokB rvkd susA mtch
api_thread                         GET  401  |    200  404  401  401  401
api_thread                         POST 401  |    400  404  401  401  401
api_file                           GET  401  |    200  404  401  401  401

[disclosures]
create                             POST L    400  400  404  400  404  404  404  404  404  404  V
file_add                           POST L    400  400  404  400  404  404  404  404  404  404  V
submit                             POST L    R    R    404  R    404  404  404  404  404  404  V
release                            POST L    R    R    404  R    404  404  404  404  404  404  V
return                             POST L    400  400  404  400  404  404  404  404  404  404  V
render                             POST L    404  404  404  404  404  404  404  404  404  404  V
renew                              POST L    R    R    404  R    404  404  404  404  404  404  V
staff_download                     GET  L    200  200  404  200  200  404  404  404  404  404  V
officer_download                   GET  L    404  404  404  404  404  404  404  200  404  403  V
verify                             GET  L    200  200  200  200  200  404  200  200  200  404  V
verify                             POST L    200  200  200  200  200  404  200  200  200  404  V
# API callers:                          anon |    tokA tokB rvkd susA mtch
api_list                           GET  401  |    200  404  401  401  401
api_download                       GET  401  |    200  404  401  401  401
api_verify                         POST 401  |    400  400  401  401  401

[cybertip]
attention                          GET  L    404  404  404  200  404  404  200  404  404  404  V
new                                GET  L    404  404  200  200  404  404  404  404  404  404  V
new                                POST L    404  404  200  200  404  404  404  404  404  404  V
report                             GET  L    404  404  200  200  404  404  404  404  404  404  V
report                             POST L    404  404  200  200  404  404  404  404  404  404  V
submit                             POST L    404  404  R    R    404  404  404  404  404  404  V
retract                            POST L    404  404  R    R    404  404  404  404  404  404  V
file_add                           POST L    404  404  R    R    404  404  404  404  404  404  V
file_reveal                        POST L    404  404  R    R    404  404  404  404  404  404  V
file_content                       GET  L    404  404  403  403  404  404  404  404  404  404  V
file_classify                      POST L    404  404  R    R    404  404  404  404  404  404  V
referral_create                    POST L    404  404  R    R    404  404  404  404  404  404  V
referral_approve                   POST L    404  404  R    R    404  404  404  404  404  404  V

[cybertip_api]
# API callers:                          anon |    tokA tokB rvkd susA mtch
referrals                          GET  401  |    200  200  401  401  401

[audit]
events                             GET  L    404  404  404  200  200  404  200  404  404  404  V
export                             GET  L    404  404  404  200  200  404  200  404  404  404  V

[notifications]
list                               GET  L    200  200  200  200  200  200  200  200  200  200  V
read                               POST L    R    404  404  404  404  404  404  404  404  404  V
read_all                           POST L    R    R    R    R    R    R    R    R    R    R    V

[api]
# API callers:                          anon |    tokA tokB rvkd susA mtch
me                                 GET  401  |    200  200  401  401  401
schema                             GET  200  |    200  200  200  200  200
docs                               GET  200  |    200  200  200  200  200

[requests_api]
# API callers:                          anon |    tokA tokB rvkd susA mtch
list                               GET  401  |    200  200  401  401  401
list                               POST 401  |    400  400  401  401  401
check                              POST 401  |    400  400  401  401  401
detail                             GET  401  |    200  404  401  401  401
detail[b]                          GET  401  |    404  200  401  401  401
detail[cs]                         GET  401  |    404  404  401  401  401
extend_preservation                POST 401  |    200  404  401  401  401
withdraw                           POST 401  |    400  404  401  401  401

[matching-api]
# API callers:                          anon |    tokA tokB rvkd susA mtch
match                              POST 401  |    401  401  401  401  400

[matching]
lists                              GET  L    404  404  200  200  404  404  200  404  404  404  V
lists                              POST L    404  404  200  200  404  404  200  404  404  404  V
list                               GET  L    404  404  200  200  404  404  200  404  404  404  V
list                               POST L    404  404  200  200  404  404  200  404  404  404  V
export                             GET  L    404  404  200  200  404  404  200  404  404  404  V
import-progress                    GET  L    404  404  200  200  404  404  200  404  404  404  V
item-review                        POST L    404  404  R    R    404  404  R    404  404  404  V

[officer]
requests                           GET  L    404  404  404  404  404  404  404  200  200  403  V
requests                           POST L    404  404  404  404  404  404  404  200  200  403  V
request_new                        GET  L    404  404  404  404  404  404  404  200  200  403  V
request_new                        POST L    404  404  404  404  404  404  404  400  400  403  V
request                            GET  L    404  404  404  404  404  404  404  200  404  403  V
request                            POST L    404  404  404  404  404  404  404  200  404  403  V
request[b]                         GET  L    404  404  404  404  404  404  404  404  200  403  V
request[cs]                        GET  L    404  404  404  404  404  404  404  404  404  403  V
preservation_extend                POST L    404  404  404  404  404  404  404  R    404  403  V
request_withdraw                   POST L    404  404  404  404  404  404  404  400  404  403  V
tokens                             GET  L    404  404  404  404  404  404  404  200  200  403  V
tokens                             POST L    404  404  404  404  404  404  404  200  200  403  V
token_revoke                       POST L    404  404  404  404  404  404  404  R    404  403  V
apply                              GET  200  200  200  200  200  200  200  200  200  200  200  V
apply                              POST 200  200  200  200  200  200  200  200  200  200  200  V
apply_done                         GET  200  200  200  200  200  200  200  200  200  200  200  V
enrol                              GET  200  200  200  200  200  200  200  200  200  200  200  V
enrol                              POST 200  200  200  200  200  200  200  200  200  200  200  V
referrals                          GET  L    404  404  404  404  404  404  404  200  200  403  V
referral                           GET  L    404  404  404  404  404  404  404  200  404  403  V

[officers]
list                               GET  L    404  404  404  200  404  200  200  404  404  404  V
detail                             GET  L    404  404  404  200  404  200  200  404  404  404  V
approve                            POST L    404  404  404  400  404  400  400  404  404  404  V
reject                             POST L    404  404  404  400  404  400  400  404  404  404  V
suspend                            POST L    404  404  404  400  404  400  400  404  404  404  V
reinstate                          POST L    404  404  404  400  404  400  400  404  404  404  V
enrolment_link                     POST L    404  404  404  R    404  R    R    404  404  404  V
token_revoke                       POST L    404  404  404  R    404  R    R    404  404  404  V
agency                             GET  L    404  404  404  200  404  200  200  404  404  404  V
agency_suspend                     POST L    404  404  404  400  404  400  400  404  404  404  V
agency_reinstate                   POST L    404  404  404  400  404  400  400  404  404  404  V

[transparency]
report                             GET  L    404  200  404  200  200  404  200  404  404  404  V
generate                           POST L    404  400  404  400  404  404  400  404  404  404  V
frozen                             GET  L    404  200  404  200  200  404  200  404  404  404  V
publish                            POST L    404  R    404  R    404  404  R    404  404  404  V
dashboard                          GET  L    404  404  404  200  404  404  200  404  404  404  V
"""

# What each row's URL parameters point at (``access_world``); a quoted value is literal.
OBJECTS = {
    "cases:detail": "reference=case_a",
    "cases:detail[cs]": "reference=case_cs",
    "cases:transition": "reference=case_a",
    "cases:assign": "reference=case_a",
    "cases:note_add": "reference=case_a",
    "cases:attachment_add": "reference=case_a",
    "cases:attachment_download": "reference=case_a pk=attachment_a",
    "cases:attachment_download[cs]": "reference=case_cs pk=attachment_cs",
    "cases:process_document": "reference=case_a pk=process_a",
    "cases:user_notice": "reference=case_a",
    "cases:team_change": "reference=case_a",
    "cases:deadline_override": "reference=case_a pk=deadline_a",
    "cases:preservation_extend": "reference=case_hold pk=hold",
    "cases:preservation_release": "reference=case_hold pk=hold",
    "conversation:staff_post": "reference=case_a",
    "conversation:staff_file": "reference=case_a pk=message_file_a",
    "conversation:officer_post": "reference=case_a",
    "conversation:officer_file": "reference=case_a pk=message_file_a",
    "conversation:api_thread": "reference=case_a",
    "conversation:api_file": "reference=case_a pk=message_file_a",
    "disclosures:create": "reference=case_a",
    "disclosures:file_add": "reference=case_a pk=disclosure_a",
    "disclosures:submit": "reference=case_a pk=disclosure_a",
    "disclosures:release": "reference=case_a pk=disclosure_a",
    "disclosures:return": "reference=case_a pk=disclosure_a",
    "disclosures:render": "reference=case_a pk=disclosure_a",
    "disclosures:renew": "reference=case_a pk=disclosure_a",
    "disclosures:staff_download": 'reference=case_a pk=disclosure_a what="pdf"',
    "disclosures:officer_download": "reference=case_a pk=disclosure_a token=download_a",
    "disclosures:api_list": "reference=case_a",
    "disclosures:api_download": "reference=case_a pk=disclosure_a token=download_a",
    "cybertip:new": "reference=case_cs",
    "cybertip:report": "reference=case_cs pk=report_cs",
    "cybertip:submit": "reference=case_cs pk=report_cs",
    "cybertip:retract": "reference=case_cs pk=report_cs",
    "cybertip:file_add": "reference=case_cs pk=report_cs",
    "cybertip:file_reveal": "reference=case_cs pk=report_cs file_pk=report_file_cs",
    "cybertip:file_content": "reference=case_cs pk=report_cs file_pk=report_file_cs",
    "cybertip:file_classify": "reference=case_cs pk=report_cs file_pk=report_file_cs",
    "cybertip:referral_create": "reference=case_cs pk=report_cs",
    "cybertip:referral_approve": "reference=case_cs pk=report_cs referral_pk=referral_pending",
    "notifications:read": "pk=notification",
    "requests_api:detail": "reference=case_a",
    "requests_api:detail[b]": "reference=case_b",
    "requests_api:detail[cs]": "reference=case_cs",
    "requests_api:extend_preservation": "reference=case_hold",
    "requests_api:withdraw": "reference=case_a",
    "matching:list": "name=hash_list",
    "matching:export": 'name=hash_list fmt="csv"',
    "matching:import-progress": "job_id=import_job",
    "matching:item-review": "item_id=matched_item",
    "officer:request": "reference=case_a",
    "officer:request[b]": "reference=case_b",
    "officer:request[cs]": "reference=case_cs",
    "officer:preservation_extend": "reference=case_hold pk=hold",
    "officer:request_withdraw": "reference=case_a",
    "officer:token_revoke": "pk=token_a",
    "officer:enrol": "token=enrolment",
    "officer:referral": "pk=referral_sent",
    "officers:detail": "pk=officer_a",
    "officers:approve": "pk=officer_a",
    "officers:reject": "pk=officer_a",
    "officers:suspend": "pk=officer_a",
    "officers:reinstate": "pk=officer_a",
    "officers:enrolment_link": "pk=officer_a",
    "officers:token_revoke": "pk=officer_a token_pk=token_a",
    "officers:agency": "pk=agency_a",
    "officers:agency_suspend": "pk=agency_a",
    "officers:agency_reinstate": "pk=agency_a",
    "transparency:frozen": "pk=transparency_report",
    "transparency:publish": "pk=transparency_report",
}

REDIRECTS = {"L": "accounts:login", "V": "accounts:verify"}
EXPECTED = {"UP": {"200", "503"}}
# A refused request may still renew its session, write its access-log entry and record a
# credential's use (or refusal) on the credential: nothing else.
REFUSALS = frozenset({"L", "V", "400", "401", "403", "404", "405", "429"})
WRITTEN_BY_A_REFUSAL = frozenset(
    {"django_session", "audit_accessevent", "accounts_apitoken", "matching_servicecredential"}
)


@dataclass(frozen=True)
class Row:
    key: str  # "namespace:name", or "namespace:name[variant]" for other objects
    method: str
    answers: dict[str, str]  # persona -> cell, every persona asked

    @property
    def name(self) -> str:
        return self.key.partition("[")[0]


def _row(key: str, method: str, cells: list[str]) -> Row:
    assert method in ("GET", "POST"), key
    if "|" in cells:  # an API operation: a session is no credential there
        anon, _bar, *callers = cells
        assert len(callers) == len(w.API_PERSONAS), (key, method, cells)
        answers = dict.fromkeys(w.WEB_PERSONAS, anon)
        answers |= dict(zip(w.API_PERSONAS, callers, strict=True))
    else:  # a page: a token is no credential there
        assert len(cells) == len(w.WEB_PERSONAS), (key, method, cells)
        answers = dict(zip(w.WEB_PERSONAS, cells, strict=True)) | {w.TOKEN_A: cells[0]}
    assert set(answers.values()) <= CELLS, (key, method, set(answers.values()) - CELLS)
    return Row(key, method, answers)


def _parse(table: str) -> list[Row]:
    rows: list[Row] = []
    namespace = ""
    for line in table.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            namespace = line.strip("[] ")
            continue
        name, method, *cells = line.split()
        rows.append(_row(f"{namespace}:{name}" if namespace else name, method, cells))
    return rows


CELLS = frozenset({"L", "V", "R", "UP", "200", "400", "401", "403", "404", "405", "429"})
ROWS = _parse(TABLE)
URLS = list(walk(get_resolver().url_patterns))
CASES = [
    pytest.param(row, persona, cell, id=f"{row.key}-{row.method}-{persona}")
    for row in ROWS
    for persona, cell in row.answers.items()
]


def _value(world: w.World, kwarg: str, spec: str) -> str | int:
    if spec.startswith('"'):
        return spec.strip('"')
    obj = world.objects[spec]
    if isinstance(obj, str):
        return obj
    if kwarg == "reference":
        return obj.reference
    if kwarg == "name":
        return obj.name
    return obj.pk


def path_for(world: w.World, row: Row) -> str:
    kwargs = {}
    for part in OBJECTS.get(row.key, "").split():
        kwarg, spec = part.split("=", 1)
        kwargs[kwarg] = _value(world, kwarg, spec)
    return reverse(row.name, kwargs=kwargs)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The personas and objects, made once in a transaction of the module's own; each test
    runs in a savepoint inside it (pytest-django's ``db``) and the module's end rolls the
    whole world back, access-log rows included."""
    from reports.disclosures.pki import demo_pki_create
    from reports.matching import credentials

    media = tmp_path_factory.mktemp("matrix-media")
    pki = tmp_path_factory.mktemp("matrix-pki")
    demo_pki_create(pki, organisation="Example Platform, Inc.", signer_name="Jordan Example")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # a durable block inside is the request's, as in TestCase
        outer.__enter__()
        try:
            yield w.world_build(media, pki)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            credentials._ACTOR_CACHE.clear()


@pytest.fixture(autouse=True)
def media_root(request, settings):
    """The world's files (replaces the security suite's per-test folder). The structural
    tests use no world: pytest-django runs them after the transactional tests, when the
    rows the migrations made (the default team) are flushed, so they must not build one."""
    if "world" not in request.fixturenames:
        return None
    world = request.getfixturevalue("world")
    settings.MEDIA_ROOT = world.media
    return world.media


def writes() -> dict[str, int]:
    """Rows inserted, updated or deleted per table so far in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
        )
        return dict(cursor.fetchall())


def written(before: dict[str, int]) -> set[str]:
    return {table for table, count in writes().items() if count != before.get(table, 0)}


def cell_of(response) -> str:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        for cell, name in REDIRECTS.items():
            if location.startswith(reverse(name)):
                return cell
        return "R"
    return str(response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "persona", "expected"), CASES)
def test_access(row: Row, persona: str, expected: str, world: w.World):
    path = path_for(world, row)
    client = world.client(persona)
    before = writes()

    response = client.get(path) if row.method == "GET" else client.post(path, {})

    answer = cell_of(response)
    assert answer in EXPECTED.get(expected, {expected}), (
        f"{row.method} {path} as {persona}: {answer} ({response.status_code}), "
        f"the table says {expected}"
    )
    if answer in REFUSALS:
        assert written(before) <= WRITTEN_BY_A_REFUSAL, f"{row.method} {path} as {persona}"


def test_every_url_has_a_row():
    """A new URL fails here until its row says who gets what."""
    rows = {row.name for row in ROWS}
    missing = sorted(
        u.name for u in URLS if u.name and not u.name.startswith("admin:") and u.name not in rows
    )
    assert not missing, "URLs without a row in the access matrix:\n  " + "\n  ".join(missing)


def test_every_row_names_a_url():
    names = {u.name for u in URLS}
    gone = sorted({row.key for row in ROWS if row.name not in names})
    assert not gone, "rows for URLs that no longer exist:\n  " + "\n  ".join(gone)
    stale = sorted(set(OBJECTS) - {row.key for row in ROWS})
    assert not stale, f"OBJECTS for no row: {stale}"


def test_every_url_outside_the_admin_is_named():
    """A row names its URL; a pattern without a name could not have one."""
    unnamed = [str(u) for u in URLS if not u.name and not u.route.startswith("admin/")]
    assert not unnamed, unnamed


@pytest.mark.django_db
def test_the_write_check_sees_a_write(world):
    """Guards the check itself: a row written in the transaction shows in ``written``."""
    from cases.models import Note

    before = writes()
    Note.objects.create(
        case=world.objects["case_a"], author=world.objects["officer_a"].user, body="seen"
    )
    assert "cases_note" in written(before)
