"""``manage.py disclosure_tsa``: serve the demo RFC 3161 timestamp authority."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from reports.disclosures.tsa import tsa_server


class Command(BaseCommand):
    help = "Serve the demo RFC 3161 timestamp authority (uses the demo PKI's TSA key)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8103)
        parser.add_argument("--dir", default="", help="PKI folder (default: the configured one).")

    def handle(self, *args: Any, **options: Any) -> None:
        server = tsa_server(
            Path(options["dir"] or settings.LIAISON_DISCLOSURE_PKI_DIR),
            options["host"],
            options["port"],
        )
        host, port = server.server_address[:2]
        self.stdout.write(f"Timestamp authority at http://{host!s}:{port}/ (Ctrl-C stops).")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
