"""Configuration checks (``manage.py check``) for the webhook channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from portal.notifications import conf


@register()
def webhook_configuration(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """A webhook without a secret cannot be verified; over plain HTTP it can be read."""
    url = conf.webhook_url()
    if not url:
        return []
    problems: list[CheckMessage] = []
    if urlsplit(url).scheme not in {"http", "https"}:
        problems.append(
            Error("LIAISON_WEBHOOK_URL must be an http(s) URL.", id="notifications.E001")
        )
    elif getattr(settings, "PRODUCTION", False) and urlsplit(url).scheme != "https":
        problems.append(
            Warning("LIAISON_WEBHOOK_URL should use https in production.", id="notifications.W002")
        )
    if not conf.webhook_secret():
        problems.append(
            Warning(
                "LIAISON_WEBHOOK_URL is set without LIAISON_WEBHOOK_SECRET: requests are unsigned.",
                id="notifications.W001",
            )
        )
    return problems
