from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The platform shell: base templates, static assets, middleware, run command."""

    name = "portal"
    verbose_name = "Liaison platform"
