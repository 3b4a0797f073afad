"""``manage.py storage_verify``: every file the database names is in its storage, unaltered.

Exit status 1 lists what is missing or no longer matches the SHA-256 in its name. Run it
after a restore (``deploy/backup/restore.sh`` does) and from time to time.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.backup import storage_verify


class Command(BaseCommand):
    help = "Check that every file referenced by the database is in its storage."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-hashes", action="store_true", help="only check presence (faster)")

    def handle(self, *args: Any, no_hashes: bool, **options: Any) -> None:
        result = storage_verify(hashes=not no_hashes)
        for name in result.missing:
            self.stderr.write(f"missing: {name}")
        for name in result.altered:
            self.stderr.write(f"altered: {name}")
        if not result.ok:
            raise CommandError(
                f"{len(result.missing)} missing, {len(result.altered)} altered "
                f"of {result.referenced} files",
                returncode=1,
            )
        self.stdout.write(f"storage complete: {result.referenced} files referenced, all present")
