"""`make install` without pip's "Location ... is ignored" noise (issue #9, item 15), and
without hiding anything else: real pip, on a local file:// index that has no packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_location_noise_is_dropped_and_real_errors_and_status_are_kept(tmp_path):
    (tmp_path / "simple").mkdir()
    answer = subprocess.run(
        [
            str(ROOT / ".ci" / "pip"),
            sys.executable,
            "download",
            "--isolated",  # this machine's pip.conf out of it: the index is ours
            "--no-deps",
            "-d",
            str(tmp_path / "dl"),
            "--index-url",
            f"file://{tmp_path}/simple",
            "liaison-no-such-package",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert answer.returncode == 1  # pip's own status
    assert "is ignored" not in answer.stderr
    assert "No matching distribution found for liaison-no-such-package" in answer.stderr
    assert "Looking in indexes" in answer.stdout  # stdout passes untouched


def test_make_install_calls_pip_through_the_filter():
    recipe = (ROOT / "Makefile").read_text()

    assert "$(PY) -m pip" not in recipe
    assert recipe.count(".ci/pip $(PY) install") == 2
