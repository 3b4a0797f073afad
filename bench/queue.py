"""The queue bench (issue 4): ``.venv/bin/python bench/queue.py --help``; code in queue_bench.py.

This file is only the entry point, because its name is also the standard library's
``queue``: running any script in ``bench/`` puts this folder first on ``sys.path``, so
``import queue`` (psycopg, kombu and the logging module do it) finds this file. Imported
under that name it therefore loads and becomes the real standard-library module.
"""

from __future__ import annotations

import sys


def _become_standard_queue() -> None:
    import importlib.util
    import sysconfig
    from pathlib import Path

    path = Path(sysconfig.get_paths()["stdlib"]) / "queue.py"
    spec = importlib.util.spec_from_file_location("queue", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["queue"] = module  # the import system returns what sys.modules holds
    spec.loader.exec_module(module)


if __name__ == "queue":
    _become_standard_queue()
elif __name__ == "__main__":
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.queue_bench import main

    main()
