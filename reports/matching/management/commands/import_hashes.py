"""``manage.py import_hashes FILE --list NAME``: import a hash file into a list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from reports.matching import formats
from reports.matching.imports import hash_list_import
from reports.matching.models import ImportJob
from reports.matching.services import hash_list_ensure


class Command(BaseCommand):
    help = (
        "Import hashes from a CSV file with a header naming its columns (md5, sha1, sha256, "
        "pdq, quality, label), JSON lines with the same keys, or the hasher-matcher-actioner "
        "file exchange format ('pdq <hex>' lines). Re-importing is idempotent. Prints how "
        "many rows were added, kept and refused, with the line numbers of refused rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--list", dest="list_name", required=True)
        parser.add_argument("--format", choices=("auto", *formats.FORMATS), default="auto")
        parser.add_argument("--source", default=None, help="who publishes the list")
        parser.add_argument("--list-version", dest="list_version", default=None)
        parser.add_argument("--labels", default=None, help="the list's labels, comma-separated")
        parser.add_argument("--threshold", type=int, default=None, help="PDQ distance")
        parser.add_argument("--review-only", action="store_true", help="hits go to review")
        parser.add_argument(
            "--replace", action="store_true", help="remove entries the file no longer has"
        )
        parser.add_argument(
            "--strict", action="store_true", help="import nothing when any row is refused"
        )
        parser.add_argument(
            "--background", action="store_true", help="queue a Celery job and return"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        labels = None
        if options["labels"] is not None:
            labels = [x.strip() for x in options["labels"].split(",") if x.strip()]
        try:
            hash_list, created = hash_list_ensure(
                name=options["list_name"],
                source=options["source"],
                version=options["list_version"],
                labels=labels,
                pdq_threshold=options["threshold"],
                review_only=options["review_only"] or None,
                actor=None,
                actor_label="manage.py import_hashes",
            )
        except Exception as exc:  # ValidationError: bad name or threshold
            raise CommandError(str(exc)) from exc
        if created:
            self.stdout.write(f"Created list {hash_list.name}.")
        file_format = options["format"]
        if options["background"]:
            from reports.matching.tasks import import_job_queue

            with transaction.atomic(), path.open("rb") as fh:
                job = ImportJob(
                    hash_list=hash_list,
                    file_name=path.name[:200],
                    file_format=file_format,
                    replace=options["replace"],
                    bytes_total=path.stat().st_size,
                )
                job.file.save(path.name, File(fh), save=False)
                job.save()
                import_job_queue(job=job)
            self.stdout.write(f"Queued import job {job.pk}.")
            return
        with path.open("rb") as binary:
            stream = formats.text_stream(binary)
            if file_format == "auto":
                head = stream.read(4096)
                stream.seek(0)
                file_format = formats.format_guess(path.name, head)
            try:
                result = hash_list_import(
                    hash_list=hash_list,
                    stream=stream,
                    file_format=file_format,
                    actor=None,
                    actor_label="manage.py import_hashes",
                    replace=options["replace"],
                    strict=options["strict"],
                )
            except formats.FileRefused as exc:
                raise CommandError(str(exc)) from exc
            except UnicodeDecodeError as exc:
                raise CommandError("The file is not UTF-8 text.") from exc
        for refusal in result.refusals:
            self.stdout.write(f"line {refusal.line}: refused: {refusal.reason}")
        if result.refused > len(result.refusals):
            self.stdout.write(f"... and {result.refused - len(result.refusals)} more refused")
        if not result.committed:
            self.stdout.write(f"Nothing imported (--strict): {result.refused} rows refused.")
            raise CommandError("Rows refused; nothing imported.")
        self.stdout.write(
            f"{hash_list.name} ({file_format}): added {result.added}, updated {result.updated}, "
            f"kept {result.kept}, removed {result.removed}, refused {result.refused}"
        )
