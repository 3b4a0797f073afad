"""Celery: the broker, how tasks are acknowledged and routed, and the beat schedule, in one
place (imported by ``portal.settings``)."""

from __future__ import annotations

from celery.schedules import crontab

from portal.settings_parts.environment import VAR_DIR, env

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        # The filesystem transport polls; at the default 1 s a worker takes ~2 tasks/s.
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# LIAISON_TASK_QUEUES=split (deploy/k8s): rendering and CyberTipline submission get queues of
# their own, each with its own workers (CPU-heavy renders never delay reminders; only the
# cybertip workers may reach NCMEC). Unset: every task on the default queue, as `make run`.
if env.str("LIAISON_TASK_QUEUES", default="single") == "split":
    CELERY_TASK_ROUTES = {
        "reports.disclosures.tasks.*": {"queue": "render"},
        "reports.cybertip.tasks.*": {"queue": "cybertip"},
    }
# The beat schedule, in one place. Every entry expires before the next tick, so a backlog
# after an outage never runs the same sweep many times over.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Deadline reminders, escalations and lapsed-hold releases (docs/reminders.md). The sweep
    # reads the deadlines' state, so a tick that never ran is made up by the next one.
    "deadline-reminders-sweep": {
        "task": "cases.tasks.reminders_sweep",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # The morning digest: sent once per user and day from LIAISON_DIGEST_HOUR (business
    # time); every quarter of an hour so that a scheduler down at 07:00 still sends it.
    "deadline-digest": {
        "task": "cases.tasks.reminders_digest",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # Chain access events left unsealed (the on-commit sealer normally got them already).
    "audit-seal": {
        "task": "portal.audit.tasks.audit_chain_seal",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    # Export the log's signed head hash once a day, after midnight UTC (docs/audit.md).
    "audit-checkpoint": {
        "task": "portal.audit.tasks.audit_checkpoint_write",
        "schedule": crontab(minute=5, hour=0),
        "options": {"expires": 6 * 3600},
    },
    # Deadlines met after their due time are recorded as missed (cases/services/missed.py);
    # open ones past due stay open for the reminder sweep to escalate.
    "deadlines-missed-mark": {
        "task": "cases.tasks.deadlines_missed_mark",
        "schedule": 300.0,
        "options": {"expires": 280},
    },
    # Proves beat and a worker are alive and measures queue lag; staff see a banner and
    # /healthz/celery turns "late" when it is more than 3 minutes old.
    "heartbeat": {
        "task": "portal.notifications.tasks.heartbeat",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Queues again CyberTipline reports whose filing task was lost (a killed worker, Redis
    # down when it was queued); a report still being filed is left to its run.
    "cybertip-redrive": {
        "task": "reports.cybertip.tasks.cybertip_redrive",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Queues again disclosure packages whose render task was lost (queued while the broker
    # was down, or held by a killed worker); a build still running is left to its run.
    "disclosure-packages-redrive": {
        "task": "reports.disclosures.tasks.disclosure_packages_redrive",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Queues again notification deliveries whose task was lost (a killed worker, a broker
    # that was down when the notification was created).
    "notification-deliveries-redrive": {
        "task": "portal.notifications.tasks.deliveries_redrive",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
}
