"""Register an agency (bulk onboarding by an operator), audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.accounts.models import Agency
from portal.accounts.onboarding import agency_create


class Command(BaseCommand):
    help = "Create an agency with its verified e-mail domains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-2, e.g. US")
        parser.add_argument(
            "--domain",
            action="append",
            required=True,
            dest="domains",
            help="A verified e-mail domain of the agency (repeat for several).",
        )
        parser.add_argument("--subdivision", default="", help="ISO 3166-2, e.g. US-CA")
        parser.add_argument("--kind", default=Agency.Kind.LOCAL, choices=Agency.Kind.values)
        parser.add_argument(
            "--phone", default="", help="Switchboard number from an independent directory."
        )

    def handle(
        self,
        *args: Any,
        name: str,
        country: str,
        domains: list[str],
        subdivision: str,
        kind: str,
        phone: str,
        **options: Any,
    ) -> None:
        if Agency.objects.filter(name__iexact=name.strip()).exists():
            raise CommandError(f"An agency named {name!r} exists.")
        try:
            agency = agency_create(
                name=name,
                country=country,
                domains=domains,
                subdivision=subdivision,
                kind=kind,
                directory_phone=phone,
                actor_label="manage.py create_agency",
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"Agency {agency.name} ({agency.country}) created, domains: "
            f"{', '.join(agency.email_domains)}."
        )
