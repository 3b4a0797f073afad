"""Celery worker hooks for ``portal.metrics`` (imported by ``portal.celery``; no models).

A worker counts what it does (CyberTipline submissions) in its prefork children; with
``PROMETHEUS_MULTIPROC_DIR`` set the counts are shared through that directory, and with
``LIAISON_WORKER_METRICS_PORT`` set the worker serves them for the scraper once it is ready.
"""

from __future__ import annotations

import os
from typing import Any


def celery_signals_connect() -> None:
    """Start the worker's metrics server, and clean up after prefork children that exit."""
    from celery.signals import worker_process_shutdown, worker_ready

    def on_ready(**_kwargs: Any) -> None:
        port = os.environ.get("LIAISON_WORKER_METRICS_PORT", "")
        if port:
            from portal.metrics import worker_metrics_serve

            worker_metrics_serve(int(port))

    def on_child_exit(**_kwargs: Any) -> None:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())

    worker_ready.connect(on_ready, weak=False)
    worker_process_shutdown.connect(on_child_exit, weak=False)
