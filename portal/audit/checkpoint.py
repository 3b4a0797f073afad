"""Daily checkpoints: the chain's head hash, signed, kept outside the database.

Someone who can rewrite the whole table (a database superuser) can also recompute every
hash after the row they changed. A copy of an earlier head hash kept elsewhere defeats
that: the rewritten chain no longer has the same hash at that position. So once a day the
head (position + hash) is written to a small JSON file, signed with HMAC-SHA256 under
``LIAISON_AUDIT_CHECKPOINT_KEY`` (a key the database never sees), and logged. Operators
ship the file off the host (docs/audit.md); ``verify_audit_log --checkpoint FILE``
checks the signature and that the chain still holds that hash at that position.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from portal.audit.chain import TABLE, chain_head

logger = logging.getLogger(__name__)

FORMAT = "liaison-audit-checkpoint/1"
_SIGNED_FIELDS = ("format", "database", "created_at", "seq", "hash", "key_id")


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    payload: dict[str, Any]
    created: bool  # False when today's file already existed and was kept


def _key() -> bytes:
    return settings.LIAISON_AUDIT_CHECKPOINT_KEY.encode()


def _keys() -> list[bytes]:
    """The signing key, then the older keys still accepted (after a rotation)."""
    if not settings.LIAISON_AUDIT_CHECKPOINT_KEY:
        return []
    fallbacks = getattr(settings, "LIAISON_AUDIT_CHECKPOINT_KEY_FALLBACKS", [])
    return [_key(), *(k.encode() for k in fallbacks)]


def _key_id(key: bytes) -> str:
    """A short public name for the key, so a verifier knows which key to use after
    rotation; it reveals nothing about the key."""
    return hashlib.sha256(b"liaison-audit-checkpoint-key:" + key).hexdigest()[:12]


def checkpoint_signature(payload: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 over the signed fields as compact, key-sorted JSON."""
    message = json.dumps(
        {f: payload.get(f) for f in _SIGNED_FIELDS}, sort_keys=True, separators=(",", ":")
    ).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def checkpoint_path(day: date, directory: Path | None = None) -> Path:
    base = Path(directory or settings.LIAISON_AUDIT_CHECKPOINT_DIR)
    return base / f"audit-checkpoint-{day.isoformat()}.json"


def checkpoint_write(*, directory: Path | None = None, force: bool = False) -> Checkpoint:
    """Write today's (UTC) checkpoint of the current head; keep an existing one unless
    ``force``. Seal first if the checkpoint should include the latest events."""
    now = timezone.now()
    path = checkpoint_path(now.date(), directory)
    if path.exists() and not force:
        return Checkpoint(path=path, payload=json.loads(path.read_text()), created=False)
    head = chain_head()
    key = _key()
    payload: dict[str, Any] = {
        "format": FORMAT,
        "database": connection.settings_dict["NAME"],
        "created_at": now.isoformat(),
        "seq": head.seq,
        "hash": head.hash,
        "key_id": _key_id(key) if key else None,
    }
    payload["hmac_sha256"] = checkpoint_signature(payload, key) if key else None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-")
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
    checkpoint_ship(path)
    if key:
        logger.info("audit checkpoint seq=%s hash=%s file=%s", head.seq, head.hash, path)
    else:
        logger.warning(
            "audit checkpoint seq=%s hash=%s file=%s is UNSIGNED: set LIAISON_AUDIT_CHECKPOINT_KEY",
            head.seq,
            head.hash,
            path,
        )
    return Checkpoint(path=path, payload=payload, created=True)


def checkpoint_check(path: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) for one checkpoint file against the database.

    Run after the chain itself verified: then "the row at this position has this hash"
    proves nothing before that position was rewritten or removed since the checkpoint.

    With ``LIAISON_AUDIT_CHECKPOINT_KEY`` set, a checkpoint that is unsigned, or signed with
    another key, is an error (security review, finding 2): anyone who can write the file
    can write an unsigned one, and a key nobody here holds proves nothing. Older keys stay
    acceptable through ``LIAISON_AUDIT_CHECKPOINT_KEY_FALLBACKS`` after a rotation. Without
    a key configured here, a signature cannot be checked: that is a warning.
    """
    try:
        payload = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        return [f"{path}: cannot read checkpoint: {exc}"], []
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        return [f"{path}: not a checkpoint of format {FORMAT}"], []
    errors: list[str] = []
    warnings: list[str] = []
    keys = {_key_id(k): k for k in _keys()}
    signature = payload.get("hmac_sha256")
    key = keys.get(str(payload.get("key_id")))
    if not keys:
        if signature is None:
            warnings.append(f"{path}: unsigned checkpoint (trust it only as far as its copy)")
        else:
            warnings.append(f"{path}: signed, but LIAISON_AUDIT_CHECKPOINT_KEY is not set here")
    elif signature is None:
        errors.append(f"{path}: unsigned checkpoint, but checkpoints here are signed: forged")
    elif key is None:
        errors.append(
            f"{path}: signed with a key this portal does not hold (key id "
            f"{payload.get('key_id')}): forged, or set LIAISON_AUDIT_CHECKPOINT_KEY_FALLBACKS"
        )
    elif not hmac.compare_digest(str(signature), checkpoint_signature(payload, key)):
        errors.append(f"{path}: signature does not match: the file was altered")
    seq = payload.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return [*errors, f"{path}: bad position {seq!r}"], warnings
    if seq == 0:
        return errors, warnings
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT hash FROM {TABLE} WHERE seq = %s", [seq])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        errors.append(
            f"{path}: the chain has no row at position {seq}: rows were removed since "
            f"{payload.get('created_at')}"
        )
    elif row[0] != payload.get("hash"):
        errors.append(
            f"{path}: the row at position {seq} no longer has hash {payload.get('hash')}: "
            "the chain was rewritten"
        )
    return errors, warnings


def checkpoint_ship(path: Path) -> list[str]:
    """Send a copy of a checkpoint where the database's administrators cannot reach it.

    A checkpoint next to the database, on the same host, is rewritten by whoever rewrites
    the database; its worth is the copy kept elsewhere. Destinations (docs/security.md):
    ``LIAISON_AUDIT_CHECKPOINT_SHIP_DIRS``, directories (a mounted share or WORM volume,
    an object-store bucket mounted with a retention lock), and
    ``LIAISON_AUDIT_CHECKPOINT_EMAILS``, auditors who get the file attached. A copy that
    already exists is never overwritten (write-once). A failing destination is logged and
    the others still get theirs; returns where copies went.
    """
    sent: list[str] = []
    data = Path(path).read_bytes()
    for directory in getattr(settings, "LIAISON_AUDIT_CHECKPOINT_SHIP_DIRS", []):
        target = Path(directory) / Path(path).name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as handle:  # x: never replace an earlier copy
                handle.write(data)
            sent.append(str(target))
        except FileExistsError:
            logger.info("audit checkpoint copy %s exists; kept", target)
        except OSError as exc:
            logger.error("audit checkpoint not shipped to %s: %s", directory, exc)
    recipients = list(getattr(settings, "LIAISON_AUDIT_CHECKPOINT_EMAILS", []))
    if recipients:
        from django.core.mail import EmailMessage

        message = EmailMessage(
            subject=f"Liaison access-log checkpoint {Path(path).stem}",
            body=(
                "The access log's signed head hash of today is attached. Keep it: "
                "manage.py verify_audit_log --checkpoint FILE checks the log against it.\n"
            ),
            to=recipients,
        )
        message.attach(Path(path).name, data, "application/json")
        try:
            message.send()
            sent += recipients
        except Exception as exc:  # any mail failure: log it, the other copies stand
            logger.error("audit checkpoint not e-mailed: %s", exc)
    return sent
