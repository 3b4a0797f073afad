"""``verify_audit_log`` finds each kind of tampering a database superuser could commit.

Each test tampers the way a superuser can: with the table's triggers switched off for the
session (see ``as_tampering_superuser``), since the triggers refuse it otherwise.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from portal.audit.chain import GENESIS, chain_seal, chain_verify
from portal.audit.models import AccessEvent
from tests.databases import database_url
from tests.portal.audit.conftest import as_tampering_superuser, forge_hash, record

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def chain() -> list[AccessEvent]:
    """Six sealed events, positions 1..6."""
    record(6)
    chain_seal()
    rows = list(AccessEvent.objects.order_by("seq"))
    assert chain_verify().first_bad is None
    return rows


def verify_output() -> tuple[int, str]:
    """Run the command as an operator would and return (exit status, message)."""
    out = io.StringIO()
    try:
        call_command("verify_audit_log", stdout=out)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


@pytest.mark.django_db
def test_intact_chain_exits_zero_with_count_and_head_hash(chain):
    status, output = verify_output()

    assert status == 0
    assert "6 events" in output
    assert chain[-1].hash in output


@pytest.mark.django_db
def test_an_altered_row_is_named(chain):
    # WHEN a superuser rewrites who read case data at position 3
    with as_tampering_superuser() as cursor:
        cursor.execute("UPDATE audit_accessevent SET actor_label = 'someone-else' WHERE seq = 3")

    # THEN the verifier names that row and says it was altered
    bad = chain_verify().first_bad
    assert (bad.seq, bad.id) == (3, chain[2].pk)
    assert "altered" in bad.describe()
    status, message = verify_output()
    assert status != 0
    assert f"seq 3 (id {chain[2].pk})" in message


@pytest.mark.django_db
def test_an_altered_details_json_is_named(chain):
    with as_tampering_superuser() as cursor:
        cursor.execute("UPDATE audit_accessevent SET details = '{\"n\": 99}'::jsonb WHERE seq = 5")

    assert chain_verify().first_bad.seq == 5


@pytest.mark.django_db
def test_a_deleted_row_is_found_at_the_row_after_it(chain):
    # WHEN a superuser removes the event at position 4
    with as_tampering_superuser() as cursor:
        cursor.execute("DELETE FROM audit_accessevent WHERE seq = 4")

    # THEN the row that followed it is named, and the gap explained
    bad = chain_verify().first_bad
    assert (bad.seq, bad.id) == (5, chain[4].pk)
    assert "missing" in bad.describe()
    status, message = verify_output()
    assert status != 0
    assert f"seq 5 (id {chain[4].pk})" in message


@pytest.mark.django_db
def test_deleting_the_first_row_is_found(chain):
    with as_tampering_superuser() as cursor:
        cursor.execute("DELETE FROM audit_accessevent WHERE seq = 1")

    bad = chain_verify().first_bad
    assert (bad.seq, bad.id) == (2, chain[1].pk)


@pytest.mark.django_db
def test_a_row_inserted_into_the_middle_is_found(chain):
    # GIVEN a forger who knows our algorithm makes room after position 2 and inserts a
    # fabricated event there, with a correct hash chained to position 2
    with as_tampering_superuser() as cursor:
        cursor.execute("UPDATE audit_accessevent SET seq = -seq WHERE seq > 2")
        cursor.execute("UPDATE audit_accessevent SET seq = -seq + 1 WHERE seq < 0")
        cursor.execute(
            "INSERT INTO audit_accessevent (at, actor_label, actor_roles, actor_agency, "
            "user_agent, request_id, action, object_type, object_id, case_reference, "
            "outcome, details, seq, prev_hash, hash) VALUES (now(), 'alibi', '', '', '', '', "
            "'view', '', '', 'LR-0001', 'success', '{}', 3, %s, '') RETURNING id",
            [chain[1].hash],
        )
        forged_id = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE audit_accessevent SET hash = %s WHERE id = %s",
            [forge_hash(cursor, forged_id, 3, chain[1].hash), forged_id],
        )

    # THEN the verifier stops at the first genuine row that no longer fits: the former
    # position 3, which does not carry the forged row's hash and whose position changed
    bad = chain_verify().first_bad
    assert (bad.seq, bad.id) == (4, chain[2].pk)
    assert "inserted" in bad.describe()
    status, message = verify_output()
    assert status != 0
    assert f"id {chain[2].pk}" in message


@pytest.mark.django_db
def test_two_rows_swapped_out_of_order_are_found(chain):
    with as_tampering_superuser() as cursor:
        cursor.execute("UPDATE audit_accessevent SET seq = -seq WHERE seq IN (2, 3)")
        cursor.execute("UPDATE audit_accessevent SET seq = 5 - (-seq) WHERE seq IN (-2, -3)")

    bad = chain_verify().first_bad
    assert bad.seq == 2
    assert bad.id == chain[2].pk  # the row that used to be third now claims second place


@pytest.mark.django_db
def test_a_forged_row_appended_with_a_made_up_hash_is_found(chain):
    with as_tampering_superuser() as cursor:
        cursor.execute(
            "INSERT INTO audit_accessevent (at, actor_label, actor_roles, actor_agency, "
            "user_agent, request_id, action, object_type, object_id, case_reference, "
            "outcome, details, seq, prev_hash, hash) VALUES (now(), 'x', '', '', '', '', "
            "'view', '', '', '', 'success', '{}', 7, %s, %s)",
            [chain[-1].hash, "f" * 64],
        )

    assert chain_verify().first_bad.seq == 7


@pytest.mark.django_db
def test_rewriting_the_genesis_link_is_found(chain):
    with as_tampering_superuser() as cursor:
        cursor.execute(
            "UPDATE audit_accessevent SET prev_hash = %s WHERE seq = 1", ["1" + GENESIS[1:]]
        )

    assert chain_verify().first_bad.seq == 1


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_the_command_exit_status_is_what_a_shell_sees():
    """Run ``manage.py verify_audit_log`` as a separate process on the test database."""
    record(3)
    chain_seal()
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", "verify_audit_log"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    intact = run()
    assert intact.returncode == 0, intact.stderr
    assert "3 events" in intact.stdout

    with as_tampering_superuser() as cursor:
        cursor.execute("UPDATE audit_accessevent SET action = 'list' WHERE seq = 2")
    tampered = run()
    assert tampered.returncode == 1
    assert "seq 2" in tampered.stderr


@pytest.mark.django_db
def test_the_access_log_page_shows_when_the_chain_was_last_verified(chain, auditor):
    """Issue #9 item 16: the auditor sees the chain's last verified state on the page."""
    from django.urls import reverse

    from tests.factories import verified_client

    page = verified_client(auditor).get(reverse("audit:events")).text
    assert "has not been verified yet" in page

    assert verify_output()[0] == 0
    page = verified_client(auditor).get(reverse("audit:events")).text
    assert "the chain is intact (6 events checked)" in page

    with as_tampering_superuser() as cursor:
        cursor.execute("UPDATE audit_accessevent SET actor_label = 'someone-else' WHERE seq = 3")
    assert verify_output()[0] == 1
    page = verified_client(auditor).get(reverse("audit:events")).text
    assert "the chain is NOT intact" in page
    assert "seq 3" in page
