"""The Celery application.

Tasks are discovered from every installed app's ``tasks`` module. The beat schedule lives in
``settings.CELERY_BEAT_SCHEDULE`` (one place) and is stored by django-celery-beat.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("liaison")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Workers serve their own counters (CyberTipline submissions) when asked to (portal.metrics).
from portal.worker_metrics import celery_signals_connect  # noqa: E402 - after the app

celery_signals_connect()
