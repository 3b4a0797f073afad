"""Finding 1 of the security review (AU-9): the role the portal runs as cannot rewrite the log.

Before the fix one login migrated and served, so the runtime role owned
``audit_accessevent``: it could ``ALTER TABLE ... DISABLE TRIGGER``, edit a row, re-hash the
rest of the chain, and ``verify_audit_log`` said "intact". Now ``migrate`` grants the runtime
role (``liaison_app`` here, created by the test database's migration) SELECT, INSERT and
UPDATE of the seal columns only, and each seal batch writes a keyed anchor the database
cannot recompute. These tests act as that role, as the portal does in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from portal.audit.anchors import anchor_mac, key_id
from portal.audit.chain import chain_seal, chain_verify
from portal.audit.models import AccessEvent, ChainAnchor
from portal.dbroles import database_roles_problems, runtime_role
from tests.portal.audit.conftest import as_tampering_superuser, forge_hash, record

pytestmark = pytest.mark.django_db


@contextmanager
def as_runtime_role() -> Iterator[Any]:
    """A cursor whose session is the portal's runtime role, as if it had logged in as it.

    ``SET LOCAL SESSION AUTHORIZATION`` inside a savepoint: the test's superuser connection
    becomes the role (privileges, ownership, ``session_user``) until the savepoint ends.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL SESSION AUTHORIZATION "{runtime_role()}"')
        yield cursor


def refused_to_runtime_role(sql: str, params: list | None = None) -> str:
    with pytest.raises(DatabaseError) as caught, as_runtime_role() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


def rehash_from(seq: int, cursor: Any) -> None:
    """What an attacker who read chain.py does after editing row ``seq``."""
    prev = AccessEvent.objects.get(seq=seq - 1).hash
    for row in AccessEvent.objects.filter(seq__gte=seq).order_by("seq"):
        new = forge_hash(cursor, row.pk, row.seq, prev)
        cursor.execute(
            "UPDATE audit_accessevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [prev, new, row.pk],
        )
        prev = new


def test_the_runtime_role_is_not_the_owner_and_differs_from_the_test_login():
    with as_runtime_role() as cursor:
        cursor.execute(
            "SELECT session_user, pg_get_userbyid(relowner) FROM pg_class "
            "WHERE oid = 'audit_accessevent'::regclass"
        )
        who, owner = cursor.fetchone()
    assert who == runtime_role()
    assert owner != who


def test_disable_trigger_edit_and_rehash_fails_for_the_runtime_role():
    # GIVEN four sealed events
    record(4)
    chain_seal()
    # WHEN the runtime role tries each step of the attack that worked before the fix
    assert "must be owner" in refused_to_runtime_role(
        "ALTER TABLE audit_accessevent DISABLE TRIGGER audit_accessevent_append_only"
    )
    assert "must be owner" in refused_to_runtime_role(
        "ALTER TABLE audit_accessevent DISABLE TRIGGER ALL"
    )
    assert "permission denied" in refused_to_runtime_role("SET session_replication_role = replica")
    assert "permission denied" in refused_to_runtime_role(
        "UPDATE audit_accessevent SET actor_label = 'nobody' WHERE seq = 2"
    )
    assert "permission denied" in refused_to_runtime_role("DELETE FROM audit_accessevent")
    assert "permission denied" in refused_to_runtime_role("TRUNCATE audit_accessevent")
    assert "must be owner" in refused_to_runtime_role("DROP TABLE audit_accessevent CASCADE")
    # the seal columns it may update are still guarded by the trigger
    assert "append-only" in refused_to_runtime_role(
        "UPDATE audit_accessevent SET hash = repeat('0', 64) WHERE seq = 2"
    )
    # nor can it remove or rewrite the keyed anchors
    assert "permission denied" in refused_to_runtime_role("DELETE FROM audit_chainanchor")
    assert "permission denied" in refused_to_runtime_role("UPDATE audit_chainanchor SET mac = ''")
    # THEN the chain is untouched
    assert chain_verify().intact
    assert AccessEvent.objects.get(seq=2).actor_label == "task:test"


def test_the_runtime_role_writes_and_seals_events_as_the_portal_does():
    with as_runtime_role():
        record(3)
        assert chain_seal() == 3
        report = chain_verify()
    assert report.intact
    assert report.anchored_seq == 3


def test_a_superuser_rehash_passes_the_chain_but_not_the_keyed_anchor():
    # GIVEN sealed events (each seal batch anchored under the portal's key)
    record(4)
    chain_seal()
    # WHEN a superuser switches the guard off, edits event 2 and re-hashes the rest
    with as_tampering_superuser() as cursor:
        cursor.execute("UPDATE audit_accessevent SET actor_label = 'nobody' WHERE seq = 2")
        rehash_from(2, cursor)
    report = chain_verify()
    # THEN the chain on its own looks perfect, but the anchor gives the rewrite away
    assert report.first_bad is None
    assert "no longer has the anchored hash" in report.anchor_problem
    with pytest.raises(CommandError, match="TAMPERED"):
        call_command("verify_audit_log")


def test_an_anchor_forged_without_the_key_is_refused():
    record(2)
    chain_seal()
    with as_tampering_superuser() as cursor:
        cursor.execute("UPDATE audit_accessevent SET actor_label = 'nobody' WHERE seq = 2")
        rehash_from(2, cursor)
        head = AccessEvent.objects.get(seq=2).hash
        guessed = b"not the portal's key"
        # the forger replaces the anchor with one under a key of their own ...
        cursor.execute("DELETE FROM audit_chainanchor")
        cursor.execute(
            "INSERT INTO audit_chainanchor (seq, hash, key_id, mac, at) "
            "VALUES (2, %s, %s, %s, now())",
            [head, key_id(guessed), anchor_mac(guessed, 2, head)],
        )
    assert "unknown key" in chain_verify().anchor_problem
    # ... or claims the portal's key id with a MAC they cannot compute
    with as_tampering_superuser() as cursor:
        real = ChainAnchor.objects.get()
        cursor.execute(
            "UPDATE audit_chainanchor SET key_id = %s, mac = %s",
            [key_id(anchor_mac(b"x", 0, "")[:8].encode()), "0" * 64],
        )
        cursor.execute("UPDATE audit_chainanchor SET key_id = %s", [_signing_key_id()])
    assert real.seq == 2
    assert "forged" in chain_verify().anchor_problem


def test_events_sealed_without_an_anchor_are_reported():
    record(2)
    chain_seal()
    record(1)
    with as_tampering_superuser() as cursor:  # sealed by hand, without the portal's key
        cursor.execute("SELECT id FROM audit_accessevent WHERE seq IS NULL")
        (row_id,) = cursor.fetchone()
        prev = AccessEvent.objects.get(seq=2).hash
        cursor.execute(
            "UPDATE audit_accessevent SET seq = 3, prev_hash = %s, hash = %s WHERE id = %s",
            [prev, forge_hash(cursor, row_id, 3, prev), row_id],
        )
    report = chain_verify()
    assert report.first_bad is None
    assert "sealed after the last keyed anchor" in report.anchor_problem


def _signing_key_id() -> str:
    from portal.audit.anchors import anchor_keys

    return key_id(anchor_keys()[0])


def test_the_deploy_check_refuses_a_superuser_and_passes_the_runtime_role():
    assert any("superuser" in p for p in database_roles_problems())
    with as_runtime_role():
        assert database_roles_problems() == []


def test_the_deploy_check_refuses_a_runtime_role_that_may_update_the_log():
    role = runtime_role()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, DELETE ON audit_accessevent TO "{role}"')
        cursor.execute(f'SET LOCAL SESSION AUTHORIZATION "{role}"')
        problems = database_roles_problems()
        cursor.execute("RESET SESSION AUTHORIZATION")
        transaction.set_rollback(True)
    assert problems == [f"the portal's role {role} holds UPDATE, DELETE on the access log"]
