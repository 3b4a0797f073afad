"""``manage.py verify_disclosure FILE``: the verify endpoint's answer, for an operator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.services import access_event_record
from reports.disclosures.verify import disclosure_verify


class Command(BaseCommand):
    help = "Verify a disclosure PDF or delivery ZIP: signature, signer, time, production, files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help="Print the answer as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        verdict = disclosure_verify(path.read_bytes(), user=None)
        access_event_record(
            action="disclosure_verify",
            actor_label="manage.py verify_disclosure",
            object_type="disclosures.verification",
            case_reference=(verdict.production or {}).get("request", ""),
            details={"ok": verdict.ok, "pdf_sha256": verdict.pdf_sha256},
        )
        if options["json"]:
            self.stdout.write(json.dumps(verdict.as_dict(), indent=2))
        else:
            self._print(verdict)
        if not verdict.ok:
            raise CommandError("NOT VALID: " + ", ".join(verdict.problems or ["see above"]))

    def _print(self, verdict: Any) -> None:
        line = self.stdout.write
        line(f"container:   {verdict.container}")
        line(f"signed:      {verdict.signed}")
        line(f"intact:      {verdict.intact}")
        line(f"whole file:  {verdict.whole_file}")
        line(f"trusted:     {verdict.trusted}")
        line(f"signer:      {verdict.signer} ({verdict.signer_organisation})")
        line(f"signed at:   {verdict.signed_at}")
        line(f"timestamp:   {verdict.timestamp or '-'}")
        line(f"pdf sha256:  {verdict.pdf_sha256}")
        production = verdict.production or {}
        reference, request = production.get("reference", "-"), production.get("request", "-")
        line(f"production:  {reference} (request {request})")
        if verdict.files is not None:
            f = verdict.files
            line(f"files:       {f.matching}/{f.checked} match the manifest")
            for label, names in (
                ("missing", f.missing),
                ("changed", f.mismatched),
                ("unlisted", f.unlisted),
            ):
                for name in names:
                    line(f"  {label}: {name}")
        if verdict.ok:
            self.stdout.write(self.style.SUCCESS("VALID"))
