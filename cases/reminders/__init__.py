"""Deadline reminders, escalation, automatic release of lapsed holds, the daily digest.

- ``steps``: the configurable reminder steps per deadline (the one place for them) and
  the schedule arithmetic; pure.
- ``sweep``: the beat-driven sweep that claims due deadlines and acts on each step once.
- ``recipients`` / ``messages``: who hears of a step, and in which words.
- ``digest``: the morning digest per responder.

Sending goes through ``portal.notifications.services.notification_send`` (in-app, e-mail,
webhook); the Celery tasks are in ``cases.tasks``; see docs/reminders.md and ADR 0015.
This package's ``__init__`` imports nothing, so the services may import ``steps``.
"""
