"""The multi-index hashing PDQ index is exact: the same answer as comparing with every hash."""

from __future__ import annotations

import numpy as np
import pytest

from reports.matching import pdq_index


def planted(rng, n=20000, queries=60):
    hashes = rng.integers(0, 2**64 - 1, size=(n, 4), dtype=np.uint64, endpoint=True)
    picks = rng.integers(0, n, queries)
    q = hashes[picks].copy()
    flips = rng.integers(0, 45, queries)  # around the threshold of 31, both sides
    for i, k in enumerate(flips):
        for b in rng.choice(256, int(k), replace=False):
            q[i, b // 64] ^= np.uint64(1) << np.uint64(63 - b % 64)
    return hashes, q, flips


def as_sets(found):
    return [sorted(zip(f.rows.tolist(), f.distances.tolist(), strict=True)) for f in found]


@pytest.mark.parametrize("chunks", [16, 12, 11])
def test_index_finds_exactly_what_a_linear_scan_finds(rng, tmp_path, chunks):
    """Every chunking in use (16 below a million hashes, 11 above), and ids both small and
    beyond 32 bits (stored as uint32 only when they fit)."""
    hashes, queries, _ = planted(rng)
    rows = np.arange(len(hashes), dtype=np.int64) * 7 + 3  # ids are the caller's, not positions
    if chunks == 12:
        rows += 2**40
    pdq_index.build(hashes, rows, tmp_path / "gen", widths=pdq_index.CHUNKINGS[chunks])
    index = pdq_index.MihIndex(tmp_path / "gen")
    for radius in (0, 10, 31, 40):
        expected = as_sets(pdq_index.linear_search_batch(hashes, rows, queries, radius))
        assert as_sets(index.search_batch(queries, radius)) == expected
        assert [as_sets([index.search(q, radius)])[0] for q in queries[:10]] == expected[:10]


def test_threshold_is_inclusive_and_one_more_bit_misses(rng, tmp_path):
    hashes = rng.integers(0, 2**64 - 1, size=(5000, 4), dtype=np.uint64, endpoint=True)
    pdq_index.build(hashes, np.arange(5000, dtype=np.int64), tmp_path / "gen")
    index = pdq_index.MihIndex(tmp_path / "gen")
    # the hardest case for the pigeonhole: flipped bits spread over every chunk
    target = hashes[42].copy()
    spread = [int(b) for b in np.linspace(0, 255, 32).astype(int)]
    at_31 = target.copy()
    for b in spread[:31]:
        at_31[b // 64] ^= np.uint64(1) << np.uint64(63 - b % 64)
    at_32 = at_31.copy()
    b = spread[31]
    at_32[b // 64] ^= np.uint64(1) << np.uint64(63 - b % 64)
    found = index.search(at_31, 31)
    assert found.rows.tolist() == [42] and found.distances.tolist() == [31]
    assert index.search(at_32, 31).rows.tolist() == []


def test_clustered_hashes_are_all_found(rng, tmp_path):
    # real PDQ hashes cluster: many near-copies of a few images
    seeds = rng.integers(0, 2**64 - 1, size=(20, 4), dtype=np.uint64, endpoint=True)
    hashes = np.repeat(seeds, 200, axis=0)
    for i in range(len(hashes)):
        for b in rng.choice(256, int(rng.integers(0, 12)), replace=False):
            hashes[i, b // 64] ^= np.uint64(1) << np.uint64(63 - b % 64)
    rows = np.arange(len(hashes), dtype=np.int64)
    pdq_index.build(hashes, rows, tmp_path / "gen")
    index = pdq_index.MihIndex(tmp_path / "gen")
    queries = seeds[:5]
    assert as_sets(index.search_batch(queries, 31)) == as_sets(
        pdq_index.linear_search_batch(hashes, rows, queries, 31)
    )
    assert all(len(f.rows) >= 150 for f in index.search_batch(queries, 31))


def test_hex_round_trip():
    value = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    assert pdq_index.words_to_hex(pdq_index.hex_to_words([value])) == [value]
