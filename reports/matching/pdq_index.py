"""An exact PDQ near-match index: multi-index hashing over memory-mapped numpy arrays.

Why this method (measured in ``bench/match.py``, reasoning in ADR 0020): a PDQ hash is 256
bits. Cut it into ``m`` chunks; two hashes within distance ``T`` have at least one chunk
within ``T // m`` of each other (pigeonhole: if every chunk differed by more, the total would
exceed ``T``). So, for each chunk, every stored hash whose chunk equals one of the query's
chunk values with up to ``T // m`` bits flipped is a candidate, and checking each candidate's
full distance leaves exactly the hashes within ``T``: nothing within ``T`` is missed, nothing
beyond it returned. With 12 chunks of 21-22 bits and ``T = 31`` that is 2,872 bucket probes
and, at 10 million random hashes, about 11,000 candidates per query.

The index is a set of flat arrays written once per generation (``build``) and opened with
a shared read-only mapping: every worker process maps the same files, so the operating
system's page cache holds one copy for all of them, and a process that opens a new
generation drops the old mapping (memory stays flat across rebuilds). Layout, for ``m``
chunks and ``N`` hashes:

- ``hashes`` (N x 4 uint64) and ``rows`` (the caller's ids, uint32 when they fit);
- ``order`` (m x N uint32): per chunk, the positions sorted by that chunk's value, each with
  the value's low ``LOW_BITS`` bits packed into its top bits (positions need 30 bits);
- ``offs``: per chunk, a CSR bucket table over the chunk's value *without those low bits*
  (``2**(w - LOW_BITS) + 1`` uint32), a quarter of a table over the whole value.

A probe reads one coarse bucket (four fine ones side by side) and keeps the entries whose
low bits are close enough: one coarse bucket serves every probe that differs from it only
in the low bits, with the flips it has left to spend there. The answer is the same as with
a full table; the tables shrink from 470 MB to 118 MB at 10M hashes, at no cost per entry
(the bits ride in the order array's unused top bits). Measured in bench/match.py, ADR 0020.
Pure numpy, no Django, so the bench measures exactly what the matcher runs.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

BITS = 256
# Chunkings measured in bench/match.py (chunks: widths summing to 256 bits).
CHUNKINGS: dict[int, tuple[int, ...]] = {
    11: (24, 24, 24, 23, 23, 23, 23, 23, 23, 23, 23),
    12: (22, 22, 22, 22, 21, 21, 21, 21, 21, 21, 21, 21),
    16: (16,) * 16,
}
WIDTHS: tuple[int, ...] = CHUNKINGS[11]
SMALL = 1_000_000  # below this, 16-bit chunks: their small bucket tables beat 2^20-bucket ones
LOW_BITS = 2  # bits of each chunk filtered per entry instead of addressed by the bucket table
POS_BITS = 32 - LOW_BITS
FORMAT = 2  # of a generation's files; 1 had full bucket tables and int64 rows


class StaleIndex(Exception):
    """A generation written by an earlier layout: rebuild it (``pdq_index_build``)."""


def widths_for(count: int) -> tuple[int, ...]:
    """The chunking for an index of ``count`` hashes (measured in bench/match.py: at 10M,
    11 chunks answered fastest; a small index needs no 2^24-bucket tables)."""
    return CHUNKINGS[16] if count < SMALL else WIDTHS


U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def hex_to_words(values: list[str]) -> U64:
    """PDQ hex strings as an (N, 4) uint64 array, the first 16 hex digits in word 0."""
    raw = np.frombuffer(bytes.fromhex("".join(values)), dtype=">u8")
    return raw.astype(np.uint64).reshape(-1, 4)


def words_to_hex(words: U64) -> list[str]:
    data = np.ascontiguousarray(words.astype(">u8")).tobytes()
    return [data[i : i + 32].hex() for i in range(0, len(data), 32)]


def chunk_values(hashes: U64, widths: tuple[int, ...] = WIDTHS) -> list[npt.NDArray[np.uint32]]:
    """Each chunk's value for every hash, reading the 256 bits most significant first."""
    out = []
    pos = 0
    for w in widths:
        word, off = divmod(pos, 64)
        if off + w <= 64:
            v = (hashes[:, word] >> np.uint64(64 - off - w)) & np.uint64((1 << w) - 1)
        else:
            hi = 64 - off
            lo = w - hi
            v = ((hashes[:, word] & np.uint64((1 << hi) - 1)) << np.uint64(lo)) | (
                hashes[:, word + 1] >> np.uint64(64 - lo)
            )
        out.append(v.astype(np.uint32))
        pos += w
    return out


def chunk_matrix(queries: U64, widths: tuple[int, ...] = WIDTHS) -> npt.NDArray[np.uint32]:
    """(queries, chunks) chunk values. A few queries go through Python integers: numpy's
    per-call overhead made the vectorised form cost 0.1 ms for one query."""
    if len(queries) > 8:
        return np.stack(chunk_values(queries, widths), axis=1)
    out = np.empty((len(queries), len(widths)), dtype=np.uint32)
    for i, words in enumerate(queries.tolist()):
        value = (words[0] << 192) | (words[1] << 128) | (words[2] << 64) | words[3]
        left = BITS
        for c, w in enumerate(widths):
            left -= w
            out[i, c] = (value >> left) & ((1 << w) - 1)
    return out


@cache
def flip_masks(width: int, radius: int) -> npt.NDArray[np.uint32]:
    """Every mask of ``width`` bits with at most ``radius`` bits set (0 first)."""
    masks = [0]
    for k in range(1, min(radius, width) + 1):
        for bits in itertools.combinations(range(width), k):
            masks.append(sum(1 << b for b in bits))
    return np.array(masks, dtype=np.uint32)


def distances(hashes: U64, query: U64) -> I64:
    """Hamming distance of each row of ``hashes`` to ``query`` (broadcasting)."""
    return np.bitwise_count(hashes ^ query).sum(axis=-1, dtype=np.int64)


def build(
    hashes: U64,
    rows: I64,
    directory: Path,
    *,
    meta: dict[str, object] | None = None,
    widths: tuple[int, ...] | None = None,
) -> None:
    """Write an index of ``hashes`` (ids ``rows``) into ``directory`` (created; replaced).

    Written under a temporary name and renamed, so a reader never sees half an index.
    """
    widths = widths or widths_for(len(hashes))
    assert sum(widths) == BITS
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    n = len(hashes)
    if n >= 1 << POS_BITS:
        raise ValueError(f"one generation holds fewer than {1 << POS_BITS} hashes; shard it")
    rows = np.asarray(rows)
    rows_dtype = np.uint32 if n == 0 or (rows.min() >= 0 and rows.max() < 2**32) else np.int64
    np.save(tmp / "hashes.npy", np.ascontiguousarray(hashes, dtype=np.uint64))
    np.save(tmp / "rows.npy", np.ascontiguousarray(rows, dtype=rows_dtype))
    # All chunks' tables in one file each, so a query gathers every probe in one call.
    order = np.lib.format.open_memmap(
        tmp / "order.npy", mode="w+", dtype=np.uint32, shape=(len(widths) * n,)
    )
    offs = np.lib.format.open_memmap(
        tmp / "offs.npy",
        mode="w+",
        dtype=np.uint32,
        shape=(sum((1 << (w - LOW_BITS)) + 1 for w in widths),),
    )
    base = 0
    low_mask = np.uint32((1 << LOW_BITS) - 1)
    for c, (w, values) in enumerate(zip(widths, chunk_values(hashes, widths), strict=True)):
        # Sorted by the whole value (the order inside a fine bucket does not matter, so the
        # unstable sort: twice as fast); a coarse bucket is then contiguous.
        sorted_at = np.argsort(values).astype(np.uint32)
        packed = (values[sorted_at] & low_mask) << np.uint32(POS_BITS)
        order[c * n : (c + 1) * n] = sorted_at | packed
        buckets = 1 << (w - LOW_BITS)
        offs[base] = 0
        np.cumsum(
            np.bincount(values >> np.uint32(LOW_BITS), minlength=buckets),
            out=offs[base + 1 : base + buckets + 1],
        )
        base += buckets + 1
        del values, sorted_at, packed
    order.flush()
    offs.flush()
    del order, offs
    info = {
        "format": FORMAT,
        "count": n,
        "widths": list(widths),
        "low_bits": LOW_BITS,
        **(meta or {}),
    }
    (tmp / "meta.json").write_text(json.dumps(info))
    if directory.exists():
        shutil.rmtree(directory)
    os.replace(tmp, directory)


@dataclass
class Found:
    """Matches of one query: positions in the index, their ids and distances."""

    rows: I64
    distances: I64


def _map(path: Path, populate: bool = True) -> npt.NDArray[np.generic]:
    """A read-only, shared mapping of a ``.npy`` file as a plain ndarray.

    ``MAP_POPULATE`` maps every page at open (one sequential read, from the page cache when
    another process has the file open), so a query never takes a page fault: measured, the
    faults of a cold mapping were most of a query's time.
    """
    import mmap

    with path.open("rb") as fh:
        version = np.lib.format.read_magic(fh)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(fh)
        offset = fh.tell()
        flags = mmap.MAP_SHARED | (getattr(mmap, "MAP_POPULATE", 0) if populate else 0)
        size = offset + int(np.prod(shape)) * dtype.itemsize
        if size == offset:
            return np.empty(shape, dtype=dtype)
        mapped = mmap.mmap(fh.fileno(), size, flags=flags, prot=mmap.PROT_READ)
    array = np.frombuffer(mapped, dtype=dtype, count=int(np.prod(shape)), offset=offset)
    return array.reshape(shape, order="F" if fortran else "C")


@dataclass(frozen=True)
class _Plan:
    chunk_of: npt.NDArray[np.intp]
    masks: npt.NDArray[np.uint32]
    table: I64
    order_base: I64
    budget: I64


class MihIndex:
    """One generation of the index, memory-mapped read-only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.meta = json.loads((directory / "meta.json").read_text())
        if self.meta.get("format") != FORMAT:
            raise StaleIndex(f"{directory.name} has layout {self.meta.get('format', 1)}")
        self.widths: tuple[int, ...] = tuple(self.meta["widths"])
        self.count: int = int(self.meta["count"])
        self.hashes: U64 = _map(directory / "hashes.npy")  # type: ignore[assignment]
        self.rows = _map(directory / "rows.npy")
        self.order: npt.NDArray[np.uint32] = _map(directory / "order.npy")  # type: ignore[assignment]
        self.offs = _map(directory / "offs.npy")
        self.low_bits = int(self.meta["low_bits"])
        self._plans: dict[int, _Plan] = {}

    def _plan(self, radius: int) -> _Plan:
        """For a radius: each coarse probe's chunk, flip mask (of the coarse value), table
        base, sorted-order base and the low-bit flips it may still spend."""
        plan = self._plans.get(radius)
        if plan is None:
            per_chunk = radius // len(self.widths)
            chunk_of, masks, table, order, budget = [], [], [], [], []
            base = 0
            for c, w in enumerate(self.widths):
                coarse = w - self.low_bits
                m = flip_masks(coarse, per_chunk)
                chunk_of.append(np.full(len(m), c, dtype=np.intp))
                masks.append(m)
                table.append(np.full(len(m), base, dtype=np.int64))
                order.append(np.full(len(m), c * self.count, dtype=np.int64))
                budget.append(per_chunk - np.bitwise_count(m).astype(np.int64))
                base += (1 << coarse) + 1
            plan = _Plan(
                np.concatenate(chunk_of),
                np.concatenate(masks),
                np.concatenate(table),
                np.concatenate(order),
                np.concatenate(budget),
            )
            self._plans[radius] = plan
        return plan

    def _candidates(self, chunks: npt.NDArray[np.uint32], radius: int) -> tuple[I64, I64]:
        """(query number, position) of every candidate of a batch of queries; ``chunks`` is
        (queries, m). Every probe of every query in one gather: Python's per-call overhead
        would otherwise cost more than the memory reads."""
        plan = self._plan(radius)
        values = chunks[:, plan.chunk_of]  # (queries, probes)
        keys = ((values >> np.uint32(self.low_bits)) ^ plan.masks).astype(np.int64) + plan.table
        start = self.offs[keys].astype(np.int64)
        size = (self.offs[keys + 1].astype(np.int64) - start).ravel()
        start = (start + plan.order_base).ravel()
        total = int(size.sum())
        if not total:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        # Expand the ragged ranges [start, start + size) without a Python loop.
        ends = np.cumsum(size)
        pos = np.repeat(start - ends + size, size) + np.arange(total, dtype=np.int64)
        entries = self.order[pos]
        # Keep the entries whose low bits are within what the probe has left to flip.
        query_low = (values & np.uint32((1 << self.low_bits) - 1)).ravel()
        budget = np.broadcast_to(plan.budget, keys.shape).ravel()
        spent = np.bitwise_count((entries >> np.uint32(POS_BITS)) ^ np.repeat(query_low, size))
        keep = spent <= np.repeat(budget, size)
        qn = np.repeat(np.arange(len(chunks), dtype=np.int64), keys.shape[1])
        found = (entries[keep] & np.uint32((1 << POS_BITS) - 1)).astype(np.int64)
        return np.repeat(qn, size)[keep], found

    def search_batch(self, queries: U64, radius: int) -> list[Found]:
        """Every stored hash within ``radius`` of each query (exact), one ``Found`` each."""
        if self.count == 0 or len(queries) == 0:
            return [Found(np.empty(0, np.int64), np.empty(0, np.int64)) for _ in queries]
        qn, pos = self._candidates(chunk_matrix(queries, self.widths), radius)
        d = distances(self.hashes[pos], queries[qn])
        keep = d <= radius
        qn, pos, d = qn[keep], pos[keep], d[keep]
        # A hash close in several chunks is a candidate several times: keep it once.
        key = qn * (self.count + 1) + pos
        key, first = np.unique(key, return_index=True)
        qn, pos, d = qn[first], pos[first], d[first]
        bounds = np.searchsorted(qn, np.arange(len(queries) + 1))
        rows = self.rows[pos].astype(np.int64)
        return [
            Found(rows[bounds[i] : bounds[i + 1]], d[bounds[i] : bounds[i + 1]])
            for i in range(len(queries))
        ]

    def search(self, query: U64, radius: int) -> Found:
        return self.search_batch(query.reshape(1, 4), radius)[0]


def linear_search_batch(hashes: U64, rows: I64, queries: U64, radius: int) -> list[Found]:
    """The same answer by comparing with every hash: for the small delta of hashes added
    since the last build, and as the reference the index is tested against."""
    out = []
    for q in queries:
        d = distances(hashes, q)
        keep = d <= radius
        out.append(Found(rows[keep], d[keep]))
    return out
