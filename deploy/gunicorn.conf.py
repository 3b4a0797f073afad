"""gunicorn settings for production (``gunicorn -c deploy/gunicorn.conf.py portal.wsgi``).

Threaded workers (gthread): every request commits at least one access-log row and waits for
PostgreSQL to flush it to disk; while one thread waits, the others use the CPU, and the
commits of several threads share one flush. They also keep connections open between
requests (nginx's upstream ``keepalive``), which sync workers cannot. Django and the portal
keep per-request state in context variables and per-thread database connections, so
threads share nothing mutable. Measured in bench/README.md (API section).
"""

import math
import os
import shutil
from pathlib import Path
from typing import Any


def available_cores() -> int:
    """Cores this container may use: the cgroup CPU quota, else the CPUs it is pinned to.

    ``os.cpu_count()`` counts the node's cores; a pod limited to 2 CPUs on a 64-core node
    would start 64 workers and be throttled.
    """
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return max(1, len(os.sched_getaffinity(0)))


# Inside the container every address is the pod's or the compose network's own; who may reach
# the port is the NetworkPolicy's and the compose networks' job, who is believed is below.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# One gthread worker per core, at least 2 (a slow request never stalls the pod); the
# threads overlap the commit waits. Override with GUNICORN_WORKERS.
workers = int(os.environ.get("GUNICORN_WORKERS", "0")) or max(2, available_cores())
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))  # per worker
# Longer than nginx's upstream keepalive_timeout (60 s by default), so nginx, not gunicorn,
# closes idle connections and never sends a request down one gunicorn just closed.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then (a slow leak cannot grow for ever). At a few hundred
# requests a second, 2,000 restarted a worker every few seconds; 50,000 is every few
# minutes at full load. The jitter keeps workers from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
# One JSON object a line, like the application's logs. No client address (personal data;
# the audited access log has it where it is needed) and no query string (search terms).
access_log_format = (
    '{"type": "access", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
    '"bytes": "%(b)s", "seconds": %(L)s, "request_id": "%({x-request-id}o)s"}'
)
# X-Forwarded-Proto/-For are believed only from the reverse proxies Django believes
# (LIAISON_TRUSTED_PROXIES, CIDRs), never from "*": any other peer that reaches the port
# (a neighbour container, a pod outside the NetworkPolicy) cannot claim HTTPS or an address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or (
    os.environ.get("LIAISON_TRUSTED_PROXIES", "").replace(" ", "") or "127.0.0.1"
)
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or None  # /tmp in the image


# Prometheus multiprocess mode (portal/metrics.py): every worker writes its counters to
# PROMETHEUS_MULTIPROC_DIR; the directory starts empty, and a dead worker's live gauges go.
def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
