"""Finding 2 of the security review (AU-9): forged checkpoints used to pass.

With ``LIAISON_AUDIT_CHECKPOINT_KEY`` set, an unsigned checkpoint or one signed with another
key only warned and the verifier exited 0, so whoever rewrote the database could also drop
in a "checkpoint" of the rewritten head. Now both are errors; and checkpoints are shipped
off the host (a directory sink, e-mail to the auditor) where the database's admins cannot
rewrite them.
"""

from __future__ import annotations

import json

import pytest
from django.core import mail

from portal.audit.chain import chain_seal
from portal.audit.checkpoint import _key_id, checkpoint_signature, checkpoint_write
from tests.portal.audit.conftest import record
from tests.portal.audit.test_checkpoint import KEY, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def signing(settings, tmp_path):
    settings.LIAISON_AUDIT_CHECKPOINT_KEY = KEY
    settings.LIAISON_AUDIT_CHECKPOINT_DIR = tmp_path / "here"
    return tmp_path


def forged_copy(path, tmp_path, *, key: bytes | None):
    """What a forger writes: the same head, unsigned or signed under a key of their own."""
    payload = json.loads(path.read_text())
    payload["key_id"] = _key_id(key) if key else None
    payload["hmac_sha256"] = checkpoint_signature(payload, key) if key else None
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(payload))
    return forged


def test_an_unsigned_checkpoint_is_an_error_when_checkpoints_are_signed(signing):
    record(2)
    chain_seal()
    forged = forged_copy(checkpoint_write().path, signing, key=None)
    status, _, message = verify("--checkpoint", str(forged))
    assert status == 1
    assert "unsigned checkpoint, but checkpoints here are signed" in message


def test_a_checkpoint_signed_with_another_key_is_an_error(signing):
    record(2)
    chain_seal()
    forged = forged_copy(checkpoint_write().path, signing, key=b"the forger's own key")
    status, _, message = verify("--checkpoint", str(forged))
    assert status == 1
    assert "signed with a key this portal does not hold" in message


def test_a_checkpoint_of_a_rotated_key_holds_when_the_old_key_is_kept(signing, settings):
    record(2)
    chain_seal()
    path = checkpoint_write().path
    settings.LIAISON_AUDIT_CHECKPOINT_KEY = "the new key after rotation 0123456789"
    assert verify("--checkpoint", str(path))[0] == 1
    settings.LIAISON_AUDIT_CHECKPOINT_KEY_FALLBACKS = [KEY]
    assert verify("--checkpoint", str(path))[0] == 0


def test_checkpoints_are_shipped_to_a_directory_and_the_auditor(signing, settings):
    settings.LIAISON_AUDIT_CHECKPOINT_SHIP_DIRS = [str(signing / "off-host")]
    settings.LIAISON_AUDIT_CHECKPOINT_EMAILS = ["auditor@provider.example.com"]
    record(3)
    chain_seal()
    written = checkpoint_write()
    copy = signing / "off-host" / written.path.name
    assert copy.read_bytes() == written.path.read_bytes()
    (message,) = mail.outbox
    assert message.to == ["auditor@provider.example.com"]
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == (written.path.name, "application/json")
    assert json.loads(content)["seq"] == 3
    # the shipped copy verifies on its own, and a later forced rewrite here does not
    # replace it (write-once)
    assert verify("--checkpoint", str(copy))[0] == 0
    record(1)
    chain_seal()
    checkpoint_write(force=True)
    assert json.loads(copy.read_text())["seq"] == 3
