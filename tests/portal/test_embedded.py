"""The embedded PostgreSQL stops when its last holder exits, even after a holder was killed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pgserver
import pgserver.utils
import psutil

from portal.embedded import embedded_holders_prune


class _Server:
    """What ``embedded_holders_prune`` uses of a pgserver handle, on a list file of our
    own, so the test never touches the server this run uses."""

    def __init__(self, path):
        self._lock = pgserver.PostgresServer._lock
        self.global_process_id_list = pgserver.utils.DiskList(path)


def test_holders_that_no_longer_run_are_forgotten(tmp_path):
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(gone.stdout)
    assert not psutil.pid_exists(dead)
    path = tmp_path / ".handle_pids.json"
    path.write_text(json.dumps([dead, os.getpid()]))

    embedded_holders_prune(_Server(path))

    assert json.loads(path.read_text()) == [os.getpid()]


def test_pgserver_still_keeps_its_holders_where_the_prune_looks():
    """Upgrade canary: the prune relies on pgserver's private lock and holder list."""
    names = pgserver.PostgresServer.__init__.__code__.co_names
    assert "global_process_id_list" in names
    assert "DiskList" in names
    assert hasattr(pgserver.PostgresServer._lock, "__enter__")
    assert {"get", "put"} <= set(vars(pgserver.utils.DiskList))
