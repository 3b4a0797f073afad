"""``manage.py storage_restore --from DIR``: put a storage backup back, checked file by file.

Never overwrites: a file already stored with the same content is skipped, one with other
content is reported. Exit status 1 when anything did not match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.backup import storage_restore


class Command(BaseCommand):
    help = "Restore the default storage from a storage_backup directory (manifest-checked)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR")

    def handle(self, *args: Any, source: Path, **options: Any) -> None:
        result = storage_restore(source=source)
        for problem in result.problems:
            self.stderr.write(f"problem: {problem}")
        if result.problems:
            raise CommandError(f"{len(result.problems)} file(s) not restored", returncode=1)
        self.stdout.write(
            f"storage restored: {result.files} files ({result.bytes} bytes), "
            f"{result.skipped} already present"
        )
