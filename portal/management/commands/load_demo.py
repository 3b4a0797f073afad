"""Load the demo data of every app that has a ``demo`` module, then print the logins.

Apps are visited in INSTALLED_APPS order, which follows the dependency direction
(portal -> cases -> reports); each app's ``load_demo(context)`` adds what later apps need.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create or reset fictitious demo data and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded when LIAISON_ENV=production.")
        context: dict[str, Any] = {}
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            module.load_demo(context)
        self._print_logins(context)

    def _print_logins(self, context: dict[str, Any]) -> None:
        out = self.stdout
        out.write("")
        out.write(f"Demo logins (password for all: {context.get('password', '?')})")
        out.write("Second factor: a code from `oathtool --totp -b SECRET` (or any TOTP app")
        out.write("given the secret), or one of the single-use backup codes.")
        out.write("")
        header = f"{'username':<12} {'roles':<14} {'TOTP secret':<34} backup codes"
        out.write(header)
        out.write("-" * len(header))
        for login in context.get("logins", []):
            roles = ",".join(str(r) for r in login["roles"])
            codes = " ".join(login["codes"][:3])
            out.write(f"{login['username']:<12} {roles:<14} {login['secret']:<34} {codes}")
        out.write("")
        for hint in context.get("hints", []):
            out.write(hint)
        if context.get("hints"):
            out.write("")
