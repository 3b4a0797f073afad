"""Known-image matching (issue 14): our PDQ index against threatexchange's, and the match API.

Part ``index`` (no database): 10,000,000 PDQ hashes, random and clustered (a few thousand
seeds, a few bits flipped each, as real near-duplicate images cluster). For each set, in
separate processes so memory is measured alone:
  - ours: build the multi-index hashing generation (``reports/matching/pdq_index.py``), then
    a fresh "worker" process maps it and answers the queries one by one (p50/p95) and in
    batches (queries/s); resident memory of that worker;
  - the peer: python-threatexchange's ``PDQIndex`` (faiss ``IndexBinaryMultiHash(256, 16,
    16)`` behind an ``IndexBinaryIDMap2``, what hasher-matcher-actioner uses), built from the
    same hashes as hex strings, the same queries; its resident memory;
  - both answers compared query by query (ids and distances), and the ratios printed.
Queries are stored hashes with 0-40 random bits flipped (most within the threshold of 31,
some beyond it), so every answer is checked both ways.

Part ``api`` (PostgreSQL, gunicorn): 5M MD5/SHA-256 + 5M PDQ entries seeded by ``COPY``
into a bench database; the index built from the database; then ``POST /api/v1/match/`` over
HTTP with a service credential (auth, audit, rate limit: the whole stack): p50/p95 of a
hash-only request and of a PDQ request; the time for a newly imported hash to become
matchable; the workers' resident and proportional memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_match \\
        .venv/bin/python bench/match.py [--count 10000000] [--part index|api|all] [--no-peer]

Needs the ``bench-match`` extra (faiss-cpu, threatexchange) for the peer.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(os.environ.get("LIAISON_BENCH_DIR", str(ROOT / "var" / "bench-match")))
BENCH_DB = "liaison_match_bench"
RADIUS = 31
SEED = 14


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def rss_mb(pid: str = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":")
            values[key] = int(value.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


# --- data -------------------------------------------------------------------------------


def flip_random(rng: np.random.Generator, hashes: np.ndarray, counts: np.ndarray) -> None:
    """Flip ``counts[i]`` distinct random bits of row ``i`` (in place)."""
    for i, k in enumerate(counts.tolist()):
        if k:
            bits = rng.choice(256, k, replace=False)
            for b in bits.tolist():
                hashes[i, b // 64] ^= np.uint64(1) << np.uint64(63 - b % 64)


def make_sets(count: int, queries: int) -> None:
    """random.npy, clustered.npy (count x 4 uint64) and their query files, once."""
    WORK.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for kind in ("random", "clustered"):
        path = WORK / f"{kind}-{count}.npy"
        if not path.exists():
            if kind == "random":
                data = np.frombuffer(rng.bytes(count * 32), dtype=np.uint64).reshape(count, 4)
            else:
                seeds = np.frombuffer(rng.bytes(5000 * 32), dtype=np.uint64).reshape(5000, 4)
                data = seeds[rng.integers(0, len(seeds), count)].copy()
                # 0-6 flipped bits each, vectorised: XOR with masks of up to 6 set bits
                for _ in range(6):
                    keep = rng.random(count) < 0.5
                    bit = rng.integers(0, 256, count)
                    word, offset = bit // 64, (63 - bit % 64).astype(np.uint64)
                    rows = np.nonzero(keep)[0]
                    data[rows, word[rows]] ^= np.uint64(1) << offset[rows]
            np.save(path, np.ascontiguousarray(data))
            del data
        qpath = WORK / f"{kind}-{count}-queries.npy"
        if not qpath.exists():
            data = np.load(path, mmap_mode="r")
            picks = rng.choice(count, queries, replace=False)
            q = np.array(data[picks])
            flip_random(rng, q, rng.integers(0, 41, queries))
            q = np.unique(q, axis=0)  # the peer answers by query string: no duplicates
            rng.shuffle(q)
            np.save(qpath, q)


# --- workers (each in its own process) --------------------------------------------------


def worker_ours_build(kind: str, count: int) -> dict:
    from reports.matching import pdq_index

    hashes = np.load(WORK / f"{kind}-{count}.npy", mmap_mode="r")
    started = time.perf_counter()
    pdq_index.build(
        np.asarray(hashes),
        np.arange(count, dtype=np.int64),
        WORK / f"ours-{kind}-{count}",
        widths=pdq_index.CHUNKINGS[int(os.environ.get("BENCH_CHUNKS", "12"))],
    )
    seconds = time.perf_counter() - started
    return {"build_s": seconds, "peak_rss_mb": rss_mb()[1]}


def worker_ours_serve(kind: str, count: int) -> dict:
    from reports.matching import pdq_index

    base_rss = rss_mb()[0]
    started = time.perf_counter()
    index = pdq_index.MihIndex(WORK / f"ours-{kind}-{count}")
    open_s = time.perf_counter() - started
    # The index's own memory, read before any query like the peer's (after its build):
    # the mapping is populated at open, so this is every page of it.
    rss_open = rss_mb()[0]
    queries = np.load(WORK / f"{kind}-{count}-queries.npy")
    for q in queries[:20]:
        index.search(q, RADIUS)
    single = []
    answers = []
    for q in queries:
        t = time.perf_counter()
        found = index.search(q, RADIUS)
        single.append((time.perf_counter() - t) * 1000)
        answers.append(sorted(zip(found.rows.tolist(), found.distances.tolist(), strict=True)))
    started = time.perf_counter()
    batch = 100
    for i in range(0, len(queries), batch):
        index.search_batch(queries[i : i + batch], RADIUS)
    batch_s = time.perf_counter() - started
    rss, hwm = rss_mb()
    (WORK / f"answers-ours-{kind}-{count}.json").write_text(json.dumps(answers))
    size = sum(f.stat().st_size for f in (WORK / f"ours-{kind}-{count}").iterdir())
    return {
        "open_s": open_s,
        "p50_ms": pct(single, 50),
        "p95_ms": pct(single, 95),
        "qps": len(queries) / batch_s,
        "rss_mb": rss,
        "rss_index_mb": rss_open - base_rss,
        "hwm_mb": hwm,
        "files_mb": size / 2**20,
        "matches": sum(len(a) for a in answers),
    }


def worker_peer(kind: str, count: int) -> dict:
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    hashes = np.load(WORK / f"{kind}-{count}.npy", mmap_mode="r")
    raw = np.ascontiguousarray(np.asarray(hashes).astype(">u8")).tobytes()
    strings = [raw[i : i + 32].hex() for i in range(0, len(raw), 32)]
    del raw
    queries = np.load(WORK / f"{kind}-{count}-queries.npy")
    qraw = np.ascontiguousarray(queries.astype(">u8")).tobytes()
    qstrings = [qraw[i : i + 32].hex() for i in range(0, len(qraw), 32)]
    base_rss = rss_mb()[0]
    started = time.perf_counter()
    index: PDQIndex = PDQIndex()
    index.add_all((s, i) for i, s in enumerate(strings))
    build_s = time.perf_counter() - started
    rss_after_build = rss_mb()[0]
    inner = index.index  # PDQMultiHashIndex: the faiss search itself, ids and distances
    for q in qstrings[:20]:
        inner.search_with_distance_in_result([q], RADIUS)
    single = []
    answers = []
    for q in qstrings:
        t = time.perf_counter()
        result = index.query(q)  # what hasher-matcher-actioner calls per hash
        single.append((time.perf_counter() - t) * 1000)
        answers.append(sorted((int(m.metadata), int(m.similarity_info.distance)) for m in result))
    started = time.perf_counter()
    batch = 100
    for i in range(0, len(qstrings), batch):
        inner.search_with_distance_in_result(qstrings[i : i + batch], RADIUS)
    batch_s = time.perf_counter() - started
    # one hash added to the built index (what a list change costs it)
    extra = qstrings[0]
    t = time.perf_counter()
    index.add(extra, count)
    add_s = time.perf_counter() - t
    _rss, hwm = rss_mb()
    (WORK / f"answers-peer-{kind}-{count}.json").write_text(json.dumps(answers))
    return {
        "build_s": build_s,
        "p50_ms": pct(single, 50),
        "p95_ms": pct(single, 95),
        "qps": len(qstrings) / batch_s,
        "rss_mb": rss_after_build,
        "rss_index_mb": rss_after_build - base_rss,
        "hwm_mb": hwm,
        "add_one_s": add_s,
        "matches": sum(len(a) for a in answers),
    }


def run_worker(name: str, *args: str, chunks: int = 12) -> dict:
    # One thread each: the machine's two cores are shared, and faiss's OpenMP threads
    # spinning against other processes only made the peer slower and noisier.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "BENCH_CHUNKS": str(chunks)}
    out = subprocess.run(
        [sys.executable, __file__, "_worker", name, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    if out.returncode != 0:
        raise SystemExit(f"worker {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- part: index ------------------------------------------------------------------------


def part_index(count: int, queries: int, peer: bool, chunkings: list[int]) -> None:
    make_sets(count, queries)
    for kind in ("random", "clustered"):
        print(f"\n== PDQ index, {count:,} {kind} hashes, threshold {RADIUS} (load {load()})")
        results = {}
        for chunks in chunkings:
            built = run_worker("ours_build", kind, str(count), chunks=chunks)
            served = run_worker("ours_serve", kind, str(count), chunks=chunks)
            (WORK / f"answers-ours-{kind}-{count}.json").rename(
                WORK / f"answers-ours{chunks}-{kind}-{count}.json"
            )
            results[chunks] = (built, served)
            print(
                f"ours ({chunks} chunks): build {built['build_s']:.1f} s (peak "
                f"{built['peak_rss_mb']:.0f} MB); worker maps {served['files_mb']:.0f} MB in "
                f"{served['open_s']:.2f} s; query p50 {served['p50_ms']:.2f} ms p95 "
                f"{served['p95_ms']:.2f} ms; batch {served['qps']:.0f} q/s; worker RSS "
                f"{served['rss_mb']:.0f} MB after the queries (index {served['rss_index_mb']:.0f} "
                "MB, read at open); "
                f"matches {served['matches']}"
            )
        if not peer:
            continue
        theirs = run_worker("peer", kind, str(count))
        print(
            f"peer : build {theirs['build_s']:.1f} s; query p50 {theirs['p50_ms']:.2f} ms "
            f"p95 {theirs['p95_ms']:.2f} ms; batch {theirs['qps']:.0f} q/s; RSS "
            f"{theirs['rss_mb']:.0f} MB (index {theirs['rss_index_mb']:.0f} MB); "
            f"adding one hash {theirs['add_one_s']:.2f} s; matches {theirs['matches']}"
        )
        b = json.loads((WORK / f"answers-peer-{kind}-{count}.json").read_text())
        for chunks, (built, served) in results.items():
            a = json.loads((WORK / f"answers-ours{chunks}-{kind}-{count}.json").read_text())
            same = sum(x == y for x, y in zip(a, b, strict=True))
            print(
                f"ours ({chunks} chunks) vs peer: identical answers for {same} of {len(a)} "
                "queries; ratios (higher is better for ours): "
                f"query p95 {theirs['p95_ms'] / served['p95_ms']:.1f}x, "
                f"p50 {theirs['p50_ms'] / served['p50_ms']:.1f}x, "
                f"memory {theirs['rss_index_mb'] / served['rss_index_mb']:.1f}x (index; "
                f"whole process {theirs['rss_mb'] / served['rss_mb']:.1f}x), "
                f"build {theirs['build_s'] / built['build_s']:.1f}x, "
                f"batch throughput {served['qps'] / theirs['qps']:.1f}x"
            )
        print(f"(load after: {load()})")


# --- part: api --------------------------------------------------------------------------


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DEBUG"] = "0"
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ["LIAISON_MATCH_INDEX_DIR"] = str(WORK / "api-index")
    import django

    django.setup()


def seed_entries(count: int) -> dict[str, list[str]]:
    """count/2 MD5 + SHA-256 entries and count/2 PDQ entries by COPY; returns samples."""
    from django.db import connection

    from reports.matching.services import hash_list_ensure

    crypto, _ = hash_list_ensure(name="bench-crypto", actor=None, actor_label="bench")
    pdq, _ = hash_list_ensure(name="bench-pdq", actor=None, actor_label="bench")
    rng = np.random.default_rng(SEED + 1)
    half = count // 2
    at = "2026-12-01 00:00:00+00"
    samples: dict[str, list[str]] = {"md5": [], "sha256": [], "pdq": []}
    block = 250_000
    with connection.cursor() as cursor:
        # Bulk load: the two indexes are built once at the end, not row by row (a first run
        # kept them and loaded 3.5M rows in 14 minutes on the loaded machine).
        cursor.execute("ALTER TABLE matching_hashentry DROP CONSTRAINT matching_entry_unique")
        cursor.execute("DROP INDEX matching_entry_value")
        for start in range(0, half, block):
            n = min(block, half - start)
            md5 = rng.bytes(n * 16)
            sha = rng.bytes(n * 32)
            pq = rng.bytes(n * 32)
            lines = []
            for i in range(n):
                if i % 2:
                    lines.append(
                        f"{crypto.pk}\tmd5\t{md5[i * 16 : i * 16 + 16].hex()}\t\\N\tA1\t{at}\n"
                    )
                else:
                    lines.append(
                        f"{crypto.pk}\tsha256\t{sha[i * 32 : i * 32 + 32].hex()}\t\\N\tA1\t{at}\n"
                    )
                lines.append(f"{pdq.pk}\tpdq\t{pq[i * 32 : i * 32 + 32].hex()}\t100\tA2\t{at}\n")
            if start == 0:
                samples["md5"] = [md5[i * 16 : i * 16 + 16].hex() for i in range(1, 400, 2)]
                samples["pdq"] = [pq[i * 32 : i * 32 + 32].hex() for i in range(200)]
            with cursor.copy(
                "COPY matching_hashentry"
                " (hash_list_id, hash_type, value, quality, label, created_at) FROM STDIN"
            ) as copy:
                copy.write("".join(lines))
        cursor.execute(
            "ALTER TABLE matching_hashentry ADD CONSTRAINT matching_entry_unique"
            " UNIQUE (hash_list_id, hash_type, value)"
        )
        cursor.execute("CREATE INDEX matching_entry_value ON matching_hashentry (value, hash_type)")
        cursor.execute("ANALYZE matching_hashentry")
    return samples


def start_server(database_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "CONN_MAX_AGE": "600",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "LIAISON_MATCH_RATE": "1000000/s",
        "CELERY_BROKER_URL": "memory://localhost/",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LIAISON_MATCH_INDEX_DIR": str(WORK / "api-index"),
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            str(ROOT / "deploy/gunicorn.conf.py"),
            "--access-logfile",
            "/dev/null",
            "--max-requests",
            "0",
            "portal.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit(f"gunicorn did not answer within 90 s; see {log}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def post(conn: http.client.HTTPConnection, credential: str, body: dict) -> tuple[float, dict]:
    data = json.dumps(body)
    started = time.perf_counter()
    conn.request(
        "POST",
        "/api/v1/match/",
        body=data,
        headers={"Authorization": f"Bearer {credential}", "Content-Type": "application/json"},
    )
    answer = conn.getresponse()
    payload = answer.read()
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status != 200:
        raise SystemExit(f"match answered {answer.status}: {payload[:300]!r}")
    return elapsed, json.loads(payload)


def part_api(count: int, database_url: str, port: int) -> None:
    setup_django(database_url)
    from django.db import connection

    from reports.matching.credentials import service_credential_issue
    from reports.matching.imports import hash_list_import
    from reports.matching.index_store import pdq_index_build
    from reports.matching.models import HashList

    print(f"\n== match API, {count // 2:,} MD5/SHA-256 + {count // 2:,} PDQ (load {load()})")
    connection.settings_dict["TEST"]["NAME"] = BENCH_DB
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"bench database migrated in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    samples = seed_entries(count)
    print(f"seeded {count:,} entries by COPY in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    built = pdq_index_build()
    assert built is not None
    print(
        f"index built from the database: {built.count:,} PDQ in {built.seconds:.1f} s "
        f"(read by binary COPY + build), {time.perf_counter() - started:.1f} s in all"
    )
    credential = service_credential_issue(name="bench", scopes=["match"]).plaintext
    bench_url = connection.settings_dict["NAME"]
    url = database_url.rsplit("/", 1)[0] + "/" + bench_url
    WORK.mkdir(parents=True, exist_ok=True)
    server = start_server(url, port, WORK / "gunicorn.log")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rng = np.random.default_rng(SEED + 2)
        for _ in range(30):  # warm both workers (index mapped, statements prepared)
            post(conn, credential, {"account_id": "warm", "md5": rng.bytes(16).hex()})
            post(conn, credential, {"account_id": "warm", "pdq": rng.bytes(32).hex()})
        crypto_allow = [
            post(conn, credential, {"account_id": f"u{i}", "md5": rng.bytes(16).hex()})[0]
            for i in range(400)
        ]
        pdq_allow = [
            post(
                conn,
                credential,
                {"account_id": f"u{i}", "pdq": rng.bytes(32).hex(), "pdq_quality": 100},
            )[0]
            for i in range(400)
        ]
        block = []
        for i in range(60):
            if i % 2:
                body = {"account_id": f"b{i}", "md5": samples["md5"][i], "ip": "192.0.2.10"}
            else:
                words = int(samples["pdq"][i], 16) ^ 0b1011  # 3 bits away
                body = {"account_id": f"b{i}", "pdq": f"{words:064x}", "ip": "192.0.2.10"}
            elapsed, answer = post(conn, credential, body)
            assert answer["verdict"] == "block", answer
            block.append(elapsed)
        batch_items = [{"account_id": f"x{i}", "pdq": rng.bytes(32).hex()} for i in range(100)]
        batch_times = [post(conn, credential, {"items": batch_items})[0] for _ in range(10)]
        print(
            f"hash-only (MD5) request, allow: p50 {pct(crypto_allow, 50):.2f} ms "
            f"p95 {pct(crypto_allow, 95):.2f} ms"
        )
        print(
            f"PDQ request at threshold {RADIUS}, allow: p50 {pct(pdq_allow, 50):.2f} ms "
            f"p95 {pct(pdq_allow, 95):.2f} ms  (target p95 < 15 ms end to end)"
        )
        print(
            f"hit (block: item, hits, case opened or joined, CyberTipline draft): "
            f"p50 {pct(block, 50):.1f} ms p95 {pct(block, 95):.1f} ms"
        )
        print(
            f"batch of 100 PDQ items over HTTP: {100 / (np.median(batch_times) / 1000):.0f} "
            f"items/s ({np.median(batch_times):.0f} ms a call)"
        )
        # a new hash: imported, then asked for until the workers' delta has it
        new = rng.bytes(32).hex()
        import io

        started = time.perf_counter()
        hash_list_import(
            hash_list=HashList.objects.get(name="bench-pdq"),
            stream=io.StringIO(f"pdq,quality\n{new},100\n"),
            file_format="csv",
            actor=None,
            actor_label="bench",
        )
        imported = time.perf_counter() - started
        while True:
            _elapsed, answer = post(conn, credential, {"account_id": "late", "pdq": new})
            if answer["verdict"] != "allow":
                break
            time.sleep(0.02)
        matchable = time.perf_counter() - started
        print(
            f"time to matchable for an added hash: {matchable:.2f} s "
            f"(import {imported * 1000:.0f} ms, then the workers' delta refresh, "
            f"LIAISON_MATCH_DELTA_SECONDS=1)"
        )
        workers = [
            int(p)
            for p in subprocess.run(
                ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
            ).stdout.split()
        ]
        for pid in workers:
            rss, _hwm = rss_mb(str(pid))
            print(
                f"gunicorn worker {pid}: RSS {rss:.0f} MB, PSS {pss_mb(pid):.0f} MB "
                "(the index pages are shared between workers)"
            )
    finally:
        stop_server(server)
        connection.creation.destroy_test_db(bench_url, verbosity=0)
    print(f"(load after: {load()})")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        name, kind, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
        result = {
            "ours_build": worker_ours_build,
            "ours_serve": worker_ours_serve,
            "peer": worker_peer,
        }[name](kind, count)
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--part", choices=("index", "api", "all"), default="all")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--chunks", type=int, nargs="+", default=[11], help="our chunkings to measure"
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--port", type=int, default=8106)
    args = parser.parse_args()
    print(f"bench/match.py: {os.cpu_count()} cores, load {load()}")
    if args.part in ("index", "all"):
        part_index(args.count, args.queries, not args.no_peer, args.chunks)
    if args.part in ("api", "all"):
        if not args.database_url:
            raise SystemExit("--database-url or DATABASE_URL is needed for the api part")
        part_api(args.count, args.database_url, args.port)


if __name__ == "__main__":
    main()
