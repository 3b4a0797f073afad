"""Keyed anchors on the access log's hash chain (finding 1 of the security review).

The chain proves the rows are in order and unchanged only against someone who cannot
recompute it; its hashes are plain SHA-256, so a role able to write the table (a superuser,
or an owner who switched the guard off) can edit a row and re-hash everything after it.
Each seal batch therefore also writes an anchor: HMAC-SHA256 under a key that only the
portal's processes hold, over the new head's position and hash. Because every hash covers
all rows before it, the newest anchor vouches for the whole chain up to its position, so
verifying stays O(1) in anchors; the others serve to say where a rewrite starts.

The key is ``LIAISON_AUDIT_CHAIN_KEY`` or, unset, one derived from ``SECRET_KEY`` (with
``SECRET_KEY_FALLBACKS`` accepted when verifying, for rotation). Either way the database
never sees it: its backups, its superuser and its replicas cannot forge an anchor.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

ANCHOR_TABLE = "audit_chainanchor"
_SALT = b"liaison-audit-chain-anchor/1"


def _derived(secret: str) -> bytes:
    return hmac.new(secret.encode(), _SALT, hashlib.sha256).digest()


def anchor_keys() -> list[bytes]:
    """The signing key first, then older keys still accepted when verifying."""
    explicit = getattr(settings, "LIAISON_AUDIT_CHAIN_KEY", "")
    if explicit:
        keys = [explicit.encode()]
        keys += [k.encode() for k in getattr(settings, "LIAISON_AUDIT_CHAIN_KEY_FALLBACKS", [])]
        return keys
    return [_derived(settings.SECRET_KEY)] + [_derived(k) for k in settings.SECRET_KEY_FALLBACKS]


def key_id(key: bytes) -> str:
    """A public name for a key (so a verifier picks the right one); reveals nothing of it."""
    return hashlib.sha256(b"liaison-audit-chain-key:" + key).hexdigest()[:12]


def anchor_mac(key: bytes, seq: int, head_hash: str) -> str:
    return hmac.new(key, f"{_SALT.decode()}:{seq}:{head_hash}".encode(), hashlib.sha256).hexdigest()


def anchor_write(cursor: object, *, seq: int, head_hash: str) -> None:
    """Anchor the head just sealed; called by the sealer inside its transaction."""
    key = anchor_keys()[0]
    cursor.execute(  # type: ignore[attr-defined]
        # A row already at this position can only be a forgery planted ahead of the sealer:
        # keep sealing (the verifier names the forgery) rather than stop the log.
        f"INSERT INTO {ANCHOR_TABLE} (seq, hash, key_id, mac, at) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (seq) DO NOTHING",
        [seq, head_hash, key_id(key), anchor_mac(key, seq, head_hash), timezone.now()],
    )


@dataclass(frozen=True)
class AnchorFinding:
    """What the anchors say about the chain; ``problem`` is None when they vouch for it."""

    anchors: int
    anchored_seq: int
    problem: str | None


def _anchor_ok(seq: int, stored_hash: str, kid: str, mac: str, chain_hash: str | None) -> str:
    """Empty when the anchor is genuine and the chain still has its hash; else why not."""
    keys = {key_id(k): k for k in anchor_keys()}
    key = keys.get(kid)
    if key is None:
        return f"the anchor at position {seq} is signed with an unknown key (key id {kid})"
    if not hmac.compare_digest(mac, anchor_mac(key, seq, stored_hash)):
        return f"the anchor at position {seq} is forged (its HMAC does not match)"
    if chain_hash is None:
        return f"the chain has no row at anchored position {seq}: rows were removed"
    if chain_hash != stored_hash:
        return f"the row at anchored position {seq} no longer has the anchored hash"
    return ""


def anchors_verify(head_seq: int) -> AnchorFinding:
    """Check the newest anchor against the chain, and that nothing sealed lies beyond it.

    Run in the verifier's snapshot after the chain itself was checked row by row. When the
    newest anchor fails, the anchors are walked (oldest first) to name the first one that
    fails: the rewrite starts at or before that position and after the one before it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {ANCHOR_TABLE}"  # noqa: S608
        )
        (count,) = cursor.fetchone()
        cursor.execute(
            f"SELECT a.seq, a.hash, a.key_id, a.mac, e.hash FROM {ANCHOR_TABLE} a "  # noqa: S608
            "LEFT JOIN audit_accessevent e ON e.seq = a.seq ORDER BY a.seq DESC LIMIT 1"
        )
        newest = cursor.fetchone()
        if newest is None:
            if head_seq:
                return AnchorFinding(
                    0,
                    0,
                    f"no keyed anchor covers the {head_seq} sealed events: rows were "
                    "sealed without the portal's key",
                )
            return AnchorFinding(0, 0, None)
        problem = _anchor_ok(*newest)
        if problem:
            cursor.execute(
                f"SELECT a.seq, a.hash, a.key_id, a.mac, e.hash FROM {ANCHOR_TABLE} a "  # noqa: S608
                "LEFT JOIN audit_accessevent e ON e.seq = a.seq ORDER BY a.seq"
            )
            for row in cursor.fetchall():
                first = _anchor_ok(*row)
                if first:
                    problem = first
                    break
            return AnchorFinding(count, newest[0], problem)
    if head_seq > newest[0]:
        return AnchorFinding(
            count,
            newest[0],
            f"events at positions {newest[0] + 1}-{head_seq} were sealed after the last keyed "
            "anchor: sealed without the portal's key",
        )
    if head_seq < newest[0]:
        return AnchorFinding(
            count, newest[0], f"the chain ends at {head_seq} but was anchored at {newest[0]}"
        )
    return AnchorFinding(count, newest[0], None)
