"""Prepared statements on Django's connection (``portal.prepared``): the token check and the
access-log insert run prepared, in the caller's transaction, and not behind a pooler."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from portal.audit.models import AccessEvent
from portal.audit.services import access_event_record
from portal.prepared import prepared_cursor

pytestmark = pytest.mark.django_db

STATEMENT = "SELECT %s::text || '-' || %s::text"


def prepared_here() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_is_prepared_once_and_answers_like_any_query():
    with prepared_cursor() as cursor:
        answers = []
        for value in ("a", "b"):
            cursor.execute(STATEMENT, [value, "x"])
            answers.append(cursor.fetchone()[0])

    assert answers == ["a-x", "b-x"]
    assert [s for s in prepared_here() if "|| '-' ||" in s] == [
        "SELECT $1::text || '-' || $2::text"
    ]


def test_it_runs_in_the_callers_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        access_event_record(action="view", actor_label="test", case_reference="LR-2026-000009")
        assert AccessEvent.objects.filter(case_reference="LR-2026-000009").exists()
        raise RuntimeError

    assert not AccessEvent.objects.filter(case_reference="LR-2026-000009").exists()


def test_the_query_log_names_the_statement(django_assert_num_queries):
    with django_assert_num_queries(1) as captured, prepared_cursor() as cursor:
        cursor.execute(STATEMENT, ["a", "x"])

    assert captured.captured_queries[0]["sql"] == STATEMENT


def test_behind_a_transaction_pooler_nothing_is_prepared(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)

    with prepared_cursor() as cursor:
        cursor.execute(STATEMENT.replace("'-'", "'+'"), ["a", "x"])
        assert cursor.fetchone()[0] == "a+x"

    assert not [s for s in prepared_here() if "|| '+' ||" in s]
