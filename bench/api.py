"""What token auth, the agency gate and the access log cost the officer API under load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/api.py

Works in its own database on the given server (``liaison_bench_api``, dropped at the end
unless ``--keep``). Steps:

1. Migrate, then seed one agency with an officer, a read-scoped API token and ``--requests``
   requests (default 120) through the real intake service; a second agency's requests sit
   beside them, so the agency filter has something to filter out.
2. Start gunicorn with ``deploy/gunicorn.conf.py`` (2 gthread workers with the production
   number of threads, 4, or ``--threads N``; persistent HTTP connections) on 127.0.0.1,
   DEBUG off, persistent database connections (``CONN_MAX_AGE``), no worker recycling, and
   the bench's settings (``bench/baseline_settings.py``), whose URL conf adds a plain DRF
   ``ListAPIView`` of the same 50 rows (same serializer and query) without
   authentication, gate or access log (``bench/baseline_urls.py``). Plain and API requests
   share the one server and its settings; each worker accepts at most half of wrk's
   connections, so the split is even for both.
   The token rate limit is raised out of the way as a per-second rate: DRF's throttle keeps
   one timestamp per request in its window, and a per-minute window at these rates would
   hold ~20,000 of them (copied on every request), far more than production's 120/min.
3. Drive it with ``wrk`` (16 connections, 2 threads): the list ``GET /api/v1/requests/``
   (one page of 50), the detail ``GET /api/v1/requests/{reference}/`` (references drawn at
   random), and the plain list. Each runs ``--rounds`` times, interleaved, after a warm-up;
   the median round counts. Prints requests/s, p50/p95/p99 and the ratio of the API list to
   the plain list (target >= 0.8), and the machine's load before and after.

Every measured API request checks its token in the database and commits its access event
(the list or view, naming the token), so their cost is in the numbers. Not a test: ``make
test`` never runs it.
"""

from __future__ import annotations

import argparse
import os
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "liaison_bench_api"
RESULT = re.compile(r"^LIAISON (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+)$", re.M)

# wrk prints one machine-readable line at the end: requests, duration (us), p50, p95, p99
# (us), non-2xx/3xx answers, socket errors. With references, each request picks one.
WRK_SCRIPT = """
local refs = {%(refs)s}
local headers = {}
%(auth)s
request = function()
  local path = "%(path)s"
  if #refs > 0 then path = string.format(path, refs[math.random(#refs)]) end
  return wrk.format("GET", path, headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("LIAISON %%d %%d %%.1f %%.1f %%.1f %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Round:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--requests", type=int, default=120, help="requests of the agency")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--threads", type=int, default=0, help="gunicorn threads per worker (default: deploy's)"
    )
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url or DATABASE_URL (a PostgreSQL server)")
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    return args


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DEBUG"] = "0"
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    import django

    django.setup()


def create_database() -> None:
    from django.db import connection

    connection.settings_dict["TEST"]["NAME"] = BENCH_DB
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def seed(count: int) -> tuple[str, int, list[str]]:
    """The token, the agency id and the references of its requests."""
    from django.contrib.auth.models import Group

    from cases.demo import demo_pdf
    from cases.models import ProcessKind, TargetKind
    from cases.services import case_intake, intake_input
    from portal.accounts.models import Agency, Officer, User
    from portal.accounts.roles import Role
    from portal.accounts.tokens import api_token_issue

    officers = []
    for n, domain in enumerate(["a-pd.example.gov", "b-pd.example.gov"]):
        agency = Agency.objects.create(
            name=f"Bench Agency {n}",
            country="US",
            subdivision="US-CA",
            kind=Agency.Kind.LOCAL,
            email_domains=[domain],
            directory_phone="+12025550100",
        )
        user = User.objects.create_user(
            username=f"bench.officer{n}", email=f"officer@{domain}", password=None
        )
        user.groups.add(Group.objects.get(name=Role.OFFICER))
        officers.append(
            Officer.objects.create(
                user=user,
                agency=agency,
                badge_number=f"B-{n}",
                phone="+12025550123",
                status=Officer.Status.VERIFIED,
            )
        )
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    references: dict[int, list[str]] = {0: [], 1: []}
    for i in range(count + count // 4):
        which = 0 if i % 5 else 1  # one in five belongs to the other agency
        case = case_intake(
            actor=officers[which].user,
            data=intake_input(
                kind=ProcessKind.US_SUBPOENA,
                country="US",
                subdivision="US-CA",
                issuing_authority="Superior Court of Example County",
                received_at=timezone.now(),
                agency_case_number=f"BENCH-{i:05d}",
                data_categories=["subscriber"],
                targets=[(TargetKind.EMAIL, f"subject{i}@example.com")],
                document=SimpleUploadedFile(
                    "subpoena.pdf", demo_pdf(f"Bench subpoena {i}"), "application/pdf"
                ),
                received_via="api",
            ),
        )
        references[which].append(case.reference)
    token = api_token_issue(user=officers[0].user, name="bench", scopes=["read"], days=1)
    from django.db import connection

    with connection.cursor() as cursor:  # planner statistics, as autovacuum would gather them
        cursor.execute("ANALYZE")
    return token.plaintext, officers[0].agency_id, references[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    database_url: str, port: int, log: Path, threads: int, connections: int
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "CONN_MAX_AGE": "600",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        **({"GUNICORN_THREADS": str(threads)} if threads else {}),
        "DJANGO_SETTINGS_MODULE": "bench.baseline_settings",
        "LIAISON_API_TOKEN_RATE": "1000000/s",
        "LIAISON_API_PUBLIC_RATE": "1000000/s",
        "CELERY_BROKER_URL": "memory://localhost/",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            str(ROOT / "deploy/gunicorn.conf.py"),
            "--access-logfile",
            "/dev/null",
            # No worker recycling mid-run: a restart would measure Django's start-up.
            "--max-requests",
            "0",
            # wrk opens all its connections at once and keeps them; which worker accepts each
            # is a race, and a worker holding 12 of 16 is the bottleneck while the other
            # idles (rounds of one endpoint then ranged from 150 to 290 requests/s). Each
            # worker takes at most its share, so both endpoints meet the same even split.
            "--worker-connections",
            str(-(-connections // 2)),
            "portal.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)  # its workers may be up and failing: never leave them running
    raise SystemExit(f"gunicorn did not answer within 60 s; see {log}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def check(url: str, token: str | None) -> None:
    request = urllib.request.Request(url)  # noqa: S310 - http://127.0.0.1, built here
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        body = answer.read()
    assert answer.status == 200 and body.count(b'"reference"') == 50, (url, body[:300])


def wrk(
    base: str,
    path: str,
    *,
    token: str | None,
    refs: list[str],
    seconds: int,
    conns: int,
    workdir: Path,
) -> Round:
    script = workdir / "bench.lua"
    auth = f'headers["Authorization"] = "Bearer {token}"' if token else ""
    script.write_text(
        WRK_SCRIPT
        % {
            "refs": ", ".join(f'"{r}"' for r in refs),
            "auth": auth,
            "path": path,
        }
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = RESULT.search(out)
    assert found, out
    requests, duration_us, p50, p95, p99, bad, errors = found.groups()
    assert int(bad) == 0 and int(errors) == 0, f"{path}: {bad} non-2xx, {errors} errors\n{out}"
    return Round(
        rps=int(requests) / (int(duration_us) / 1e6),
        p50_ms=float(p50) / 1000,
        p95_ms=float(p95) / 1000,
        p99_ms=float(p99) / 1000,
    )


def report(label: str, rounds: list[Round]) -> Round:
    mid = sorted(rounds, key=lambda r: r.rps)[len(rounds) // 2]
    spread = ", ".join(f"{r.rps:.0f}" for r in rounds)
    print(
        f"{label:<38} {mid.rps:8.0f} req/s   p50 {mid.p50_ms:6.1f} ms   p95 {mid.p95_ms:6.1f} ms"
        f"   p99 {mid.p99_ms:6.1f} ms   (rounds: {spread})"
    )
    return mid


def main() -> None:
    args = parse_args()
    setup_django(args.database_url)
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    print(f"load before: {load()}  (1, 5, 15 min; {os.cpu_count()} cores)")
    create_database()
    workdir = Path(tempfile.mkdtemp(prefix="liaison-bench-api-"))
    server = None
    try:
        started = time.perf_counter()
        token, agency_id, refs = seed(args.requests)
        connection.close()
        print(f"seeded {len(refs)} requests of the agency in {time.perf_counter() - started:.0f} s")
        parts = urlsplit(args.database_url)
        bench_url = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
        port = args.port or free_port()
        server = start_server(
            bench_url, port, workdir / "gunicorn.log", args.threads, args.connections
        )
        threads = args.threads or runpy.run_path(str(ROOT / "deploy/gunicorn.conf.py"))["threads"]
        base = f"http://127.0.0.1:{port}"
        scenarios = {
            "API list (token, gate, log)": ("/api/v1/requests/", token, []),
            "plain ListAPIView, same 50 rows": (
                f"/api/v1/bench/plain-requests/?agency={agency_id}",
                None,
                [],
            ),
            "API detail (token, gate, log)": ("/api/v1/requests/%s/", token, refs),
        }
        check(base + scenarios["API list (token, gate, log)"][0], token)
        check(base + scenarios["plain ListAPIView, same 50 rows"][0], None)
        for path, key, references in scenarios.values():  # warm-up: connections, caches
            wrk(
                base,
                path,
                token=key,
                refs=references,
                seconds=3,
                conns=args.connections,
                workdir=workdir,
            )
        results: dict[str, list[Round]] = {label: [] for label in scenarios}
        for _ in range(args.rounds):
            for label, (path, key, references) in scenarios.items():
                results[label].append(
                    wrk(
                        base,
                        path,
                        token=key,
                        refs=references,
                        seconds=args.duration,
                        conns=args.connections,
                        workdir=workdir,
                    )
                )
        print(
            f"\ngunicorn 2 gthread workers x {threads} threads, wrk {args.connections} "
            f"connections, {args.duration} s x {args.rounds} rounds each (median round shown)"
        )
        medians = {label: report(label, rounds) for label, rounds in results.items()}
        ratio = (
            medians["API list (token, gate, log)"].rps
            / medians["plain ListAPIView, same 50 rows"].rps
        )
        verdict = "meets" if ratio >= 0.8 else "BELOW"
        print(f"\nratio API list / plain list: {ratio:.2f} ({verdict} the 0.8 target)")
        print(f"load after: {load()}")
    except BaseException:
        log = workdir / "gunicorn.log"
        if log.exists():
            print("--- gunicorn log (last 40 lines) ---")
            print("\n".join(log.read_text(errors="replace").splitlines()[-40:]))
        raise
    finally:
        if server is not None:
            stop_server(server)
        if args.keep:
            print(f"kept database {BENCH_DB}")
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
