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
    if settings.LIAISON_AUDIT_CHECKPOINT_KEY:
        return []
    return [
        checks.Warning(
            "LIAISON_AUDIT_CHECKPOINT_KEY is not set: daily access-log checkpoints are "
            "written unsigned.",
            hint="Set it to a long random secret kept outside the database.",
            id="audit.W001",
        )
    ]
