"""``manage.py export_hashes --list NAME [--format csv|jsonl|hma] [FILE]``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.matching import formats
from reports.matching.models import HashList
from reports.matching.services import hash_list_export


class Command(BaseCommand):
    help = (
        "Export a hash list in the format import_hashes reads (CSV or JSON lines), or in the "
        "hasher-matcher-actioner file exchange format (hma), to FILE or standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-")
        parser.add_argument("--list", dest="list_name", required=True)
        parser.add_argument("--format", choices=formats.FORMATS, default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            hash_list = HashList.objects.get(name=options["list_name"])
        except HashList.DoesNotExist as exc:
            raise CommandError(f"No list named {options['list_name']!r}.") from exc
        if options["file"] == "-":
            written, skipped = hash_list_export(
                hash_list=hash_list,
                out=sys.stdout,
                file_format=options["format"],
                actor_label="manage.py export_hashes",
            )
        else:
            with open(options["file"], "w", encoding="utf-8", newline="") as out:
                written, skipped = hash_list_export(
                    hash_list=hash_list,
                    out=out,
                    file_format=options["format"],
                    actor_label="manage.py export_hashes",
                )
        self.stderr.write(
            f"{written} hashes written, {skipped} skipped (no such type in the format)"
        )
