from typing import Any

from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    """Users, roles, agencies, officers, teams and second factors."""

    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        checks.register(check_shared_cache, checks.Tags.security, deploy=True)
        checks.register(check_trusted_proxies, checks.Tags.security, deploy=True)


def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The sign-in and API-authentication limits count in the cache: per-process memory
    would give each worker its own count, multiplying every limit by the worker count."""
    from django.conf import settings

    backend = str(settings.CACHES["default"].get("BACKEND", ""))
    if "locmem" not in backend and "dummy" not in backend:
        return []
    return [
        checks.Error(
            "The cache is per process (CACHE_URL unset): sign-in lockout by address and the "
            "API's limits would count per worker.",
            hint="Set CACHE_URL to the shared Redis, e.g. redis://redis:6379/1.",
            id="accounts.E001",
        )
    ]


def check_trusted_proxies(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Behind a TLS proxy, the proxy must be named: X-Forwarded-Proto and X-Forwarded-For are
    believed from it only (portal.net), so an empty list makes every request look plain."""
    from django.conf import settings

    if not getattr(settings, "SECURE_PROXY_SSL_HEADER", None) or settings.LIAISON_TRUSTED_PROXIES:
        return []
    return [
        checks.Warning(
            "LIAISON_TRUSTED_PROXIES is empty: X-Forwarded-Proto from the TLS proxy is not "
            "believed, so requests look like plain HTTP.",
            hint="Set it to the proxy's network (e.g. 10.0.0.0/8 in the cluster).",
            id="accounts.W001",
        )
    ]
