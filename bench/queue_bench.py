"""What the staff pages cost with a million cases: queue tabs, case page, target search.

Run it as ``bench/queue.py`` (that file is the entry point; this one holds the code):

    .venv/bin/python bench/queue.py                       # 10k and 1M datasets, 200 rounds
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/queue.py
    .venv/bin/python bench/queue.py --iterations 50 --only queue   # a quick look

Issue 4's goal: p95 of each page under 50 ms with 1,000,000 cases and 3,000,000 targets,
and 1M/10k under 1.5, i.e. every query index-bound. Steps:

1. For each dataset (``--small``, default 10,000 cases, and ``--cases``, default 1,000,000)
   the seeder (``bench/seed.py``) makes or reuses ``liaison_bench_queue_<n>`` on the server
   of ``DATABASE_URL`` (default the local PostgreSQL), never the embedded dev database.
   Each dataset lives in a child process of its own (no cache crosses over); the parent
   has them time blocks of rounds in turn (ABBA), so load from the rest of the machine
   falls on both sizes alike.
2. Each scenario is a GET of the whole page through the Django test client in-process:
   every middleware (sessions saved on each request, 2FA gate, access-log middleware),
   the view, its queries, template rendering and the access-log write. Personas are signed
   in with both factors (``tests.factories.verified_client``). After a warm-up, each round
   goes through every scenario in turn and p50/p95 are taken per scenario, with the
   process's CPU time per page beside them (the part that machine load does not
   inflate). No network and no WSGI server: real requests cost a little more, the same
   at every size.
3. One more request per scenario runs under ``CaptureQueriesContext``: the query count
   (an N+1 shows as a count that grows with the rows shown) and, for the large dataset,
   ``EXPLAIN (ANALYZE, BUFFERS)`` of each SELECT on a ``cases_`` table, summarised as the
   plan's scans, with a flag on any sequential scan or large sort of a big table.

Prints one table: p50/p95 per scenario at both sizes, the 1M/10k ratio (of p50, the
stable one; of p95 alongside), queries per page, rows shown, and a verdict. The machine's
load average is printed with the numbers: on a shared 2-core machine, re-run when it is low.
Not a test: never run by CI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import seed  # noqa: E402 - after the path set-up, as a script

P95_TARGET_MS = 50.0
RATIO_TARGET = 1.5
BIG_TABLES = {
    "cases_case",
    "cases_target",
    "cases_legalprocess",
    "cases_deadline",
    "cases_timelineevent",
    "audit_accessevent",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="large dataset")
    parser.add_argument("--small", type=int, default=10_000, help="small dataset (the ratio)")
    parser.add_argument("--iterations", type=int, default=200, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds first")
    parser.add_argument("--reseed", action="store_true", help="drop and seed both again")
    parser.add_argument("--no-explain", action="store_true", help="skip the EXPLAIN report")
    parser.add_argument("--only", default="", help="run scenarios whose name contains this text")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


# --- the parent: run both datasets and compare -----------------------------------------------


def main() -> None:
    args = parse_args()
    if args.worker:
        worker(args)
        return
    started = time.time()
    print(f"queue bench, {_machine()}")
    workers: dict[int, Worker] = {}
    try:
        for size in (args.small, args.cases):  # one after the other: seeding is heavy
            workers[size] = Worker.start(size, args, explain=size == args.cases)
        # Blocks of rounds alternate between the datasets (ABBA), so a burst of load from
        # the rest of the machine lands on both sizes alike and the ratio stays honest.
        order = [args.small, args.cases]
        done = 0
        while done < args.iterations:
            block = min(BLOCK_ROUNDS, args.iterations - done)
            for size in order:
                workers[size].run(block)
            order.reverse()
            done += block
        results = {size: w.finish() for size, w in workers.items()}
    finally:
        for w in workers.values():
            w.kill()
    report(results[args.small], results[args.cases], args)
    print(f"done in {time.time() - started:.0f} s, {_machine()}")


BLOCK_ROUNDS = 10


@dataclass
class Worker:
    """One dataset's child process: prepares, warms up, then times rounds on request."""

    size: int
    process: subprocess.Popen
    out: str

    @classmethod
    def start(cls, size: int, args: argparse.Namespace, *, explain: bool) -> Worker:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            out = handle.name
        command = [sys.executable, "-u", __file__, "--worker", str(size), "--out", out]
        command += ["--warmup", str(args.warmup), "--only", args.only]
        command += ["--reseed"] if args.reseed else []
        command += ["--explain"] if explain and not args.no_explain else []
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        worker = cls(size, process, out)
        worker._until("READY")
        return worker

    def _until(self, token: str) -> None:
        """Pass the child's output through until it says ``token``."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip() == token:
                return
            print(line, end="", flush=True)
        raise SystemExit(
            f"the {_size_label(self.size)} worker stopped (exit {self.process.wait()})"
        )

    def _send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def run(self, rounds: int) -> None:
        self._send(f"run {rounds}")
        self._until("DONE")

    def finish(self) -> dict[str, Any]:
        self._send("finish")
        self._until("FINISHED")
        self.process.wait()
        result = json.loads(Path(self.out).read_text())
        os.unlink(self.out)
        return result

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()


def _machine() -> str:
    one, five, fifteen = os.getloadavg()
    return (
        f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores "
        f"at {time.strftime('%Y-%m-%d %H:%M:%S %Z')}"
    )


def report(small: dict[str, Any], large: dict[str, Any], args: argparse.Namespace) -> None:
    label_s, label_l = _size_label(args.small), _size_label(args.cases)
    print()
    print(
        f"whole-page server time, ms ({args.iterations} rounds after {args.warmup} warm-up; "
        f"load during {label_s}: {small['load']}, during {label_l}: {large['load']})"
    )
    header = (
        f"{'scenario':<40} {label_s + ' p50/p95':>15} {label_l + ' p50/p95':>15} "
        f"{'ratio p50/p95':>14} {'queries':>8} {'rows':>8} {label_l + ' cpu':>7}  verdict"
    )
    print(header)
    print("-" * len(header))
    misses = []
    for name, big in large["scenarios"].items():
        little = small["scenarios"].get(name)
        if little is None:
            continue
        ratio50 = big["p50"] / little["p50"]
        ratio95 = big["p95"] / little["p95"]
        verdict = []
        if big["p95"] >= P95_TARGET_MS:
            verdict.append(f"p95 >= {P95_TARGET_MS:.0f} ms")
        if ratio50 >= RATIO_TARGET:
            verdict.append(f"ratio >= {RATIO_TARGET}")
        if verdict:
            misses.append(name)
        print(
            f"{name:<40} {little['p50']:>7.1f}/{little['p95']:<7.1f} "
            f"{big['p50']:>7.1f}/{big['p95']:<7.1f} {ratio50:>6.2f}/{ratio95:<7.2f} "
            f"{little['queries']:>3}/{big['queries']:<4} {little['rows']:>3}/{big['rows']:<4} "
            f"{big['cpu50']:>7.1f}  {'MISS: ' + ', '.join(verdict) if verdict else 'ok'}"
        )
    print(
        f"targets: p95 < {P95_TARGET_MS:.0f} ms at {label_l}, {label_l}/{label_s} p50 ratio < "
        f"{RATIO_TARGET}; queries per page should not grow with the data (an N+1 would). "
        + (f"{len(misses)} scenario(s) miss." if misses else "All met.")
    )
    print(
        f"'{label_l} cpu' is this process's CPU time per page (p50): Python, templates and the "
        "driver, without PostgreSQL's own time or the wait for a free core under load."
    )


def _size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


# --- the worker: one dataset ------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    persona: str
    url: str


def worker(args: argparse.Namespace) -> None:
    """The child: prepare one dataset, warm up, then obey the parent's commands on stdin
    (``run N``: time N rounds; ``finish``: count queries, EXPLAIN, write the results)."""
    size = args.worker
    label = _size_label(size)
    seed.dataset_prepare(cases=size, reseed=args.reseed)
    scenarios = [s for s in scenarios_build() if args.only in s.name]
    clients = _clients({s.persona for s in scenarios})

    for scenario in scenarios:  # fail early and loudly on a broken page or an empty search
        response = clients[scenario.persona].get(scenario.url)
        if response.status_code != 200:
            raise SystemExit(f"{scenario.name}: {scenario.url} answered {response.status_code}")
        shown = response.content.decode().count('class="ref"')
        if scenario.name.startswith(MUST_FIND) and shown == 0:
            raise SystemExit(f"{scenario.name}: {scenario.url} found no case at {label}")

    print(f"[{label}] warming up ({args.warmup} rounds of {len(scenarios)} pages)")
    for _ in range(args.warmup):
        for scenario in scenarios:
            clients[scenario.persona].get(scenario.url)
    print("READY", flush=True)

    timings: dict[str, list[float]] = {s.name: [] for s in scenarios}
    cpu: dict[str, list[float]] = {s.name: [] for s in scenarios}
    loads: list[float] = []
    for command in sys.stdin:
        if command.strip() == "finish":
            break
        loads.append(os.getloadavg()[0])
        for _ in range(int(command.split()[1])):
            for scenario in scenarios:
                client = clients[scenario.persona]
                began, began_cpu = time.perf_counter(), time.process_time()
                client.get(scenario.url)
                timings[scenario.name].append((time.perf_counter() - began) * 1000)
                cpu[scenario.name].append((time.process_time() - began_cpu) * 1000)
        print("DONE", flush=True)

    rounds = len(next(iter(timings.values())))
    print(f"[{label}] {rounds} rounds, load average (1 min) {min(loads):.1f}-{max(loads):.1f}")
    results: dict[str, Any] = {}
    explained: list[tuple[Scenario, list[str]]] = []
    for scenario in scenarios:
        queries, rows = _captured(clients[scenario.persona], scenario.url)
        cuts = statistics.quantiles(timings[scenario.name], n=100, method="inclusive")
        cpu_cuts = statistics.quantiles(cpu[scenario.name], n=100, method="inclusive")
        cpu50, cpu95 = cpu_cuts[49], cpu_cuts[94]
        results[scenario.name] = {
            "p50": cuts[49],
            "p95": cuts[94],
            "cpu50": cpu50,
            "cpu95": cpu95,
            "queries": len(queries),
            "rows": rows,
        }
        print(
            f"[{label}] {scenario.name:<40} p50 {cuts[49]:6.1f} ms  p95 {cuts[94]:6.1f} ms  "
            f"(CPU p50/p95 {cpu50:5.1f}/{cpu95:5.1f} ms)  {len(queries)} queries  {rows} rows"
        )
        explained.append((scenario, queries))
    if args.explain:
        explain_report(explained, label)
    Path(args.out).write_text(
        json.dumps({"scenarios": results, "load": f"{min(loads):.1f}-{max(loads):.1f}"})
    )
    print("FINISHED", flush=True)


def scenarios_build() -> list[Scenario]:
    """The pages, with data picked from the dataset the same way at every size."""
    from django.urls import reverse

    from cases.models import OPEN_STATUSES, Case, Target
    from portal.accounts.models import Team

    americas = Team.objects.get(slug="americas")
    queue = reverse("cases:queue")

    def q(**params: str) -> str:
        return f"{queue}?{urlencode(params)}"

    # The case a responder opens first: the top of the Americas queue.
    first = (
        Case.objects.filter(team=americas, status__in=OPEN_STATUSES, next_due_at__isnull=False)
        .order_by("next_due_at", "pk")
        .first()
    )
    # A case naming a shared RFC 5737 address: "also requested by" has many rows.
    shared_ip = (
        Target.objects.filter(
            case__team=americas, case__status__in=OPEN_STATUSES, normalised__startswith="192.0.2."
        )
        .order_by("case_id")
        .first()
    )
    # Search terms taken from visible cases: an e-mail typed in another case than stored,
    # a phone number typed as people write it, part of a username.
    email = (
        Target.objects.filter(case__team=americas, kind="email", value__regex="[A-Z]")
        .order_by("-case_id")
        .first()
    )
    phone = Target.objects.filter(case__team=americas, kind="phone").order_by("-case_id").first()
    username = (
        Target.objects.filter(case__team=americas, kind="username", normalised__regex="_.*[0-9]")
        .order_by("-case_id")
        .first()
    )
    assert first and shared_ip and email and phone and username, "dataset without data"
    national = phone.normalised  # +1NPA55501XX -> (NPA) 555-01XX
    phone_typed = f"({national[2:5]}) {national[5:8]}-{national[8:]}"
    fragment = _fragment_filling_a_page(username.normalised, americas)
    email_part = email.normalised.split("@")[0][:8]  # the start of the local part, as heard
    reference = first.reference

    responder, supervisor, analyst = seed.RESPONDER, seed.SUPERVISOR, seed.ANALYST
    return [
        Scenario("queue: all (responder)", responder, queue),
        Scenario("queue: mine (responder)", responder, q(tab="mine")),
        Scenario("queue: unassigned (responder)", responder, q(tab="unassigned")),
        Scenario("queue: emergency (responder)", responder, q(tab="emergency")),
        Scenario("queue: due in 48 h (responder)", responder, q(tab="due_48h")),
        Scenario("queue: overdue (responder)", responder, q(tab="overdue")),
        Scenario("queue: all (supervisor, 2 teams)", supervisor, queue),
        Scenario("queue: unassigned (supervisor, 2 teams)", supervisor, q(tab="unassigned")),
        Scenario("queue: overdue (supervisor, 2 teams)", supervisor, q(tab="overdue")),
        Scenario("queue: all (child-safety analyst)", analyst, queue),
        Scenario("queue: page 10 (responder)", responder, q(page="10")),
        Scenario("case page", responder, reverse("cases:detail", args=[reference])),
        Scenario(
            "case page (shared IP, many others)",
            responder,
            reverse("cases:detail", args=[shared_ip.case.reference]),
        ),
        Scenario("search: reference", responder, q(q=reference)),
        Scenario("search: target exact (e-mail)", responder, q(q=email.value.upper())),
        Scenario("search: target exact (phone)", responder, q(q=f"+1 {phone_typed}")),
        Scenario("search: phone as typed, national", responder, q(q=phone_typed)),
        Scenario("search: target substring", responder, q(q=fragment)),
        Scenario("search: part of an e-mail", responder, q(q=email_part)),
        Scenario("search: agency word, lowercase", responder, q(q="sheriff")),
    ]


def _fragment_filling_a_page(username: str, team: Any) -> str:
    """Part of a username ("amber_fal" of "amber_falcon1234") that lists a full page.

    The fragment is the first word, the separator and as much of the noun as still matches
    more cases than a page shows, picked anew at each size: a fixed length lists 47 cases at
    1M and one at 10k, and the ratio would compare rendering 47 rows with rendering one.
    """
    from cases.models import Target

    word, _, noun = username.partition("_")
    for length in range(len(noun), -1, -1):
        fragment = f"{word}_{noun[:length]}"
        matched = (
            Target.objects.filter(case__team=team, normalised__contains=fragment)
            .values("case_id")
            .distinct()[:PAGE_FULL]
            .count()
        )
        if matched >= PAGE_FULL:
            return fragment
    return f"{word}_"


# More cases than the queue's page of 50, so that the page is full.
PAGE_FULL = 60


# Scenarios that must list at least one case: a search that finds nothing times an empty
# page, which says nothing about the cost of showing what was found.
MUST_FIND = "search:"


def _clients(usernames: set[str]) -> dict[str, Any]:
    from portal.accounts.models import User
    from tests.factories import verified_client

    return {name: verified_client(User.objects.get(username=name)) for name in usernames}


def _captured(client: Any, url: str) -> tuple[list[str], int]:
    """The SQL one request runs, and how many cases the page lists."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    html = response.content.decode()
    rows = html.count('class="ref"')
    return [q["sql"] for q in context.captured_queries], rows


# --- EXPLAIN -----------------------------------------------------------------------------------


def explain_report(explained: list[tuple[Scenario, list[str]]], label: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT on a cases_ table, one line per plan."""
    from django.db import connection

    print()
    print(f"EXPLAIN (ANALYZE, BUFFERS) of the pages' queries on cases_* tables at {label}")
    print("(time = execution time; '!!' marks a sequential scan or a big sort of a large table)")
    for scenario, queries in explained:
        relevant = [
            sql
            for sql in queries
            if sql.lstrip().upper().startswith("SELECT")
            and '"cases_' in sql
            and "FOR UPDATE" not in sql.upper()
        ]
        print(f"\n{scenario.name}: {len(queries)} queries, {len(relevant)} on cases tables")
        for sql in relevant:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
                (plan_doc,) = cursor.fetchone()
            plan_doc = plan_doc if isinstance(plan_doc, list) else json.loads(plan_doc)
            top = plan_doc[0]
            plan = top["Plan"]
            nodes: list[str] = []
            warnings: list[str] = []
            _walk(plan, nodes, warnings)
            shared = (
                f"hit {plan.get('Shared Hit Blocks', 0)} read {plan.get('Shared Read Blocks', 0)}"
            )
            flag = "!!" if warnings else "  "
            print(
                f"  {flag}{top['Execution Time']:7.2f} ms  rows {plan.get('Actual Rows', 0):<5} "
                f"buffers {shared:<18} {' > '.join(nodes)}"
            )
            for warning in warnings:
                print(f"      !! {warning}")
            print(f"      {_short_sql(sql)}")


def _walk(node: dict[str, Any], nodes: list[str], warnings: list[str]) -> None:
    kind = node["Node Type"]
    relation = node.get("Relation Name", "")
    index = node.get("Index Name", "")
    loops = node.get("Actual Loops", 1)
    rows = node.get("Actual Rows", 0) * loops
    label = kind
    if index:
        label += f" {index}"
    elif relation:
        label += f" {relation}"
    removed = node.get("Rows Removed by Filter", 0) * loops
    if removed:
        label += f" (-{removed:,} filtered)"
    if kind in {"Sort", "Incremental Sort"}:
        label += f" ({node.get('Plans', [{}])[0].get('Actual Rows', 0):,} rows)"
    if loops > 1:
        label += f" x{loops}"
    nodes.append(label)
    if kind == "Seq Scan" and relation in BIG_TABLES and (rows + removed) > 1000:
        warnings.append(f"Seq Scan on {relation}: {rows + removed:,} rows read")
    if removed > 10_000:
        warnings.append(f"{removed:,} rows read and thrown away by a filter on {relation or kind}")
    if kind == "Sort":
        sorted_rows = node.get("Plans", [{}])[0].get("Actual Rows", 0)
        if sorted_rows > 10_000:
            warnings.append(f"Sort of {sorted_rows:,} rows")
    for child in node.get("Plans", []):
        _walk(child, nodes, warnings)


def _short_sql(sql: str) -> str:
    """The first table and the conditions (column lists say nothing), on one line, clipped."""
    text = " ".join(sql.split())
    table = re.search(r' FROM ("[a-z_]+")', text)
    where = text.find(" WHERE ")
    if table and where > 0:
        text = f"FROM {table.group(1)} …{text[where:]}"
    return text if len(text) <= 300 else text[:297] + "…"


if __name__ == "__main__":
    main()
