"""``manage.py verify_audit_log``: prove the access log was not altered.

Exit status 0: the chain is intact; prints the number of sealed events and the head hash.
Exit status 1: the first bad row is named (altered, removed, inserted or moved), the keyed
anchors do not vouch for the chain (it was re-hashed without the portal's key), or a
checkpoint given with ``--checkpoint`` no longer matches. It seals nothing; it records its
result (``ChainVerification``), which the auditor's access-log page shows.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.chain import chain_verify
from portal.audit.checkpoint import checkpoint_check
from portal.audit.services import chain_verification_record


class Command(BaseCommand):
    help = "Verify the access log's hash chain (and, optionally, exported checkpoints)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            type=Path,
            metavar="FILE",
            help="also check this exported checkpoint file (repeatable)",
        )
        parser.add_argument(
            "--all-checkpoints",
            action="store_true",
            help="also check every checkpoint in LIAISON_AUDIT_CHECKPOINT_DIR",
        )

    def handle(
        self, *args: Any, checkpoint: list[Path], all_checkpoints: bool, **options: Any
    ) -> None:
        started = time.perf_counter()
        report = chain_verify()
        elapsed = time.perf_counter() - started
        head_seq = report.head.seq
        if report.first_bad is not None:
            problem = f"first bad row {report.first_bad.describe()}"
            chain_verification_record(
                intact=False, events=report.count, head_seq=head_seq, problem=problem
            )
            raise CommandError(f"access log TAMPERED: {problem}", returncode=1)
        failures = []
        rate = report.count / elapsed if elapsed > 0 else 0.0
        if report.anchor_problem is not None:
            failures.append(
                f"{report.anchor_problem} (the chain was re-hashed by someone without the "
                "portal's key)"
            )
        else:
            self.stdout.write(
                f"access log intact: {report.count} events, head seq {report.head.seq} "
                f"hash {report.head.hash}, anchored under the portal's key "
                f"({elapsed:.2f} s, {rate:,.0f} events/s)"
            )
        if report.unsealed:
            self.stdout.write(
                f"{report.unsealed} event(s) not sealed yet, oldest "
                f"{report.oldest_unsealed_seconds:.0f} s old"
            )
        files = list(checkpoint)
        if all_checkpoints:
            files += sorted(Path(settings.LIAISON_AUDIT_CHECKPOINT_DIR).glob("*.json"))
        for path in files:
            errors, warnings = checkpoint_check(path)
            for warning in warnings:
                self.stderr.write(f"warning: {warning}")
            failures += errors
            if not errors:
                self.stdout.write(f"checkpoint holds: {path}")
        chain_verification_record(
            intact=not failures,
            events=report.count,
            head_seq=head_seq,
            problem=" | ".join(failures),
        )
        if failures:
            raise CommandError("access log TAMPERED: " + " | ".join(failures), returncode=1)
