"""``manage.py disclosure_demo_pki``: the demo CA, signer and TSA certificates under var/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from reports.disclosures.pki import DemoPki, demo_crl_expiring, demo_crl_issue, demo_pki_create


class Command(BaseCommand):
    help = "Create the demo PKI (root CA, its CRL, custodian signing certificate, TSA) if missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default="", help="Folder (default: the configured one).")
        parser.add_argument("--force", action="store_true", help="Replace an existing PKI.")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["dir"] or settings.LIAISON_DISCLOSURE_PKI_DIR)
        pki = DemoPki(directory)
        if pki.path("ca.key").exists() and not options["force"] and demo_crl_expiring(directory):
            demo_crl_issue(directory)  # the CRL goes stale; the keys do not
            self.stdout.write(f"Fresh demo CRL written to {pki.path('ca.crl')}.")
        if pki.complete and not options["force"]:
            self.stdout.write(f"Demo PKI already in {directory}.")
            return
        custodian = settings.LIAISON_DISCLOSURE_CUSTODIAN
        organisation = settings.LIAISON_DISCLOSURE_LETTERHEAD["name"]
        demo_pki_create(
            directory,
            organisation=organisation,
            signer_name=f"{custodian['name']}, {custodian['title']}",
        )
        self.stdout.write(f"Demo PKI written to {directory} (not for production).")
