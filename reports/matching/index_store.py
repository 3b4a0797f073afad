"""The PDQ index as the matcher processes see it: generations on disk, plus a small delta.

A generation is an immutable ``pdq_index.build`` directory holding every PDQ entry up to
``max_id``; the file ``CURRENT`` names the one in force and is replaced atomically by the
build. Each process maps the current generation (shared page cache, so one copy for every
worker) and keeps, in memory, the PDQ entries added since (``id > max_id``), fetched with
one primary-key range query at most every ``LIAISON_MATCH_DELTA_SECONDS`` and searched
linearly. So a new hash is matchable within about a second, and a build (compaction) runs
only when the delta grows past ``LIAISON_MATCH_DELTA_MAX`` rows, never per change.

What the index returns is a superset filtered by the database: the match service reads the
returned entries with their lists, so a removed entry, a deactivated list, a lowered
threshold or a quality below 50 take effect at once, without a build.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection

from reports.matching import pdq_index
from reports.matching.pdq_index import I64, U64

logger = logging.getLogger(__name__)

_BUILD_LOCK = 0x6D617463  # pg_try_advisory_lock key: one build at a time ("matc")


def index_dir() -> Path:
    configured = getattr(settings, "LIAISON_MATCH_INDEX_DIR", "")
    return Path(configured) if configured else Path(settings.BASE_DIR) / "var" / "matching-index"


def delta_seconds() -> float:
    return float(getattr(settings, "LIAISON_MATCH_DELTA_SECONDS", 1.0))


def delta_max() -> int:
    return int(getattr(settings, "LIAISON_MATCH_DELTA_MAX", 200_000))


def _pdq_rows(after_id: int = 0) -> tuple[I64, U64]:
    """Ids and hashes of every PDQ entry with ``id > after_id``, in id order.

    Binary ``COPY`` with fixed-width rows parsed by one ``numpy.frombuffer``: 10 million
    rows in seconds, where the ORM would take minutes and gigabytes.
    """
    # COPY takes no parameters; the only value is an int.
    sql = (
        "COPY (SELECT id, decode(value, 'hex') FROM matching_hashentry"  # noqa: S608
        f" WHERE hash_type = 'pdq' AND id > {int(after_id)} ORDER BY id) TO STDOUT (FORMAT binary)"
    )
    buf = bytearray()
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for block in copy:
            buf += block
    row = np.dtype([("n", ">i2"), ("l1", ">i4"), ("id", ">i8"), ("l2", ">i4"), ("h", ">u8", (4,))])
    body = memoryview(buf)[19 : len(buf) - 2]  # header (signature, flags, extension), trailer
    table = np.frombuffer(body, dtype=row)
    return table["id"].astype(np.int64), table["h"].astype(np.uint64)


@dataclass
class BuildResult:
    generation: str
    count: int
    seconds: float


def pdq_index_build() -> BuildResult | None:
    """Build a new generation from every PDQ entry and make it current; None when another
    build is running. Old generations are removed (processes that still map one keep its
    pages until they move on: Linux frees a file's data when its last mapping goes)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_BUILD_LOCK])
        if not cursor.fetchone()[0]:
            return None
    try:
        started = time.monotonic()
        ids, hashes = _pdq_rows()
        root = index_dir()
        root.mkdir(parents=True, exist_ok=True)
        name = f"gen-{time.time_ns()}"
        max_id = int(ids[-1]) if len(ids) else 0
        pdq_index.build(hashes, ids, root / name, meta={"max_id": max_id})
        tmp = root / "CURRENT.tmp"
        tmp.write_text(name)
        tmp.replace(root / "CURRENT")
        for old in root.glob("gen-*"):
            if old.name != name and not old.name.endswith(".tmp"):
                shutil.rmtree(old, ignore_errors=True)
        return BuildResult(name, len(ids), time.monotonic() - started)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_BUILD_LOCK])


class PdqMatcher:
    """This process's view of the index: the mapped generation and the delta after it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.generation = ""
        self.index: pdq_index.MihIndex | None = None
        self.max_id = 0
        self.delta_ids: I64 = np.empty(0, dtype=np.int64)
        self.delta_hashes: U64 = np.empty((0, 4), dtype=np.uint64)
        self.checked_at = -1e18
        self.compaction_asked = False

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self.checked_at < delta_seconds():
            return
        current = index_dir() / "CURRENT"
        name = current.read_text().strip() if current.exists() else ""
        if name != self.generation:
            stale = False
            try:
                index = pdq_index.MihIndex(index_dir() / name) if name else None
            except pdq_index.StaleIndex:
                # Written before an upgrade: answer from the database (every entry in the
                # delta, exact but slower) until the rebuild asked for below replaces it.
                logger.warning("PDQ index generation %s has an old layout: rebuilding", name)
                index, stale = None, True
            self.index = index
            self.generation = name
            self.max_id = int(index.meta.get("max_id", 0)) if index is not None else 0
            keep = self.delta_ids > self.max_id
            self.delta_ids, self.delta_hashes = self.delta_ids[keep], self.delta_hashes[keep]
            self.compaction_asked = False
            if stale:
                from reports.matching.tasks import pdq_index_build_queue

                pdq_index_build_queue()
                self.compaction_asked = True
        after = max(self.max_id, int(self.delta_ids[-1]) if len(self.delta_ids) else 0)
        ids, hashes = _pdq_rows(after)
        if len(ids):
            self.delta_ids = np.concatenate([self.delta_ids, ids])
            self.delta_hashes = np.concatenate([self.delta_hashes, hashes])
        self.checked_at = now
        if len(self.delta_ids) > delta_max() and not self.compaction_asked:
            from reports.matching.tasks import pdq_index_build_queue

            self.compaction_asked = True
            pdq_index_build_queue()

    def search_batch(self, queries: U64, radius: int) -> list[pdq_index.Found]:
        """Entry ids and distances within ``radius`` of each query: the generation's
        multi-index search plus a linear scan of the delta."""
        with self._lock:
            self._refresh()
            index, delta_ids, delta_hashes = self.index, self.delta_ids, self.delta_hashes
        found = (
            index.search_batch(queries, radius)
            if index is not None
            else [pdq_index.Found(np.empty(0, np.int64), np.empty(0, np.int64)) for _ in queries]
        )
        if len(delta_ids):
            extra = pdq_index.linear_search_batch(delta_hashes, delta_ids, queries, radius)
            found = [
                pdq_index.Found(
                    np.concatenate([a.rows, b.rows]), np.concatenate([a.distances, b.distances])
                )
                for a, b in zip(found, extra, strict=True)
            ]
        return found

    def reset(self) -> None:
        """Forget the mapped generation and the delta (tests, after a database change)."""
        with self._lock:
            self.__init__()  # type: ignore[misc]


MATCHER = PdqMatcher()
