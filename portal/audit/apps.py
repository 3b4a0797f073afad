from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The tamper-evident access log: one append-only, hash-chained table."""

    name = "portal.audit"
    label = "audit"
    verbose_name = "Access log"
