"""Issue an API token for an officer from the command line and print it, the only time."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.accounts.models import ApiToken, User
from portal.accounts.tokens import api_token_issue


class Command(BaseCommand):
    help = "Issue an API token for USERNAME (a verified officer) and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=settings.LIAISON_API_TOKEN_DAYS,
            help="Lifetime in days (default %(default)s).",
        )
        parser.add_argument(
            "--scopes",
            default=ApiToken.Scope.READ,
            help="Comma-separated: read, submit (default read).",
        )
        parser.add_argument("--name", default="Issued by operator")

    def handle(
        self, *args: Any, username: str, days: int, scopes: str, name: str, **options: Any
    ) -> None:
        user = User.objects.select_related("officer__agency").filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            issued = api_token_issue(
                user=user,
                name=name,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                days=days,
                actor_label="manage.py issue_api_token",
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        token = issued.token
        self.stderr.write(
            f"Token {token.name!r} for {username}, scopes {','.join(token.scopes)}, "
            f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}. It is shown only now:"
        )
        self.stdout.write(issued.plaintext)
