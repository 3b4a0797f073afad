"""``manage.py export_cybertip CS-2026-000123``: the case's report XML on stdout.

Anyone can then check it with ``xmllint --schema reports/cybertip/schema/cyber_tipline.xsd``.
The export is written to the access log (a command, no person signed in). Field problems
are printed to stderr and the command exits non-zero: an invalid report is never printed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import Case
from portal.audit.services import access_event_record
from reports.cybertip.build import report_xml
from reports.cybertip.models import CyberTipReport


class Command(BaseCommand):
    help = "Write the CyberTipline report XML of a child-safety case to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="case reference, e.g. CS-2026-000123")
        parser.add_argument("--report", type=int, help="report id when the case has several")

    def handle(self, *args: Any, **options: Any) -> None:
        reference = options["reference"].strip().upper()
        case = Case.objects.filter(reference=reference).first()
        if case is None:
            raise CommandError(f"No case {reference}.")
        reports = CyberTipReport.objects.filter(case=case).order_by("-created_at", "-pk")
        if options.get("report"):
            reports = reports.filter(pk=options["report"])
        report = reports.first()
        if report is None:
            raise CommandError(f"Case {reference} has no CyberTipline report.")
        try:
            document = report_xml(report)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.stderr.write(f"{field}: {message}")
            raise CommandError("The report is not valid; nothing exported.") from exc
        access_event_record(
            action="export",
            actor_label="manage.py export_cybertip",
            obj=report,
            case_reference=case.reference,
            details={"format": "ncmec-xml"},
        )
        self.stdout.write(document.decode("utf-8"), ending="")
