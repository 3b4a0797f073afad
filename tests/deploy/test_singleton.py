"""One Celery beat, ever: ``portal.singleton`` runs its command only under the lock.

Real processes and a real PostgreSQL advisory lock on the test's server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from portal.singleton import lock_key
from tests.deploy.pg import database_url

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.server


def singleton(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "portal.singleton", "--check-seconds", "0.5", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.1)


@pytest.mark.django_db
def test_a_second_copy_does_not_run_while_the_first_holds_the_lock(tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}
    name = f"beat-test-{os.getpid()}"
    first_ran, second_ran = tmp_path / "first", tmp_path / "second"
    # The first copy runs its command: it marks a file, then stays up.
    stay_up = f"import pathlib, time; pathlib.Path({str(first_ran)!r}).touch(); time.sleep(60)"
    first = singleton(
        "--name", name, "--", sys.executable, "-c", stay_up,
        env=env,
    )  # fmt: skip
    try:
        wait_for(first_ran)
        # A second copy waits for the lock, gives up after its wait, and never ran.
        second = singleton(
            "--name", name, "--wait-seconds", "2", "--",
            sys.executable, "-c", f"import pathlib; pathlib.Path({str(second_ran)!r}).touch()",
            env=env,
        )  # fmt: skip
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 75, output
        assert "another copy holds the lock" in output
        assert not second_ran.exists()
    finally:
        first.terminate()  # SIGTERM reaches the command; the lock goes with the session
        first.communicate(timeout=60)

    # Once the first copy is gone, the next one takes over.
    third = singleton(
        "--name", name, "--wait-seconds", "20", "--",
        sys.executable, "-c", f"import pathlib; pathlib.Path({str(second_ran)!r}).touch()",
        env=env,
    )  # fmt: skip
    output, _ = third.communicate(timeout=60)
    assert third.returncode == 0, output
    assert second_ran.exists()


def test_lock_keys_are_stable_and_distinct():
    assert lock_key("beat") == lock_key("beat")
    assert lock_key("beat") != lock_key("other")
    assert -(2**63) <= lock_key("beat") < 2**63
