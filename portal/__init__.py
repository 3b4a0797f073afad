"""Liaison platform: settings, URLs, the Celery app, accounts, audit and the UI shell."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
