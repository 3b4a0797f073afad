"""The database keeps the log append-only: a plain session cannot change or remove rows."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from portal.audit.chain import chain_seal, chain_verify
from portal.audit.models import AccessEvent
from tests.portal.audit.conftest import record

REFUSED = "append-only"


def refused(sql: str, params: list | None = None) -> str:
    """Run ``sql`` in a plain session; return the database's refusal message."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params)
    return str(caught.value)


@pytest.fixture
def sealed() -> AccessEvent:
    record(2)
    chain_seal()
    return AccessEvent.objects.get(seq=1)


@pytest.mark.django_db
def test_update_of_a_sealed_row_is_refused(sealed):
    assert REFUSED in refused(
        "UPDATE audit_accessevent SET actor_label = 'x' WHERE id = %s", [sealed.pk]
    )
    assert REFUSED in refused("UPDATE audit_accessevent SET seq = 9 WHERE id = %s", [sealed.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessEvent.objects.filter(pk=sealed.pk).update(outcome="denied")
    sealed.action = "list"
    with pytest.raises(DatabaseError), transaction.atomic():
        sealed.save()
    assert chain_verify().first_bad is None


@pytest.mark.django_db
def test_update_of_an_unsealed_row_is_refused_even_alongside_sealing():
    event = record(1)[0]
    assert REFUSED in refused(
        "UPDATE audit_accessevent SET action = 'list' WHERE id = %s", [event.pk]
    )
    # the one permitted change, sealing, may not smuggle in a content change
    assert REFUSED in refused(
        "UPDATE audit_accessevent SET seq = 1, prev_hash = 'a', hash = 'b', action = 'list' "
        "WHERE id = %s",
        [event.pk],
    )


@pytest.mark.django_db
def test_delete_is_refused(sealed):
    assert REFUSED in refused("DELETE FROM audit_accessevent WHERE id = %s", [sealed.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessEvent.objects.all().delete()
    unsealed = record(1)[0]
    assert REFUSED in refused("DELETE FROM audit_accessevent WHERE id = %s", [unsealed.pk])
    assert AccessEvent.objects.count() == 3


@pytest.mark.django_db
def test_truncate_is_refused(sealed):
    """Outside Django's test databases TRUNCATE is always refused; here the test runner
    needs it between transactional tests, so this session asks for the production rule."""
    assert connection.settings_dict["NAME"].startswith("test_")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL liaison.audit_refuse_truncate = 'on'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else "pending trigger events"
    assert REFUSED in refused("TRUNCATE audit_accessevent")
    assert REFUSED in refused("TRUNCATE audit_accessevent CASCADE")
    assert AccessEvent.objects.count() == 2


@pytest.mark.django_db
def test_a_session_cannot_insert_a_row_that_claims_to_be_sealed():
    message = refused(
        "INSERT INTO audit_accessevent (at, actor_label, actor_roles, actor_agency, "
        "user_agent, request_id, action, object_type, object_id, case_reference, outcome, "
        "details, seq, prev_hash, hash) VALUES (now(), 'x', '', '', '', '', 'view', '', '', "
        "'', 'success', '{}', 1, %s, %s)",
        ["0" * 64, "f" * 64],
    )
    assert "inserted unsealed" in message


@pytest.mark.django_db
def test_session_variables_do_not_switch_the_guard_off(sealed):
    """django-pgtrigger's triggers obey ``SET pgtrigger.ignore``; ours obey nothing."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL pgtrigger.ignore = '{audit_accessevent:audit_accessevent_append_only}'"
        )
    assert REFUSED in refused("DELETE FROM audit_accessevent WHERE id = %s", [sealed.pk])


@pytest.mark.django_db
def test_resealing_a_sealed_row_is_refused(sealed):
    assert REFUSED in refused(
        "UPDATE audit_accessevent SET seq = 99, prev_hash = 'a', hash = 'b' WHERE id = %s",
        [sealed.pk],
    )
