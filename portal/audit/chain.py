"""The hash chain over the access log: sealing and verification.

Each sealed row carries ``seq`` (its place in the chain, 1, 2, 3 ...), ``prev_hash`` (the
``hash`` of row ``seq - 1``, or 64 zeros for the first row) and

    hash = hex(SHA-256(UTF-8(canonical(row) || prev_hash)))

where ``canonical(row)`` is the JSON text PostgreSQL's ``json_build_array`` makes of the
row's content (see ``canonical_sql``). The canonical form is produced by PostgreSQL in both
places that need it, the sealer and the verifier, from the one SQL template below, so the
two can never disagree about the bytes that were hashed.

Why seal after the fact rather than hash on insert: hashing on insert needs the previous
row's hash, i.e. a lock every writer waits on (0.8 ms each, serial). Instead writers insert
unsealed rows concurrently, and one sealer at a time (a transaction-level advisory lock)
chains the committed rows in id order. A row that commits late simply takes a later place.

Why verify in SQL: the checks are row-local once ``lag()`` supplies the neighbour, so one
query verifies the chain at several hundred thousand rows per second, without shipping the
table to Python.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection, transaction

from portal.audit.anchors import anchor_write, anchors_verify

TABLE = "audit_accessevent"
GENESIS = "0" * 64
# pg_advisory_xact_lock key held by the sealer; any constant unique within the database.
SEAL_LOCK_KEY = 7_462_101_001
SEAL_BATCH = 5000


def canonical_sql(alias: str, seq: str) -> str:
    """SQL for the canonical text of a row, as hashed. Version 1; never edit in place.

    ``seq`` is an SQL expression for the row's chain position: the sealer computes it
    (the row has none yet), the verifier reads the stored one. Times are rendered in UTC
    with microseconds, whatever the session's time zone; addresses without a netmask.
    Changing anything here breaks every existing hash: add a version 2 instead.
    """
    a = alias
    return (
        "json_build_array("
        f"{a}.id, {seq}, "
        f"""to_char({a}.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), """
        f"{a}.actor_id, {a}.actor_label, {a}.actor_roles, {a}.actor_agency, "
        f"host({a}.ip), {a}.user_agent, {a}.request_id, {a}.action, "
        f"{a}.object_type, {a}.object_id, {a}.case_reference, {a}.outcome, {a}.details"
        ")::text"
    )


def row_hash(canonical: bytes, prev_hash: str) -> str:
    """The hash of one row, given its canonical bytes and its predecessor's hash."""
    return hashlib.sha256(canonical + prev_hash.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


def chain_head() -> ChainHead:
    """The last sealed row (or the genesis position 0 when nothing is sealed yet)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, hash FROM {TABLE} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"  # noqa: S608
        )
        row = cursor.fetchone()
    return ChainHead(seq=row[0], hash=row[1]) if row else ChainHead(seq=0, hash=GENESIS)


def _seal_batch(limit: int) -> int | None:
    """Seal up to ``limit`` committed rows in one transaction; None if another sealer runs."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return None
        head = chain_head()
        cursor.execute(
            f"""
            SELECT u.id, u.new_seq, convert_to({canonical_sql("u", "u.new_seq")}, 'UTF8')
            FROM (
                SELECT e.*, %s + row_number() OVER (ORDER BY e.id) AS new_seq
                FROM (SELECT * FROM {TABLE} WHERE seq IS NULL ORDER BY id LIMIT %s) e
            ) u
            ORDER BY u.id
            """,  # noqa: S608 - only our constants are interpolated
            [head.seq, limit],
        )
        rows = cursor.fetchall()
        if not rows:
            return 0
        ids, seqs, prevs, hashes = [], [], [], []
        prev = head.hash
        for row_id, seq, canonical in rows:
            current = row_hash(bytes(canonical), prev)
            ids.append(row_id)
            seqs.append(seq)
            prevs.append(prev)
            hashes.append(current)
            prev = current
        cursor.execute(
            f"""
            UPDATE {TABLE} e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[])
                AS v(id, seq, prev_hash, hash)
            WHERE e.id = v.id AND e.seq IS NULL
            """,  # noqa: S608
            [ids, seqs, prevs, hashes],
        )
        if cursor.rowcount != len(ids):
            # Someone sealed under us without the lock: refuse to fork the chain.
            raise RuntimeError("audit chain: rows changed while sealing; nothing sealed")
        anchor_write(cursor, seq=seqs[-1], head_hash=hashes[-1])
        return len(ids)


def chain_seal(*, batch_size: int = SEAL_BATCH, max_batches: int = 100) -> int:
    """Seal every committed unsealed row, in id order; return how many were sealed.

    Idempotent and safe to call from anywhere at any time: a second sealer running at the
    same moment returns 0 at once instead of waiting (the one holding the lock seals the
    rows). Each batch is its own short transaction, so the lock is never held for long.
    """
    total = 0
    for _ in range(max_batches):
        sealed = _seal_batch(batch_size)
        if not sealed:
            break
        total += sealed
        if sealed < batch_size:
            break
    return total


@dataclass(frozen=True)
class ChainReport:
    """The verifier's finding. ``first_bad`` is None when the chain is intact."""

    count: int
    head: ChainHead
    unsealed: int
    oldest_unsealed_seconds: float | None
    first_bad: BadRow | None
    # Why the keyed anchors do not vouch for the chain (None: they do); see anchors.py.
    anchor_problem: str | None = None
    anchored_seq: int = 0

    @property
    def intact(self) -> bool:
        return self.first_bad is None and self.anchor_problem is None


@dataclass(frozen=True)
class BadRow:
    seq: int
    id: int
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return f"seq {self.seq} (id {self.id}): " + "; ".join(self.reasons)


def _checks_sql() -> str:
    return f"""
        SELECT e.seq, e.id, e.hash, e.prev_hash,
               lag(e.seq) OVER w AS before_seq,
               lag(e.hash) OVER w AS before_hash,
               encode(sha256(convert_to({canonical_sql("e", "e.seq")} || e.prev_hash, 'UTF8')),
                      'hex') AS computed
        FROM {TABLE} e
        WHERE e.seq IS NOT NULL
        WINDOW w AS (ORDER BY e.seq)
    """  # noqa: S608


def _bad_condition() -> str:
    return f"""
        (c.seq <> coalesce(c.before_seq, 0) + 1
         OR c.prev_hash <> coalesce(c.before_hash, '{GENESIS}')
         OR c.hash <> c.computed)
    """


def chain_verify() -> ChainReport:
    """Walk the whole chain in one pass inside PostgreSQL and report the first bad row.

    A row is bad when its position does not follow its predecessor's (a row before it was
    deleted), when it does not carry its predecessor's hash (a row was inserted or moved),
    or when its hash does not match its content (it was altered). Reads one consistent
    snapshot, so a sealer working at the same time cannot cause a false alarm.
    """
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if not nested:  # inside a caller's transaction its snapshot rules apply
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute(
            f"""
            SELECT count(*), min(c.seq) FILTER (WHERE {_bad_condition()})
            FROM ({_checks_sql()}) c
            """  # noqa: S608
        )
        count, first_bad_seq = cursor.fetchone()
        head = chain_head()
        cursor.execute(
            f"SELECT count(*), extract(epoch FROM now() - min(at)) FROM {TABLE} "  # noqa: S608
            "WHERE seq IS NULL"
        )
        unsealed, oldest = cursor.fetchone()
        bad = None
        if first_bad_seq is not None:
            cursor.execute(
                f"SELECT c.* FROM ({_checks_sql()}) c WHERE c.seq = %s",  # noqa: S608
                [first_bad_seq],
            )
            seq, row_id, hash_, prev_hash, before_seq, before_hash, computed = cursor.fetchone()
            reasons = []
            expected_seq = (before_seq or 0) + 1
            if seq != expected_seq:
                reasons.append(
                    f"expected chain position {expected_seq}: row(s) before it are missing"
                    if seq > expected_seq
                    else f"expected chain position {expected_seq}"
                )
            if prev_hash != (before_hash or GENESIS):
                reasons.append(
                    "does not carry the hash of the row before it: a row was inserted, "
                    "removed or moved"
                )
            if hash_ != computed:
                reasons.append("its hash does not match its content: the row was altered")
            bad = BadRow(seq=seq, id=row_id, reasons=tuple(reasons))
        anchors = anchors_verify(head.seq)
    return ChainReport(
        anchor_problem=anchors.problem,
        anchored_seq=anchors.anchored_seq,
        count=count,
        head=head,
        unsealed=unsealed,
        oldest_unsealed_seconds=float(oldest) if oldest is not None else None,
        first_bad=bad,
    )
