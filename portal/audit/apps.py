from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

MIDDLEWARE_PATH = "portal.audit.middleware.AccessLogMiddleware"


class AuditConfig(AppConfig):
    """The tamper-evident access log: one append-only, hash-chained table."""

    name = "portal.audit"
    label = "audit"
    verbose_name = "Access log"

    def ready(self) -> None:
        checks.register(check_access_log_setup, checks.Tags.security)
        checks.register(check_checkpoint_key, checks.Tags.security, deploy=True)
        checks.register(
            check_database_roles, checks.Tags.security, checks.Tags.database, deploy=True
        )


def check_access_log_setup(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse configurations under which the log would silently miss reads or lose rows."""
    errors: list[checks.CheckMessage] = []
    if MIDDLEWARE_PATH not in settings.MIDDLEWARE:
        errors.append(
            checks.Error(
                "The access-log middleware is not installed: reads and denials of marked "
                "views would go unrecorded.",
                hint=f"Add {MIDDLEWARE_PATH!r} to MIDDLEWARE after the authentication middleware.",
                id="audit.E001",
            )
        )
    name = str(settings.DATABASES["default"].get("NAME", ""))
    if getattr(settings, "PRODUCTION", False) and name.startswith("test_"):
        errors.append(
            checks.Error(
                "The production database is named test_*: the access log's guard lets "
                "TRUNCATE through in such databases (they are Django's test databases).",
                hint="Rename the database.",
                id="audit.E002",
            )
        )
    return errors


def check_checkpoint_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """In production the daily checkpoints must be signed, or anyone able to rewrite the
    database could rewrite the exported head hashes as well."""
    messages: list[checks.CheckMessage] = []
    if not settings.LIAISON_AUDIT_CHECKPOINT_KEY:
        messages.append(
            checks.Warning(
                "LIAISON_AUDIT_CHECKPOINT_KEY is not set: daily access-log checkpoints are "
                "written unsigned.",
                hint="Set it to a long random secret kept outside the database.",
                id="audit.W001",
            )
        )
    if not (
        settings.LIAISON_AUDIT_CHECKPOINT_SHIP_DIRS or settings.LIAISON_AUDIT_CHECKPOINT_EMAILS
    ):
        messages.append(
            checks.Warning(
                "Access-log checkpoints stay on this host only: whoever rewrites the database "
                "here can rewrite them too.",
                hint="Set LIAISON_AUDIT_CHECKPOINT_SHIP_DIRS (an off-host or write-once "
                "volume) and/or LIAISON_AUDIT_CHECKPOINT_EMAILS (docs/security.md).",
                id="audit.W002",
            )
        )
    if getattr(settings, "PRODUCTION", False) and not settings.LIAISON_DB_MIGRATE:
        messages.append(
            checks.Warning(
                "DATABASE_MIGRATE_URL is not set: migrate and the portal use one login, "
                "which then owns the access log and can switch its guard off.",
                hint="Migrate as the schema owner, run as a role with SELECT and INSERT on "
                "the log; check it with manage.py check --deploy --database default.",
                id="audit.W003",
            )
        )
    return messages


def check_database_roles(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """The role the portal runs as must not be able to switch off the log's guard.

    A database check: it runs with ``manage.py check --deploy --database default``, on the
    live database (docs/security.md), since only the server knows who owns the table.
    """
    if not databases or "default" not in databases:
        return []
    from portal.dbroles import database_roles_problems

    return [
        checks.Error(
            f"Access log (AU-9): {problem}.",
            hint=(
                "Run the portal as a role with SELECT and INSERT on the log only, and "
                "migrate as the schema owner: set DATABASE_MIGRATE_URL (docs/security.md)."
            ),
            id="audit.E003",
        )
        for problem in database_roles_problems()
    ]
