"""``manage.py issue_service_token NAME --scopes match``: a credential for a machine caller."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.matching.credentials import service_credential_issue


class Command(BaseCommand):
    help = (
        "Issue a service credential (not an officer token) for a machine caller such as the "
        "upload pipeline, and print it once. Scopes: match."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--scopes", required=True, help="comma-separated, e.g. match")
        parser.add_argument("--days", type=int, default=None, help="lifetime (default: none)")

    def handle(self, *args: Any, **options: Any) -> None:
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        try:
            issued = service_credential_issue(
                name=options["name"],
                scopes=scopes,
                days=options["days"],
                actor_label="manage.py issue_service_token",
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(issued.plaintext)
        self.stderr.write(
            f"Issued {issued.credential} with scopes {', '.join(issued.credential.scopes)}. "
            "Store it now: it is not shown again."
        )
