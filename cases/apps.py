from django.apps import AppConfig


class CasesConfig(AppConfig):
    """The domain: legal process, cases, targets, preservations and deadlines."""

    name = "cases"
    verbose_name = "Cases"
