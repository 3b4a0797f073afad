"""``make soak``: 200 officers against gunicorn for 60 s, with faults injected (issue 18, item 6).

    .venv/bin/python bench/soak.py            # the whole soak, about 2 minutes
    .venv/bin/python bench/soak.py --clients 20 --seconds 20   # a quick look

Everything runs on loopback and belongs to the soak, under ``var/soak/`` (wiped first):
its own PostgreSQL (the binaries pgserver ships, own data directory and port), its own
``redis-server`` (broker and cache; append-only file as deploy/compose.yaml), gunicorn with
``deploy/gunicorn.conf.py`` (2 gthread workers), one Celery worker under a supervisor loop
that restarts it, Celery beat, the NCMEC test server and a webhook receiver (in-process).

1. Setup: migrate (as the owner role; the portal runs as ``liaison_app``), seed 200
   officers in 10 agencies with a read+submit token each, a responder with deadlines whose
   reminder falls due during the load, and 16 CyberTipline drafts ready to file.
2. Load: every officer submits (multipart, a small PDF, an ``Idempotency-Key``), polls
   (list + detail) and posts messages, with no pause, for ``--seconds``. Meanwhile: half
   the CyberTipline drafts are queued, PostgreSQL is restarted, Redis is restarted, a
   gunicorn worker is SIGKILLed, the NCMEC test server answers 503 for 12 s while the
   other half is queued, and the Celery worker is SIGKILLed while their retries wait in
   it. Beat runs the reminder sweep every 2 s and the redrives every 5 s (CyberTipline
   filings count as lost after 20 s here, 15 min in production), so sweeps overlap faults.
3. Drain, then check (bench/soak_checks.py): no 5xx but clean 503s, and those and
   connection errors only during a fault; every submission tried accepted and in the
   database under the reference the client got; every reminder's webhook received exactly
   once; every queued CyberTipline report finished at NCMEC exactly once; the access log's
   chain verifies (``verify_audit_log``). Exit 1 on any loss.

A hard timeout (``--timeout``, 360 s) ends the run; every exit path (normal, exception,
SIGINT/SIGTERM, the timeout) kills what the soak started and checks nothing is left.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import faulthandler
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

from soak_checks import (  # noqa: E402
    LoadStats,
    Window,
    exactly_once,
    fault_answers_by_window,
    fault_answers_outside,
    latency_rows,
    submissions_lost,
)
from soak_services import (  # noqa: E402
    VAR,
    Owned,
    Postgres,
    Redis,
    Webhooks,
    free_port,
    supervise,
    wait_for,
)

PYTHON = str(ROOT / ".venv" / "bin" / "python")
CHILD_SETTINGS = "LIAISON_SOAK_CHILD_SETTINGS"
REMINDER_LEAD = timedelta(minutes=60)
# The workers' settings: reminder and delivery timings in seconds rather than hours, so
# that what is due during the run is sent during it (the values tests/cases use).
FAST = {
    "LIAISON_DELIVERY_RETRY_BACKOFF": 1,
    "LIAISON_DELIVERY_RETRY_JITTER": False,
    "LIAISON_DELIVERY_LEASE_SECONDS": 10,
    "LIAISON_DELIVERY_REDRIVE_GRACE_SECONDS": 5,
    "LIAISON_BUSINESS_TIME_ZONE": "UTC",
}
BEAT = {
    "reminders-sweep": {"task": "cases.tasks.reminders_sweep", "schedule": 2.0},
    "redrive": {"task": "portal.notifications.tasks.deliveries_redrive", "schedule": 5.0},
    "audit-seal": {"task": "portal.audit.tasks.audit_chain_seal", "schedule": 5.0},
    "cybertip-redrive": {"task": "reports.cybertip.tasks.cybertip_redrive", "schedule": 5.0},
}
for _entry in BEAT.values():
    _entry["options"] = {"expires": 10}


def child(kind: str) -> None:
    """Inside a Celery worker or beat of the soak: the fast settings, then run."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.conf import settings

    for key, value in json.loads(os.environ[CHILD_SETTINGS]).items():
        setattr(settings, key, value)
    import django

    django.setup()
    from portal.celery import app

    if kind == "worker":
        app.worker_main(["worker", "--loglevel=INFO", "--concurrency=2", "--pool=prefork",
                         "-n", "soak@%h", "--without-gossip", "--without-mingle"])  # fmt: skip
    else:
        app.conf.beat_schedule = BEAT
        app.start(["beat", "--loglevel=INFO", "--pidfile=", "--max-interval=1"])


async def in_thread(work: Any) -> Any:
    """``work()`` in a daemon thread (a stuck one never holds up the exit, as
    ``asyncio.to_thread``'s pool would at interpreter shutdown)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def target() -> None:
        try:
            result = work()
        except BaseException as exc:
            loop.call_soon_threadsafe(done.set_exception, exc)
        else:
            loop.call_soon_threadsafe(done.set_result, result)

    threading.Thread(target=target, daemon=True).start()
    return await done


class Soak:
    """One run: the servers, the faults and what was seen."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.owned = Owned()
        self.restarts: Counter[str] = Counter()
        self.windows: list[Window] = []
        self.stats = LoadStats()
        self.t0 = 0.0
        self.pg: Postgres | None = None
        self.ncmec: Any = None
        self.sink: ThreadingHTTPServer | None = None

    # --- setup ----------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        assert self.pg is not None
        self.port = free_port()
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": self.pg.url("liaison_app"),
            "DATABASE_MIGRATE_URL": self.pg.url("liaison_owner"),
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis.port}/0",
            "CACHE_URL": f"rediscache://127.0.0.1:{self.redis.port}/1",
            "LIAISON_VAR_DIR": str(VAR / "var"),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "2",
            "LIAISON_CYBERTIP_ENVIRONMENT": "local",
            "LIAISON_CYBERTIP_URL": self.ncmec.base_url,
            "LIAISON_CYBERTIP_TIMEOUT_SECONDS": "5",
            "LIAISON_CYBERTIP_REDRIVE_AFTER_SECONDS": "20",
            "LIAISON_WEBHOOK_URL": f"http://127.0.0.1:{self.sink.server_address[1]}/hook",
            "LIAISON_REMINDER_STEPS": json.dumps(
                {"default": {"before": ["60m"], "overdue_every": "1d"}}
            ),
            CHILD_SETTINGS: json.dumps(FAST),
        }

    def setup(self) -> tuple[list[str], int, list[int], bytes]:
        from reports.cybertip.testserver import NcmecTestServer

        shutil.rmtree(VAR, ignore_errors=True)
        VAR.mkdir(parents=True)
        self.pg = Postgres()
        self.pg.init()
        self.redis = Redis(self.owned)
        self.redis.start()
        self.ncmec = NcmecTestServer().start()
        self.sink = ThreadingHTTPServer(("127.0.0.1", 0), Webhooks)
        threading.Thread(target=self.sink.serve_forever, daemon=True).start()
        self.env = self.environment()
        os.environ.update(self.env)
        os.environ.pop(CHILD_SETTINGS)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        import soak_data

        from cases.demo import demo_pdf

        tokens = soak_data.officers_seed(self.args.clients)
        analyst, drafts = soak_data.cybertip_seed(16)
        return tokens, analyst, drafts, demo_pdf("Soak subpoena")

    def start_services(self) -> None:
        gunicorn = [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                    "--access-logfile", "/dev/null", "portal.wsgi"]  # fmt: skip
        self.owned.start("gunicorn", gunicorn, self.env)
        for kind in ("worker", "beat"):
            command = [PYTHON, str(ROOT / "bench/soak.py"), "--child", kind]
            threading.Thread(
                target=supervise, args=(self.owned, kind, command, self.env, self.restarts),
                daemon=True,
            ).start()  # fmt: skip
        wait_for(self.healthy, 60, "gunicorn")
        wait_for(lambda: "ready." in (VAR / "worker.log").read_text(errors="replace"), 60,
                 "the Celery worker")  # fmt: skip

    def healthy(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.port}/healthz"
            with urllib.request.urlopen(url, timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    # --- faults ---------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self.t0

    def fault(self, name: str, action: Any, recovered: Any = None) -> None:
        window = Window(name, time.monotonic())
        self.windows.append(window)
        print(f"  t={self.now():5.1f} s  fault: {name}", flush=True)
        action()
        if recovered is not None:
            wait_for(recovered, 60, f"recovery from {name}")
        window.end = time.monotonic()

    def gunicorn_worker_kill(self) -> None:
        import psutil

        master = psutil.Process(self.owned.groups["gunicorn"].pid)
        workers = master.children()
        workers[0].kill()
        before = {w.pid for w in workers}
        wait_for(lambda: len({c.pid for c in master.children()} - before) >= 1, 30,
                 "a new gunicorn worker")  # fmt: skip

    def celery_worker_kill(self) -> None:
        restarts = self.restarts["worker"]
        self.owned.kill("worker")  # the whole group: the main process and its pool
        wait_for(lambda: self.restarts["worker"] > restarts, 10, "the worker's restart")

    def ncmec_failing(self, failing: bool) -> None:
        with self.ncmec.lock:
            self.ncmec.faults.clear()
        if failing:  # 1000 "not saved", as NCMEC answers when it is down
            for path in ("submit", "upload", "fileinfo", "finish"):
                self.ncmec.fail_next(path, code=1000, http_status=503, times=10**6)

    async def faults(self, analyst: int, drafts: list[int]) -> None:
        import soak_data

        half = len(drafts) // 2
        s = self.args.seconds / 60  # the plan is for 60 s; shorter runs scale it
        steps: list[tuple[float, Any]] = [
            (2 * s, lambda: soak_data.cybertip_queue(analyst, drafts[:half])),
            (8 * s, lambda: self.fault("PostgreSQL restarted", self.pg_restart)),
            (20 * s, lambda: self.fault("Redis restarted", self.redis.restart)),
            (30 * s, lambda: self.fault("gunicorn worker SIGKILLed", self.gunicorn_worker_kill)),
            # NCMEC down while the second half is filed: their retries wait in the worker
            # (countdowns), which is then killed; only the redrive brings them back.
            (36 * s, lambda: self.fault("NCMEC failing (503)", lambda: self.ncmec_failing(True))),
            (37 * s, lambda: soak_data.cybertip_queue(analyst, drafts[half:])),
            (44 * s, lambda: self.fault("Celery worker SIGKILLed", self.celery_worker_kill)),
            (48 * s, lambda: self.ncmec_end()),
        ]
        for at, step in steps:
            await asyncio.sleep(max(0.0, at - self.now()))
            await in_thread(step)

    def pg_restart(self) -> None:
        assert self.pg is not None
        self.pg.stop("fast")
        time.sleep(1)
        self.pg.start()

    def ncmec_end(self) -> None:
        self.ncmec_failing(False)
        window = next(w for w in self.windows if w.name.startswith("NCMEC"))
        window.end = time.monotonic()
        print(f"  t={self.now():5.1f} s  NCMEC answering again", flush=True)

    # --- the run --------------------------------------------------------------------------

    def run(self) -> int:
        started = time.monotonic()
        print(f"soak: setting up under {VAR} (load {os.getloadavg()[0]:.1f})", flush=True)
        tokens, analyst, drafts, document = self.setup()
        self.start_services()
        import soak_data
        from django.utils import timezone

        seconds = self.args.seconds
        offsets = [2 + i * (seconds - 6) / 29 for i in range(30)]
        deadlines = soak_data.reminders_seed(start=timezone.now(), offsets=offsets,
                                             lead=REMINDER_LEAD)  # fmt: skip
        print(f"soak: ready in {time.monotonic() - started:.0f} s; {len(tokens)} officers, "
              f"{seconds:.0f} s of load", flush=True)  # fmt: skip
        self.t0 = time.monotonic()
        base = f"http://127.0.0.1:{self.port}"

        async def load_and_faults() -> None:
            from soak_load import load_run

            await asyncio.gather(
                load_run(base=base, tokens=tokens, seconds=seconds, stats=self.stats,
                         document=document),
                self.faults(analyst, drafts),
            )  # fmt: skip

        asyncio.run(load_and_faults())
        print(f"soak: load over at t={self.now():.0f} s; draining", flush=True)
        drain_until = time.monotonic() + self.args.drain
        while time.monotonic() < drain_until:
            if soak_data.retried(lambda: soak_data.settled(drafts, deadlines,
                                                           lambda: Webhooks.received)):  # fmt: skip
                break
            time.sleep(1)
        return self.verify(drafts, deadlines, time.monotonic() - started)

    def verify(self, drafts: list[int], deadlines: list[int], elapsed: float) -> int:
        import soak_data

        stats = self.stats
        stored = soak_data.retried(lambda: soak_data.submissions_stored(stats.submissions_tried))
        lost = submissions_lost(stats.accepted, stored, stats.submissions_tried)
        per_deadline, expected_hooks = soak_data.retried(
            lambda: soak_data.reminders_state(deadlines)
        )
        hooks_missing, hooks_repeated = exactly_once(expected_hooks, Webhooks.received)
        reminders_wrong = {d: n for d, n in per_deadline.items() if n != 1}
        tips = soak_data.retried(lambda: soak_data.cybertip_state(drafts))
        filed: Counter[str] = Counter()
        for stored_report in self.ncmec.reports.values():
            if stored_report.state == "finished":
                for n in range(len(drafts)):
                    if soak_data.soak_identifier(n).encode() in stored_report.document:
                        filed[soak_data.soak_identifier(n)] += 1
        expected_tips = [soak_data.soak_identifier(n) for n in range(len(drafts))]
        tips_missing, tips_repeated = exactly_once(expected_tips, list(filed.elements()))
        tips_unfinished = {pk: s for pk, (s, _n) in tips.items() if s != "finished"}
        outside = fault_answers_outside(stats.fault_answers, self.windows)
        subprocess.run([PYTHON, "manage.py", "seal_audit_log"], env=self.env, cwd=ROOT,
                       capture_output=True, check=True)  # fmt: skip
        audit = subprocess.run([PYTHON, "manage.py", "verify_audit_log"], env=self.env, cwd=ROOT,
                               capture_output=True, text=True)  # fmt: skip
        problems = {
            "5xx other than 503, or 4xx": [f"t={at - self.t0:.1f} {op}: {what}"
                                           for at, op, what in stats.failures],
            "fault answers outside a fault": [f"t={a[0] - self.t0:.1f} {a[1]}: {a[2]}"
                                              for a in outside],
            "submissions lost": lost,
            "reminders not sent exactly once": [f"deadline {d}: {n} reminders"
                                                for d, n in reminders_wrong.items()]
            + [f"webhook {k} never received" for k in hooks_missing]
            + [f"webhook {k} received more than once" for k in hooks_repeated],
            "CyberTipline reports not filed exactly once": [f"{k}: not filed" for k in tips_missing]
            + [f"{k}: filed more than once" for k in tips_repeated]
            + [f"report {pk}: {s}" for pk, s in tips_unfinished.items()],
            "access log": [] if audit.returncode == 0 else [audit.stdout + audit.stderr],
        }  # fmt: skip
        self.summary(elapsed, per_deadline, filed, audit.stdout.strip())
        failed = {k: v for k, v in problems.items() if v}
        for name, items in failed.items():
            print(f"\nFAILED: {name} ({len(items)})")
            for item in items[:15]:
                print(f"  {item}")
        print("\nsoak: " + ("FAILED" if failed else "passed: nothing lost"))
        return 1 if failed else 0

    def summary(self, elapsed: float, per_deadline: dict[int, int], filed: Counter[str],
                audit: str) -> None:  # fmt: skip
        stats = self.stats
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n== soak summary ({elapsed:.0f} s in all; load average {load}, "
              f"{os.cpu_count()} cores)")  # fmt: skip
        print(f"clients {self.args.clients}, load {self.args.seconds:.0f} s, gunicorn 2 gthread "
              f"workers x 4 threads, 1 Celery worker (2 processes)")  # fmt: skip
        answered = sum(len(v) for v in stats.latencies.values())
        print(f"requests tried {stats.tried}, answered 2xx {answered}, failures "
              f"{len(stats.failures)}, fault answers retried {len(stats.fault_answers)}, "
              f"429 retried {stats.throttled}")  # fmt: skip
        print(f"\n{'operation':<10} {'answers':>8} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
        for op, n, p50, p95, p99 in latency_rows(stats):
            print(f"{op:<10} {n:>8} {p50:>9.0f} {p95:>9.0f} {p99:>9.0f}")
        print("\nfaults injected (fault answers the clients saw and retried):")
        by_window = fault_answers_by_window(stats.fault_answers, self.windows)
        for window in self.windows:
            seen = {k.split(": ", 1)[1]: n for k, n in by_window.items()
                    if k.startswith(window.name + ":")}  # fmt: skip
            lasted = (window.end or window.start) - window.start
            print(f"  t={window.start - self.t0:5.1f} s  {window.name:<28} lasted {lasted:4.1f} s"
                  f"  {seen or 'none'}")  # fmt: skip
        print(f"  supervisor restarts: {dict(self.restarts) or 'none'}")
        log = (VAR / "worker.log").read_text(errors="replace")
        tips, notes = log.count("cybertip_redrive queued"), log.count("deliveries again")
        crashed = log.count("Unrecoverable error")
        print(f"  Celery worker exits on its own: {crashed}; redrives: CyberTipline {tips}, "
              f"notification deliveries {notes}")  # fmt: skip
        print(f"\nsubmissions: tried {len(stats.submissions_tried)}, accepted "
              f"{len(stats.accepted)}")  # fmt: skip
        print(f"reminders: {sum(per_deadline.values())} for {len(per_deadline)} deadlines, "
              f"webhooks received {len(Webhooks.received)}")  # fmt: skip
        print(f"CyberTipline: {sum(filed.values())} filed at NCMEC for {len(filed)} reports")
        print(f"access log: {audit}")

    def cleanup(self) -> None:
        self.owned.stop_all()
        if self.pg is not None:
            try:
                self.pg.stop("fast")
            except subprocess.CalledProcessError:
                self.pg.stop("immediate")
        if self.ncmec is not None:
            self.ncmec.stop()
        if self.sink is not None:
            self.sink.shutdown()
        left = subprocess.run(["pgrep", "-f", str(VAR)], capture_output=True, text=True).stdout
        alive = [p for p in self.owned.groups.values() if p.poll() is None]
        if left.strip() or alive:
            print(f"soak: processes left running: {left.split()} {alive}", file=sys.stderr)
            os._exit(2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--drain", type=float, default=90.0, help="seconds to let work finish")
    parser.add_argument("--timeout", type=int, default=360, help="hard limit of the whole run")
    parser.add_argument("--child", choices=["worker", "beat"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    soak = Soak(args)
    done = threading.Event()

    def cleanup_once() -> None:
        if not done.is_set():
            done.set()
            soak.cleanup()

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(f"soak: stopped by signal {signum}")

    atexit.register(cleanup_once)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(args.timeout)
    faulthandler.dump_traceback_later(args.timeout - 15, exit=False)  # where it was stuck
    try:
        return soak.run()
    finally:
        signal.alarm(0)
        cleanup_once()


if __name__ == "__main__":
    sys.exit(main())
