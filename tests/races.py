"""Two attempts at once, the first held inside its transaction: the harness of the tests
that prove a retry never does the work twice (request intake, conversation messages).

``first_held_then_retry`` patches a step of the first attempt so that it stops there, with
its transaction (and its locks) open; starts the retry on its own thread and database
connection; waits until a backend of the test database is blocked on a lock (the retry
waiting for the first); then lets the first finish. Both answers are returned, with
whether the retry was seen waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection


def first_held_then_retry(
    monkeypatch: Any, owner: Any, step: str, attempt: Callable[[], Any]
) -> tuple[dict[str, Any], bool]:
    """Run ``attempt`` twice at once, the first paused inside ``owner.step``."""
    real = getattr(owner, step)
    inside, release = threading.Event(), threading.Event()

    def held(**kwargs: Any) -> Any:
        result = real(**kwargs)
        if not inside.is_set():  # only the first attempt is held
            inside.set()
            release.wait(timeout=20)  # its transaction and locks stay open meanwhile
        return result

    monkeypatch.setattr(owner, step, held)
    answers: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            answers[name] = attempt()
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first",))
    retry = threading.Thread(target=run, args=("retry",))
    first.start()
    assert inside.wait(timeout=20), "the first attempt never reached the held step"
    retry.start()
    waited = a_backend_waits_on_a_lock(timeout=20)
    release.set()
    first.join(timeout=30)
    retry.join(timeout=30)
    return answers, waited


def a_backend_waits_on_a_lock(timeout: float) -> bool:
    """True once another connection of this test database is blocked on a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False
