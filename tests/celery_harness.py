"""Real Celery workers and beat, in subprocesses, against the test database.

Tests that need a worker use the ``celery_worker_factory`` fixture (tests/conftest.py): it
makes the test transactional (the worker only sees committed rows; ``serialized_rollback``
restores the migrations' data afterwards), starts ``celery worker`` in its own process
group and waits for its "ready" line. The handle stops it (``.stop()``: warm shutdown) or
kills it (``.kill()``: SIGKILL to the whole group, as when a container is OOM-killed).

The subprocess runs ``python -m tests.celery_harness worker|beat``. That bootstrap reads one
JSON environment variable and, before Django starts, points the database at pytest-django's
test database and applies per-test settings overrides (e-mail backend, webhook URL, short
retry delays); then it points Celery at the session's broker and queue. Production
settings gain no test-only switches this way.

Broker: ``CELERY_BROKER_URL`` when set (Redis in CI), else kombu's filesystem transport in a
temporary folder per test session. Either way each test uses a queue of its own
(``liaison-test-<random>``), so nothing left over from another test or run, or from a
developer's ``make run``, is ever consumed; that is also why a test's workers may simply be
killed when it ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
CONFIG_ENV = "LIAISON_TEST_CELERY_CONFIG"
READY = {"worker": re.compile(r"\bready\.\s*$", re.M), "beat": re.compile(r"beat: Starting")}


@dataclass
class Broker:
    """Where the test process publishes and the subprocesses consume, for one session."""

    url: str
    transport_options: dict[str, Any]
    queue: str
    folder: Path | None = None

    def as_config(self) -> dict[str, Any]:
        return {
            "broker_url": self.url,
            "broker_transport_options": self.transport_options,
            "task_default_queue": self.queue,
        }


def new_queue_name() -> str:
    return f"liaison-test-{uuid.uuid4().hex[:10]}"


def session_broker(tmp_root: Path) -> Broker:
    queue = new_queue_name()
    url = os.environ.get("CELERY_BROKER_URL", "")
    if url and not url.startswith("filesystem://"):
        return Broker(url=url, transport_options={}, queue=queue)
    folder = tmp_root / "broker"
    for sub in ("queue", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        "polling_interval": 0.1,  # kombu polls a folder; the default second adds latency
    }
    return Broker(url="filesystem://", transport_options=options, queue=queue, folder=folder)


def app_configure(app: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Point a Celery app at another broker/queue, dropping pools built for the old one.

    Returns the previous values, to be passed back in when the session ends.
    """
    previous = {key: app.conf.get(key) for key in config}
    app.conf.update(config)
    # Connection pools live in kombu's registry, keyed by broker: forgetting ours is enough
    # (closing it would break the next test on the same broker).
    app._pool = None
    app.__dict__.pop("amqp", None)  # rebuilt lazily with the new default queue and router
    return previous


def broker_purge(app: Any, broker: Broker) -> None:
    """Leave nothing of a test's queue on a shared broker (Redis) when the test ends.

    Besides the queue, kombu keeps the binding keys and, for messages a killed worker had
    not acknowledged, entries in its ``unacked`` hash that it would put back into the queue
    an hour later. The queue name is random, so matching on it touches nothing else.
    """
    if broker.folder is not None:
        return  # the session's temporary folder goes away with pytest's tmp dirs
    with app.connection_for_write() as connection:
        client = connection.default_channel.client
        for key in client.scan_iter(match=f"*{broker.queue}*"):
            client.delete(key)
        for tag, raw in client.hscan_iter("unacked"):
            try:
                routing_key = json.loads(raw)[2]
            except (ValueError, IndexError, TypeError):
                continue
            if routing_key == broker.queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)


def wait_for(
    predicate: Callable[[], Any], *, timeout: float = 20, interval: float = 0.1, what: str = ""
) -> Any:
    """Poll until ``predicate()`` is truthy and return its value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


@dataclass
class CeleryProcess:
    """One ``celery worker`` or ``celery beat`` subprocess, in a process group of its own."""

    kind: str
    process: subprocess.Popen
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = 45) -> None:
        def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"celery {self.kind} exited early:\n{self.log[-4000:]}")
            return bool(READY[self.kind].search(self.log))

        try:
            wait_for(ready, timeout=timeout, interval=0.1, what=f"celery {self.kind} to start")
        except AssertionError:
            self.kill()
            raise

    def count(self, pattern: str) -> int:
        """How often a regular expression matches the log, e.g. succeeded task lines."""
        return len(re.findall(pattern, self.log))

    def stop(self, timeout: float = 15) -> None:
        """Warm shutdown (SIGTERM): running tasks finish, unstarted messages go back."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)  # the main process; it stops the pool
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        if self._group_alive():
            self.kill()

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool children die
        at once, with no chance to acknowledge, requeue or record anything."""
        if self.process.poll() is None or self._group_alive():
            self._signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)


def start(
    kind: str,
    *,
    broker: Broker,
    database_name: str,
    log_dir: Path,
    settings: dict[str, Any] | None = None,
    concurrency: int = 2,
    beat_schedule: dict[str, Any] | None = None,
    name: str = "",
    loglevel: str = "INFO",
) -> CeleryProcess:
    """Start a worker or beat subprocess and wait until it is ready."""
    if kind not in READY:
        raise ValueError(kind)
    name = name or f"{kind}-{uuid.uuid4().hex[:6]}"
    config = {
        "database_name": database_name,
        "settings": settings or {},
        "celery": broker.as_config(),
        "concurrency": concurrency,
        "name": name,
        "beat_schedule": beat_schedule,
        "loglevel": loglevel,
    }
    env = {
        **os.environ,
        CONFIG_ENV: json.dumps(config),
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": _server_url(),
    }
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.celery_harness", kind],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill() reaches the pool
        )
    handle = CeleryProcess(kind=kind, process=process, log_path=log_path)
    handle.wait_ready()
    return handle


def _server_url() -> str:
    """The test process's own server, so the subprocess never starts (or holds) the
    embedded one (tests/databases.py says why); ``_bootstrap`` names the test database."""
    from django.db import connection

    from tests.databases import database_url

    return database_url(connection.settings_dict)


def _bootstrap(kind: str) -> None:
    """Inside the subprocess: configure Django and Celery from the JSON, then run."""
    config = json.loads(os.environ[CONFIG_ENV])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = config["database_name"]
    for key, value in config["settings"].items():
        setattr(settings, key, value)
    import django

    django.setup()
    from portal.celery import app

    app.conf.update(config["celery"])
    queue = config["celery"]["task_default_queue"]
    if kind == "worker":
        app.worker_main(
            [
                "worker",
                f"--loglevel={config.get('loglevel', 'INFO')}",
                f"--queues={queue}",
                f"--hostname={config['name']}@%h",
                f"--concurrency={config['concurrency']}",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        )
    else:
        if config["beat_schedule"] is not None:
            app.conf.beat_schedule = config["beat_schedule"]
        app.start(["beat", "--loglevel=INFO", "--pidfile=", "--max-interval=1"])


if __name__ == "__main__":
    _bootstrap(sys.argv[1])
