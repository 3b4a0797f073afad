"""Create a pre-verified officer and print a one-time enrolment link, audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.accounts.enrolment import enrolment_link
from portal.accounts.models import Agency
from portal.accounts.onboarding import officer_create_verified


class Command(BaseCommand):
    help = (
        "Create an officer of AGENCY, verified out of band by the operator, and print a "
        "one-time link to set a password and enrol two-factor sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--agency", required=True, help="The agency's exact name.")
        parser.add_argument("--name", default="", help='"First Last"')
        parser.add_argument("--badge", default="", help="Badge or ID number.")

    def handle(
        self, *args: Any, email: str, agency: str, name: str, badge: str, **options: Any
    ) -> None:
        found = Agency.objects.filter(name=agency).first()
        if found is None:
            raise CommandError(f"No agency named {agency!r}.")
        first, _, last = name.strip().partition(" ")
        try:
            officer = officer_create_verified(
                email=email,
                agency=found,
                first_name=first,
                last_name=last.strip(),
                badge_number=badge,
                actor_label="manage.py create_officer",
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Officer {officer.user.email} of {found.name} created. One-time enrolment link:"
        )
        self.stdout.write(enrolment_link(officer.user))
