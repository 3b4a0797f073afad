"""``manage.py build_pdq_index``: build the PDQ index generation now (also run by Celery
when the delta of new hashes grows large, and after large imports)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reports.matching.index_store import pdq_index_build


class Command(BaseCommand):
    help = "Build a new generation of the shared PDQ index from every PDQ hash entry."

    def handle(self, *args: Any, **options: Any) -> None:
        result = pdq_index_build()
        if result is None:
            self.stdout.write("Another build is running; nothing done.")
            return
        self.stdout.write(
            f"{result.generation}: {result.count} PDQ hashes in {result.seconds:.1f} s"
        )
