"""Prepared statements on Django's connection (``portal.prepared``): the token check and the
access-log insert run prepared, in the caller's transaction, not behind a pooler, and the
token check doubles as the request's connection health check."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from portal.accounts.tokens import api_token_check, api_token_issue
from portal.audit.models import AccessEvent
from portal.audit.services import access_event_record
from portal.prepared import prepared_fetchone

# Prepared statements behave per server connection (a pooler in front turns them off).
pytestmark = pytest.mark.server

STATEMENT = "SELECT %s::text || '-' || %s::text"


def prepared_here() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_a_statement_is_prepared_once_and_answers_like_any_query():
    answers = [prepared_fetchone(STATEMENT, [value, "x"]) for value in ("a", "b")]

    assert answers == [("a-x",), ("b-x",)]
    assert [s for s in prepared_here() if "|| '-' ||" in s] == [
        "SELECT $1::text || '-' || $2::text"
    ]


@pytest.mark.django_db
def test_it_runs_in_the_callers_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        access_event_record(action="view", actor_label="test", case_reference="LR-2026-000009")
        assert AccessEvent.objects.filter(case_reference="LR-2026-000009").exists()
        raise RuntimeError

    assert not AccessEvent.objects.filter(case_reference="LR-2026-000009").exists()


@pytest.mark.django_db
def test_the_query_log_names_the_statement(django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        prepared_fetchone(STATEMENT, ["a", "x"])

    assert captured.captured_queries[0]["sql"] == STATEMENT


@pytest.mark.django_db
def test_behind_a_transaction_pooler_nothing_is_prepared(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)

    assert prepared_fetchone(STATEMENT.replace("'-'", "'+'"), ["a", "x"]) == ("a+x",)
    assert not [s for s in prepared_here() if "|| '+' ||" in s]


# --- the token check as the connection's health check (outside a test transaction) --------


@pytest.fixture
def token(officer_a):
    return api_token_issue(user=officer_a.user, name="RMS", scopes=["read"]).plaintext


def start_of_a_request() -> None:
    """What Django does when a request starts on a reused connection (CONN_HEALTH_CHECKS)."""
    connection.close_if_unusable_or_obsolete()
    assert connection.connection is not None and not connection.health_check_done


@pytest.mark.django_db(transaction=True)
def test_the_token_check_replaces_the_select_1_of_the_health_check(token, monkeypatch):
    checks = []
    usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or usable())
    start_of_a_request()

    api_token_check(plaintext=token)
    AccessEvent.objects.exists()  # the next query does not check again either

    assert connection.health_check_done
    assert checks == []


@pytest.mark.django_db(transaction=True)
def test_other_statements_leave_the_check_to_django(monkeypatch):
    checks = []
    usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or usable())
    start_of_a_request()

    access_event_record(action="view", actor_label="test", case_reference="LR-2026-000009")

    assert checks == [1]


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_died_between_requests_is_replaced_and_the_check_answers(
    token, officer_a
):
    start_of_a_request()
    dead = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [dead])

    checked = api_token_check(plaintext=token)

    assert checked.user.pk == officer_a.user_id
    assert connection.connection.info.backend_pid != dead


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.django_db
def test_the_hand_written_token_lookup_loads_what_the_orm_loads(officer_a):
    """``RowPart`` (``from_db`` plus Django's column converters) against ``select_related``:
    every field of token, user, officer and agency equal, relations wired the same way."""
    from portal.accounts.models import ApiToken
    from portal.accounts.roles import user_roles
    from portal.accounts.tokens import _token_load

    issued = api_token_issue(user=officer_a.user, name="Case system", scopes=["read"])
    ours = _token_load(issued.token.prefix)
    theirs = ApiToken.objects.select_related("user__officer__agency").get(pk=issued.token.pk)
    assert ours is not None
    assert _values(ours) == _values(theirs)
    assert _values(ours.user) == _values(theirs.user)
    assert _values(ours.user.officer) == _values(theirs.user.officer)
    assert _values(ours.user.officer.agency) == _values(theirs.user.officer.agency)
    assert ours.user.officer.user is ours.user
    assert user_roles(ours.user) == user_roles(theirs.user)
    assert not ours._state.adding and ours._state.db == "default"


@pytest.mark.django_db
def test_the_prepared_insert_stores_what_save_stores():
    """``model_insert`` (each field's ``get_db_prep_save``) against ``save()``, on the access
    event's column types: timestamps, inet, JSON, text, integers, empty values."""
    from django.utils import timezone

    from portal.prepared import model_insert

    def event() -> AccessEvent:
        return AccessEvent(
            at=timezone.now(),
            actor_label="canary",
            actor_roles="responder",
            ip="2001:db8::7",
            user_agent="Mozilla/5.0",
            request_id="req-1",
            action="view",
            object_type="cases.case",
            object_id="42",
            case_reference="LR-2026-000042",
            outcome="success",
            details={"ids": ["1", "2"], "query": {"q": "é ü \u2028"}, "n": 3, "ok": True},
        )

    ours, theirs = event(), event()
    theirs.at = ours.at
    model_insert(ours)
    theirs.save()
    assert ours.pk is not None and not ours._state.adding
    skip = {"id"}
    stored = {
        pk: {k: v for k, v in _values(AccessEvent.objects.get(pk=pk)).items() if k not in skip}
        for pk in (ours.pk, theirs.pk)
    }
    assert stored[ours.pk] == stored[theirs.pk]
