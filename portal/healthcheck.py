"""Health checks from the command line, for probes of pods that serve no HTTP (beat).

``python -m portal.healthcheck sweep [database broker storage]`` runs the named checks of
``portal.health`` and exits 0 when all pass, 1 otherwise, printing one line per check.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from portal import health

    checks: dict[str, Callable[[], health.Check]] = {
        "database": health.database_check,
        "broker": health.broker_check,
        "storage": health.storage_check,
        "sweep": health.sweep_check,
    }
    names = argv or list(checks)
    unknown = [name for name in names if name not in checks]
    if unknown:
        print(f"unknown check(s): {', '.join(unknown)}; known: {', '.join(checks)}")
        return 2
    ok = True
    for name in names:
        result = checks[name]()
        print(f"{result.name}: {result.detail}")
        ok = ok and result.ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
