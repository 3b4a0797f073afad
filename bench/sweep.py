"""Bench: the reminder sweep's cost per tick, and the throughput of sending reminders.

Two questions, each in its own database on the ``DATABASE_URL`` server (default: the
machine's PostgreSQL), filled with set-based SQL (``INSERT ... SELECT generate_series``):

1. *A tick with nothing due*, at 10,000 and at 1,000,000 open deadlines (plus as many met
   ones): the sweep runs every minute, so its idle cost must not grow with the table.
   Measured: the claim query alone (server time from ``EXPLAIN ANALYZE`` and round trip
   from Python) and the whole task body (``reminders_sweep()``: claim + heartbeat).
   Targets: under 50 ms per tick, ratio 1M / 10k under 1.5; the claim about 0.2 ms.
2. *Sending 10,000 due reminders* (10,000 deadlines whose 2-day step is due, each case
   assigned to one of 20 responders), to Django's file e-mail backend. Measured twice:
   the sweep alone in this process (record, notify, queue the e-mails on commit), and end
   to end as deployed: one ``reminders_sweep`` message to a real Celery worker pool
   (``--workers``, default 4 processes) on Redis, timed until the last e-mail is written.
   Target: >= 500 reminders per second.

Usage::

    .venv/bin/python bench/sweep.py                 # both, sizes 10k and 1M
    .venv/bin/python bench/sweep.py --sizes 10000   # quicker
    .venv/bin/python bench/sweep.py --reseed        # rebuild the databases

Redis: ``CELERY_BROKER_URL`` if it names Redis, else ``redis://127.0.0.1:6379/14``; without
a Redis server the end-to-end part is skipped (the in-process figures remain).

Databases: ``liaison_bench_sweep_<n>`` (kept and reused; their clocks are moved so nothing
is due) and ``liaison_bench_sweep_send`` (its deadlines rebuilt on every run). Database
plumbing (server URL, create, Django setup) comes from ``bench/seed.py``. Each dataset is
measured in a child process, because Django is set up once per process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import seed  # noqa: E402  (needs ROOT on the path)

STAFF = 20
SEED_VERSION = 2  # bump when the seeded shape changes: old databases are rebuilt
TICKS = 60
CLAIMS = 200


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# --- datasets ----------------------------------------------------------------------------


def _prepare(name: str, *, reseed: bool) -> bool:
    """Create (or reuse) the database ``name``, set Django up on it, migrate; True if new."""
    os.environ["CELERY_BROKER_URL"] = "memory://"  # deliveries are queued, not consumed
    fresh = reseed or not seed.database_exists(name)
    if fresh:
        seed.database_create(name, drop=True)
    seed.django_setup(seed.database_url(name))
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return fresh


def _people() -> tuple[int, list[int]]:
    """One team and its responders (with e-mail addresses), through the ORM."""
    from django.contrib.auth.models import Group

    from portal.accounts.models import Team, User
    from portal.accounts.roles import Role

    team, _ = Team.objects.get_or_create(slug="bench-sweep", defaults={"name": "Bench sweep"})
    group = Group.objects.get(name=Role.RESPONDER)
    ids = []
    for i in range(STAFF):
        user, created = User.objects.get_or_create(
            username=f"bench.sweep.{i:02d}",
            defaults={"email": f"bench.sweep.{i:02d}@provider.example.com"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(group)
            team.members.add(user)
        ids.append(user.pk)
    return team.pk, ids


_SQL_CASES = """
INSERT INTO cases_case (reference, case_type, status, priority, emergency, received_via,
    summary, user_notice_status, user_notice_withheld_reason, user_notice_note,
    next_due_at, status_changed_at, created_at, updated_at, team_id, assignee_id)
SELECT 'LR-2026-' || lpad((%(offset)s + g)::text, 7, '0'), 'request', 'triage', 3, false,
    'email', '', 'pending', '', '', NULL, now(), now(), now(), %(team)s,
    (%(staff)s::bigint[])[1 + g %% %(n_staff)s]
FROM generate_series(1, %(cases)s) AS g
"""

# ``open`` deadlines: due 8 to 98 days ahead, so the next step (7 days before) is at least a
# day away: nothing is due. As many ``met`` ones, as a live table holds history.
_SQL_DEADLINES = """
INSERT INTO cases_deadline (case_id, process_id, kind, due_at, rule_id, citation,
    explanation, explanation_params, needs_legal_review, status, closed_at,
    original_due_at, overridden_by_id, overridden_at, override_reason, next_reminder_at,
    next_reminder_step, reminders_sent, created_at, updated_at)
SELECT c.id, NULL, 'response', d.due_at, 'us.subpoena', '18 USC 2703(c)(2)',
    'Seeded for the benchmark.', '{}'::jsonb, false, d.status,
    CASE WHEN d.status = 'met' THEN now() END, NULL, NULL, NULL, '',
    CASE WHEN d.status = 'open' THEN d.due_at - interval '7 days' END,
    CASE WHEN d.status = 'open' THEN '7d' ELSE '' END, 0, now(), now()
FROM generate_series(1, %(deadlines)s) AS g
JOIN cases_case c ON c.id = %(first_case)s + (g %% %(cases)s)
CROSS JOIN LATERAL (
    VALUES (now() + interval '8 days' + ((g::bigint * 2654435761) %% 7776000) * interval '1 second',
            'open'),
           (now() - ((g::bigint * 40503) %% 31536000) * interval '1 second', 'met')
) AS d(due_at, status)
"""


def _seed_idle(deadlines: int, log: Any) -> None:
    from django.db import connection

    team, staff = _people()
    cases = max(1, deadlines // 4)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers for the load
        cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        first_case = cursor.fetchone()[0] + 1
        cursor.execute(
            _SQL_CASES,
            {"offset": 0, "team": team, "staff": staff, "n_staff": len(staff), "cases": cases},
        )
        cursor.execute(
            _SQL_DEADLINES, {"deadlines": deadlines, "first_case": first_case, "cases": cases}
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("VACUUM (ANALYZE) cases_case")
        cursor.execute("VACUUM (ANALYZE) cases_deadline")
        cursor.execute(
            "CREATE TABLE bench_sweep_meta (deadlines integer, version integer, "
            "seeded_at timestamptz)"
        )
        cursor.execute(
            "INSERT INTO bench_sweep_meta VALUES (%s, %s, now())", [deadlines, SEED_VERSION]
        )
    took = time.perf_counter() - started
    log(f"seeded {deadlines:,} open + {deadlines:,} met deadlines in {took:.0f} s")


def _meta() -> tuple[int, int] | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_sweep_meta')")
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute("SELECT deadlines, version FROM bench_sweep_meta")
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def _nothing_due_guarantee() -> str:
    """Move the open deadlines' clocks if the seed is old enough for steps to be due."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(next_reminder_at) - now() FROM cases_deadline WHERE status = 'open'"
        )
        (ahead,) = cursor.fetchone()
        if ahead.total_seconds() > 3600:
            return "clocks as seeded"
        cursor.execute(
            "UPDATE cases_deadline SET due_at = due_at + (now() - s.seeded_at), "
            "next_reminder_at = next_reminder_at + (now() - s.seeded_at) "
            "FROM bench_sweep_meta s WHERE status = 'open'"
        )
        cursor.execute("UPDATE bench_sweep_meta SET seeded_at = now()")
        cursor.execute("VACUUM (ANALYZE) cases_deadline")
    return "clocks moved to now"


# --- measurements --------------------------------------------------------------------------


def _claim_sql() -> tuple[str, list[Any]]:
    """The sweep's own claim query (``deadlines_due``), as SQL with its parameters."""
    from django.db import transaction
    from django.utils import timezone

    from cases.reminders.sweep import deadlines_due

    with transaction.atomic():  # Django compiles FOR UPDATE only inside a transaction
        sql, params = deadlines_due(now=timezone.now())[:50].query.sql_with_params()
    return sql, list(params)


def _measure_idle(deadlines: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from cases.reminders.sweep import deadlines_claim, reminders_sweep

    sql, params = _claim_sql()
    server_times = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_deadline WHERE status = 'open'")
        open_rows = cursor.fetchone()[0]
        for _ in range(5):  # warm the index pages
            cursor.execute(sql, params)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for _ in range(CLAIMS):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            server_times.append(cursor.fetchone()[0][0]["Execution Time"] / 1000)
    claim_times = []
    for _ in range(CLAIMS):
        started = time.perf_counter()
        with transaction.atomic():
            claimed = deadlines_claim(now=timezone.now(), limit=50)
        claim_times.append(time.perf_counter() - started)
        assert not claimed, "the bench expects nothing due"
    tick_times = []
    for _ in range(TICKS):
        started = time.perf_counter()
        result = reminders_sweep()
        tick_times.append(time.perf_counter() - started)
        assert result.claimed == 0
    return {
        "open_deadlines": open_rows,
        "claim_server_ms": statistics.median(server_times) * 1000,
        "claim_roundtrip_ms": statistics.median(claim_times) * 1000,
        "tick_ms": statistics.median(tick_times) * 1000,
        "tick_p95_ms": sorted(tick_times)[int(len(tick_times) * 0.95)] * 1000,
        "index_used": "cases_deadline_reminder_due" in plan,
        "plan": plan,
    }


def child_idle(deadlines: int, reseed: bool) -> dict[str, Any]:
    name = f"liaison_bench_sweep_{deadlines}"
    log = lambda line: print(f"[{name}] {line}", file=sys.stderr, flush=True)  # noqa: E731
    fresh = _prepare(name, reseed=reseed)
    meta = None if fresh else _meta()
    if meta != (deadlines, SEED_VERSION):
        if not fresh:
            from django.db import connection

            connection.close()
            seed.database_create(name, drop=True)
            _prepare(name, reseed=False)
        _seed_idle(deadlines, log)
    else:
        log(f"reusing the seeded database ({_nothing_due_guarantee()})")
    return _measure_idle(deadlines)


_SQL_DUE = """
INSERT INTO cases_deadline (case_id, process_id, kind, due_at, rule_id, citation,
    explanation, explanation_params, needs_legal_review, status, closed_at,
    original_due_at, overridden_by_id, overridden_at, override_reason, next_reminder_at,
    next_reminder_step, reminders_sent, created_at, updated_at)
SELECT c.id, NULL, 'response', now() + interval '2 days' - interval '1 minute',
    'us.subpoena', '18 USC 2703(c)(2)', 'Seeded for the benchmark.', '{}'::jsonb, false,
    'open', NULL, NULL, NULL, NULL, '', now() - interval '1 minute', '2d', 0, now(), now()
FROM cases_case c
"""


def _send_dataset(count: int) -> None:
    """``count`` due deadlines on cases of 20 responders; everything else emptied."""
    from django.db import connection

    team, staff = _people()
    with connection.cursor() as cursor:
        # a clean slate every run (access events are append-only and simply accumulate)
        cursor.execute(
            "TRUNCATE cases_reminder, notifications_delivery, notifications_notification, "
            "cases_deadline, cases_case CASCADE"
        )
        cursor.execute(
            _SQL_CASES,
            {"offset": 0, "team": team, "staff": staff, "n_staff": len(staff), "cases": count},
        )
        cursor.execute(_SQL_DUE)
        cursor.execute("VACUUM (ANALYZE) cases_case")
        cursor.execute("VACUUM (ANALYZE) cases_deadline")


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes, from /proc (Linux), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _pool_pids(main: int) -> list[int]:
    """The worker's main process and its pool children."""
    pids = [main]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == main:  # ppid
            pids.append(int(stat.parent.name))
    return pids


def _backend_pids() -> list[int]:
    """PostgreSQL backends serving this database, except this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _broker_url() -> str | None:
    """A Redis broker for the worker pool, or None when there is none to reach."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis"):
        url = "redis://127.0.0.1:6379/14"
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.ping()
        client.delete("celery")  # this bench's own database number: drop any leftovers
    except Exception:
        return None
    return url


def _end_to_end(count: int, workers: int, name: str) -> dict[str, Any] | None:
    """One sweep message to a real worker pool; seconds until every e-mail is written."""
    broker = _broker_url()
    if broker is None:
        return None
    from django.db import connection

    from portal.notifications.models import Delivery

    var_dir = Path(tempfile.mkdtemp(prefix="liaison-bench-var-"))
    log = (var_dir / "worker.log").open("wb")
    env = {
        **os.environ,
        "DATABASE_URL": seed.database_url(name),
        "CELERY_BROKER_URL": broker,
        "LIAISON_VAR_DIR": str(var_dir),  # the file backend writes to <var>/mail
        "EMAIL_URL": "",
        "DEBUG": "0",
        "LIAISON_WEBHOOK_URL": "",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal.celery", "worker", "--pool=prefork",
         f"--concurrency={workers}", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        time.sleep(6)  # the pool's processes import Django
        if worker.poll() is not None:
            raise SystemExit(f"worker exited: see {var_dir / 'worker.log'}")
        _send_dataset(count)
        connection.close()
        import celery

        # Celery prefers the environment's CELERY_BROKER_URL (memory:// in this process)
        os.environ["CELERY_BROKER_URL"] = broker
        app = celery.Celery(broker=broker)
        pool = _pool_pids(worker.pid)
        cpu_before = _cpu_seconds(pool)
        started = time.perf_counter()
        app.send_task("cases.tasks.reminders_sweep")
        backends: dict[int, float] = {}  # CPU seen per backend (they may close any time)
        while True:
            time.sleep(0.2)
            for pid in _backend_pids():
                backends[pid] = max(backends.get(pid, 0.0), _cpu_seconds([pid]))
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT (SELECT count(*) FROM cases_reminder), "
                    "(SELECT count(*) FROM notifications_delivery WHERE status = %s)",
                    [Delivery.Status.SENT],
                )
                reminders, sent = cursor.fetchone()
            if sent >= count and reminders >= count:
                break
            if time.perf_counter() - started > 900:
                raise SystemExit(f"end to end: only {sent} of {count} sent after 15 minutes")
        elapsed = time.perf_counter() - started
        worker_cpu = _cpu_seconds(pool) - cpu_before
        database_cpu = sum(backends.values())  # the backends serving this run's workers
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    files = len(list((var_dir / "mail").glob("*.log")))
    shutil.rmtree(var_dir, ignore_errors=True)
    return {
        "workers": workers,
        "e2e_s": elapsed,
        "e2e_per_s": count / elapsed,
        "e2e_mail_files": files,
        "worker_cpu_s": worker_cpu,
        "database_cpu_s": database_cpu,
    }


def child_send(count: int, reseed: bool, workers: int) -> dict[str, Any]:
    """Send ``count`` due reminders: the sweep alone in process, then end to end."""
    name = "liaison_bench_sweep_send"
    outbox = Path(tempfile.mkdtemp(prefix="liaison-bench-mail-"))
    os.environ["EMAIL_URL"] = ""
    _prepare(name, reseed=reseed)
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(outbox)
    settings.LIAISON_REMINDER_SWEEP_BUDGET_SECONDS = 3600
    settings.LIAISON_WEBHOOK_URL = ""
    from portal.notifications.models import Delivery
    from portal.notifications.services import (
        EMAIL_BATCH_SIZE,
        deliveries_attempt,
        delivery_attempt,
    )

    _send_dataset(count)
    from cases.reminders.sweep import reminders_sweep

    started = time.perf_counter()
    result = reminders_sweep()
    sweep_seconds = time.perf_counter() - started
    ids = list(
        Delivery.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True)
    )
    single, batched = ids[:500], ids[500:]
    started = time.perf_counter()
    sent = sum(delivery_attempt(delivery_id=pk) == "sent" for pk in single)
    single_rate = sent / (time.perf_counter() - started)
    started = time.perf_counter()
    sent = 0
    for start in range(0, len(batched), EMAIL_BATCH_SIZE):
        chunk = batched[start : start + EMAIL_BATCH_SIZE]
        sent += deliveries_attempt(delivery_ids=chunk)["sent"]
    batch_rate = sent / (time.perf_counter() - started)
    shutil.rmtree(outbox, ignore_errors=True)
    measured = {
        "reminders": result.reminders,
        "notifications": result.notifications,
        "sweep_s": sweep_seconds,
        "sweep_per_s": result.reminders / sweep_seconds,
        "deliver_single_per_s": single_rate,
        "deliver_batch_per_s": batch_rate,
        "deliver_batch_count": sent,
        "in_process_per_s": 1 / (1 / (result.reminders / sweep_seconds) + 1 / batch_rate),
    }
    end_to_end = _end_to_end(count, workers, name)
    if end_to_end:
        measured.update(end_to_end)
    return measured


# --- the driver ----------------------------------------------------------------------------


def _child(args: list[str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT
    )
    sys.stderr.write(completed.stderr)
    if completed.returncode != 0:
        raise SystemExit(f"child {args} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--send", type=int, default=10_000)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--child-idle", type=int)
    parser.add_argument("--child-send", type=int)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if args.child_idle:
        print(json.dumps(child_idle(args.child_idle, args.reseed)))
        return
    if args.child_send:
        print(json.dumps(child_send(args.child_send, args.reseed, args.workers)))
        return

    print(f"load before: {_uptime()}")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    idle: dict[int, dict[str, Any]] = {}
    for size in sizes:
        idle[size] = _child(["--child-idle", str(size)] + (["--reseed"] if args.reseed else []))
    print()
    print("Sweep tick with nothing due (median of runs)")
    header = ("open deadlines", "claim (server)", "claim (Python)", "tick", "tick p95")
    print("{:>15} {:>15} {:>15} {:>10} {:>10}  index".format(*header))
    for row in idle.values():
        print(
            f"{row['open_deadlines']:>15,} {_ms(row['claim_server_ms'] / 1000):>15} "
            f"{_ms(row['claim_roundtrip_ms'] / 1000):>15} {_ms(row['tick_ms'] / 1000):>10} "
            f"{_ms(row['tick_p95_ms'] / 1000):>10}  {'yes' if row['index_used'] else 'NO'}"
        )
    if len(sizes) >= 2:
        small, large = idle[sizes[0]], idle[sizes[-1]]
        ratio = large["tick_ms"] / small["tick_ms"]
        claim_ratio = large["claim_server_ms"] / small["claim_server_ms"]
        verdict = "ok" if ratio < 1.5 and large["tick_ms"] < 50 else "MISSED"
        print(
            f"ratio {sizes[-1]:,} / {sizes[0]:,}: tick {ratio:.2f}, claim {claim_ratio:.2f} "
            f"(targets: tick < 50 ms, ratio < 1.5): {verdict}"
        )
        print()
        print(f"claim plan at {sizes[-1]:,}:")
        print("  " + large["plan"].replace("\n", "\n  "))
    if args.send:
        send = _child(["--child-send", str(args.send), "--workers", str(args.workers)])
        print()
        print(f"Sending {args.send:,} due reminders to the file e-mail backend")
        print(
            f"  sweep alone, one process (record + notify + queue on commit): "
            f"{send['reminders']:,} in {send['sweep_s']:.1f} s = {send['sweep_per_s']:.0f}/s"
        )
        print(
            f"  e-mail delivery alone, one process: one task per e-mail "
            f"{send['deliver_single_per_s']:.0f}/s (500 of them); in chunks of 50 over one "
            f"connection {send['deliver_batch_per_s']:.0f}/s ({send['deliver_batch_count']:,})"
        )
        print(f"  sweep then chunked delivery, one process: {send['in_process_per_s']:.0f}/s")
        if "e2e_per_s" in send:
            verdict = "ok" if send["e2e_per_s"] >= 500 else "MISSED"
            print(
                f"  end to end, Celery worker pool of {send['workers']} on Redis: "
                f"{args.send:,} in {send['e2e_s']:.1f} s = {send['e2e_per_s']:.0f}/s "
                f"(target >= 500/s): {verdict}"
            )
            cpu_ms = (send["worker_cpu_s"] + send["database_cpu_s"]) * 1000 / args.send
            print(
                f"  CPU spent: workers {send['worker_cpu_s']:.1f} s + PostgreSQL "
                f"{send['database_cpu_s']:.1f} s = {cpu_ms:.2f} ms per reminder, i.e. about "
                f"{2000 / cpu_ms:.0f}/s if two cores were ours alone (this machine: "
                f"{os.cpu_count()} cores, shared)"
            )
        else:
            print("  end to end: skipped (no Redis server reachable)")
    print()
    print(f"load after: {_uptime()}")


if __name__ == "__main__":
    main()
