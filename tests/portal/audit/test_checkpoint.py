"""Daily checkpoints and the tasks: what catches a rewrite of the whole chain."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.audit.chain import GENESIS, chain_seal, chain_verify
from portal.audit.checkpoint import checkpoint_write
from portal.audit.models import AccessEvent
from portal.audit.services import _seal_soon
from portal.audit.tasks import audit_chain_seal, audit_checkpoint_write
from tests.portal.audit.conftest import as_tampering_superuser, forge_hash, record

pytestmark = pytest.mark.django_db

KEY = "checkpoint-test-key-0123456789abcdef"


@pytest.fixture
def signing(settings, tmp_path):
    settings.LIAISON_AUDIT_CHECKPOINT_KEY = KEY
    settings.LIAISON_AUDIT_CHECKPOINT_DIR = tmp_path
    return tmp_path


def verify(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit_log", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_checkpoint_holds_the_signed_head_and_a_second_run_keeps_it(signing):
    record(3)
    chain_seal()
    head = AccessEvent.objects.get(seq=3)

    written = checkpoint_write()
    again = checkpoint_write()

    assert written.created and not again.created
    assert written.path.parent == signing
    payload = json.loads(written.path.read_text())
    assert (payload["seq"], payload["hash"]) == (3, head.hash)
    assert payload["hmac_sha256"]
    assert again.payload == payload
    status, out, _ = verify("--checkpoint", str(written.path))
    assert status == 0
    assert "checkpoint holds" in out


def test_a_chain_rewritten_from_a_row_onwards_passes_alone_but_fails_the_checkpoint(signing):
    # GIVEN four sealed events and last night's checkpoint
    record(4)
    chain_seal()
    path = checkpoint_write().path

    # WHEN a superuser alters event 2 and recomputes every hash after it, as our own
    # sealer would, so that the chain on its own looks perfect
    with as_tampering_superuser() as cursor:
        cursor.execute("UPDATE audit_accessevent SET actor_label = 'nobody' WHERE seq = 2")
        prev = AccessEvent.objects.get(seq=1).hash
        for row in AccessEvent.objects.filter(seq__gte=2).order_by("seq"):
            new = forge_hash(cursor, row.pk, row.seq, prev)
            cursor.execute(
                "UPDATE audit_accessevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [prev, new, row.pk],
            )
            prev = new
    assert chain_verify().first_bad is None

    # THEN the checkpoint kept outside the database gives it away
    status, _, message = verify("--checkpoint", str(path))
    assert status == 1
    assert "rewritten" in message
    assert verify("--all-checkpoints")[0] == 1


def test_events_removed_from_the_end_fail_the_checkpoint(signing):
    record(3)
    chain_seal()
    path = checkpoint_write().path
    with as_tampering_superuser() as cursor:
        cursor.execute("DELETE FROM audit_accessevent WHERE seq = 3")
    assert chain_verify().first_bad is None  # a shorter chain is still a chain

    status, _, message = verify("--checkpoint", str(path))

    assert status == 1
    assert "no row at position 3" in message


def test_an_edited_checkpoint_file_is_caught(signing):
    record(2)
    chain_seal()
    path = checkpoint_write().path
    payload = json.loads(path.read_text())
    payload["seq"], payload["hash"] = 1, AccessEvent.objects.get(seq=1).hash
    path.write_text(json.dumps(payload))

    status, _, message = verify("--checkpoint", str(path))

    assert status == 1
    assert "signature does not match" in message


def test_without_a_key_checkpoints_are_written_unsigned_and_say_so(settings, tmp_path):
    settings.LIAISON_AUDIT_CHECKPOINT_KEY = ""
    settings.LIAISON_AUDIT_CHECKPOINT_DIR = tmp_path
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out, stderr=io.StringIO())
    [path] = Path(tmp_path).glob("*.json")
    assert json.loads(path.read_text())["hmac_sha256"] is None
    assert "UNSIGNED" in out.getvalue()

    status, _, warnings = verify("--checkpoint", str(path))
    assert status == 0
    assert "unsigned" in warnings


def test_an_empty_log_checkpoints_the_genesis(signing):
    payload = checkpoint_write().payload
    assert (payload["seq"], payload["hash"]) == (0, GENESIS)


def test_tasks_seal_and_checkpoint_and_do_nothing_the_second_time(signing):
    record(2)

    assert audit_chain_seal() == 2
    assert audit_chain_seal() == 0
    record(1)
    path = Path(audit_checkpoint_write())
    assert json.loads(path.read_text())["seq"] == 3  # sealed before the checkpoint
    before = path.read_text()
    assert Path(audit_checkpoint_write()) == path
    assert path.read_text() == before


def test_seal_command_seals_everything(signing):
    record(3)
    out = io.StringIO()
    call_command("seal_audit_log", stdout=out)
    assert "sealed 3" in out.getvalue()
    assert not AccessEvent.objects.filter(seq=None).exists()


def test_the_sealer_is_queued_when_the_writing_transaction_commits(
    settings, django_capture_on_commit_callbacks
):
    settings.LIAISON_AUDIT_SEAL_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record(1)
    assert _seal_soon in callbacks
