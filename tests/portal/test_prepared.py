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
