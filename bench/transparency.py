"""Transparency bench (issue 15): the half-year report, the DSA figures and the dashboard
over the 1,000,000-case bench dataset (bench/seed.py; one legal process per case).

    .venv/bin/python bench/transparency.py [--cases 1000000] [--runs 7] [--reseed]

Prints, for the last complete half-year (median and worst of ``--runs``, after one
warm-up) and once for the whole history (every request in the database), the time to
compute the law-enforcement request figures and the DSA section; the dashboard's
p50/p95 for the bench supervisor (two teams); the row counts and the load average
(the machine is shared).
Targets: report and DSA under 1 s each. CPU = this process plus its PostgreSQL backend
(read from /proc): what a run costs when it has a core to itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed


def _backend_cpu() -> float:
    """CPU seconds the PostgreSQL backend of this connection has used (it runs on this
    machine): on a shared machine wall time mostly measures the queue for a core, CPU
    time what the query costs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(fn: Any, runs: int) -> tuple[float, float, float, Any]:
    """Median and worst wall time, and median CPU (server + this process) per run."""
    result = fn()  # warm-up: plans, caches
    times, cpus = [], []
    for _i in range(runs):
        cpu0, started, server0 = time.process_time(), time.perf_counter(), _backend_cpu()
        result = fn()
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu0 + _backend_cpu() - server0)
    return statistics.median(times), max(times), statistics.median(cpus), result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dashboard-runs", type=int, default=40)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    seed.dataset_prepare(cases=args.cases, reseed=args.reseed)

    from django.db import connection

    from cases.models import LegalProcess
    from portal.accounts.models import User
    from reports.transparency.dashboard import dashboard_for
    from reports.transparency.dsa import dsa_figures
    from reports.transparency.figures import ReportOptions, le_request_figures
    from reports.transparency.outcomes import case_outcomes_backfill
    from reports.transparency.periods import Period, period_current_default

    started = time.perf_counter()
    added = case_outcomes_backfill()  # the seed writes cases around the workflow's effect
    if added:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE transparency_caseoutcome")
        print(
            f"case outcomes filled from the timeline: {added:,} "
            f"in {time.perf_counter() - started:.1f} s"
        )
    half = period_current_default()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(received_at), max(received_at), count(*) FROM cases_legalprocess"
        )
        first, last, total = cursor.fetchone()
    everything = Period(first.date(), last.date(), "all", half.time_zone)
    in_half = LegalProcess.objects.filter(
        received_at__gte=half.start, received_at__lt=half.end
    ).count()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"legal processes: {total:,} in all, {in_half:,} in {half.label}")
    options = ReportOptions(band_below=0, other_below=10)
    print(f"{'figure':<34} {'median':>9} {'worst':>9} {'CPU':>9}  rows", flush=True)
    for label, period, runs in ((half.label, half, args.runs), ("all history", everything, 1)):
        for name, fn, count in (
            (
                "request report",
                lambda p=period: le_request_figures(period=p, options=options),
                "requests",
            ),
            ("DSA orders", lambda p=period: dsa_figures(period=p), "orders"),
        ):
            med, worst, cpu, result = _timed(fn, runs)
            n = result["totals"]["requests"] if count == "requests" else result["total_orders"]
            flag = "" if med < 1.0 else "  (over the 1 s target)"
            print(
                f"{name + ', ' + label:<34} {med * 1000:>7.0f} ms {worst * 1000:>7.0f} ms "
                f"{cpu * 1000:>7.0f} ms  "
                f"{n:,} {count}{flag}",
                flush=True,
            )

    supervisor = User.objects.get(username=seed.SUPERVISOR)
    times, cpus = [], []
    dashboard_for(supervisor)
    for _i in range(args.dashboard_runs):
        cpu0, started, server0 = time.process_time(), time.perf_counter(), _backend_cpu()
        dashboard_for(supervisor)
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu0 + _backend_cpu() - server0)
    print(
        f"dashboard ({seed.SUPERVISOR}, {args.dashboard_runs} runs): "
        f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {_p95(times) * 1000:.0f} ms, "
        f"CPU p50 {statistics.median(cpus) * 1000:.0f} ms, p95 {_p95(cpus) * 1000:.0f} ms"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
