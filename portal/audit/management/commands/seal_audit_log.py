"""``manage.py seal_audit_log``: chain every committed, unsealed access event now.

Normally the worker does this within seconds; use it when no worker runs (maintenance)
or before ``verify_audit_log`` when the verdict must cover the very latest events.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.audit.chain import chain_seal


class Command(BaseCommand):
    help = "Seal every committed, unsealed access event."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while sealed := chain_seal():
            total += sealed
        self.stdout.write(f"sealed {total} event(s)")
