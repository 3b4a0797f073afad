"""``manage.py audit_checkpoint``: seal, then export today's signed head hash.

Beat runs the same every night (``audit_checkpoint_write``); run it by hand before a
backup, an upgrade or a handover. Copy the file somewhere the database's admins cannot
write (docs/audit.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.audit.chain import chain_seal
from portal.audit.checkpoint import checkpoint_write


class Command(BaseCommand):
    help = "Seal the access log and write today's signed checkpoint of its head hash."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=None, help="directory to write to")
        parser.add_argument(
            "--force", action="store_true", help="replace today's checkpoint if it exists"
        )

    def handle(self, *args: Any, dir: Path | None, force: bool, **options: Any) -> None:
        sealed = chain_seal()
        checkpoint = checkpoint_write(directory=dir, force=force)
        payload = checkpoint.payload
        verb = "wrote" if checkpoint.created else "kept existing"
        unsigned = "" if payload.get("hmac_sha256") else " UNSIGNED"
        self.stdout.write(
            f"{verb}{unsigned} {checkpoint.path}: seq {payload['seq']} hash {payload['hash']}"
            f" ({sealed} event(s) sealed first)"
        )
        if unsigned:
            self.stderr.write("warning: set LIAISON_AUDIT_CHECKPOINT_KEY to sign checkpoints")
