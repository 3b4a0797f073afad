"""``manage.py export_disclosure <case reference> --out DIR``: the released, signed PDFs and
ZIPs of a case, e.g. for a court or a records request. Each export is logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import Case
from portal.audit.models import Action
from portal.audit.services import access_event_record
from reports.disclosures.models import PackageStatus
from reports.disclosures.selectors import released_of


class Command(BaseCommand):
    help = "Write the released signed PDF(s) and ZIP(s) of a case to a folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference")
        parser.add_argument("--out", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        case = Case.objects.filter(reference=options["reference"].strip().upper()).first()
        if case is None:
            raise CommandError("No such case.")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        written = 0
        for disclosure in released_of(case):
            package = getattr(disclosure, "package", None)
            if package is None or package.status != PackageStatus.DONE:
                self.stderr.write(f"{disclosure.reference}: not rendered yet, skipped")
                continue
            for stored, suffix in ((package.pdf_file, ".pdf"), (package.zip_file, ".zip")):
                target = out / f"{disclosure.reference}{suffix}"
                with default_storage.open(stored.name, "rb") as source:
                    target.write_bytes(source.read())
                self.stdout.write(str(target))
                written += 1
            access_event_record(
                action=Action.EXPORT,
                actor_label="manage.py export_disclosure",
                obj=disclosure,
                case_reference=case.reference,
                details={"pdf_sha256": package.pdf_sha256, "zip_sha256": package.zip_sha256},
            )
        if not written:
            raise CommandError("The case has no rendered released disclosure.")
