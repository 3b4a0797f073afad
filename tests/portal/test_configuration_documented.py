"""Every variable the settings read from the environment is documented.

An operator configures Liaison from ``docs/configuration.md`` (and the deployment's own
variables from ``docs/operations.md``); a setting only the code knows about is one they
cannot find, so a new ``env(...)`` read without a row fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"""\benv(?:\.[a-z_]+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""")
ENVIRON = re.compile(r"""os\.environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""")


def names_read(text: str) -> set[str]:
    return set(READ.findall(text)) | set(ENVIRON.findall(text))


def test_the_scanner_sees_reads_spread_over_lines():
    sample = (
        'A = env.bool(\n    "LIAISON_X", default=False)\nB = env("Y_Z")\nC = os.environ.get("WX")'
    )
    assert names_read(sample) == {"LIAISON_X", "Y_Z", "WX"}


def test_every_variable_the_settings_read_is_documented():
    modules = [ROOT / "portal" / "settings.py", *(ROOT / "portal" / "settings_parts").glob("*.py")]
    read = set().union(*(names_read(module.read_text()) for module in modules))
    docs = (ROOT / "docs" / "configuration.md").read_text() + (
        ROOT / "docs" / "operations.md"
    ).read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", docs))
    assert len(read) > 50  # the scan found the settings' reads at all
    assert {"LIAISON_ENV", "CELERY_BROKER_URL", "LIAISON_DISCLOSURE_PAPER"} <= read  # the parts
    assert sorted(read - documented) == []
