"""``manage.py storage_backup --to DIR``: copy the evidence storage into a directory.

Run after ``pg_dump`` (``deploy/backup/backup.sh`` does both, in that order); see
``portal.backup`` for why the order matters and what the manifest holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.backup import MANIFEST, storage_backup


class Command(BaseCommand):
    help = "Copy every file of the default storage into a directory, with a SHA-256 manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", dest="target", type=Path, required=True, metavar="DIR")

    def handle(self, *args: Any, target: Path, **options: Any) -> None:
        result = storage_backup(target=target)
        self.stdout.write(
            f"storage backed up: {result.files} files, {result.bytes} bytes, "
            f"manifest {target / MANIFEST}"
        )
