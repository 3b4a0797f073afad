"""Bootstrap a second factor for a user from the command line (the first admin, scripts)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.accounts.models import User
from portal.accounts.services import totp_device_create_confirmed


class Command(BaseCommand):
    help = "Create a TOTP device for USERNAME and print its otpauth:// URI once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="Enrolled by operator")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        device = totp_device_create_confirmed(user=user, name=name)
        self.stdout.write(device.config_url)
