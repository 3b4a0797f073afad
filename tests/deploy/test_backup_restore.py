"""Backup and restore, end to end on the real PostgreSQL: nothing is lost.

Cases with legal process documents and an attachment are made through the real services
(the access log records them), the log is sealed, and the database is copied to a scratch
database: the one the operator's scripts then back up (``deploy/backup/backup.sh``), drop
with its evidence folder, and restore (``deploy/backup/restore.sh``, which itself runs
``verify_audit_log`` and ``storage_verify``). The test then reads the restored database
and folder itself: every case, every file with its bytes, the same chain head.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from cases.models import Attachment, Case, LegalProcess
from cases.services import attachment_add
from portal.audit.chain import TABLE, chain_head, chain_seal
from tests.cases.documents import pdf_bytes, upload
from tests.cases.factories import intake
from tests.deploy.pg import database_url

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup"

# On the embedded server and again on the machine's PostgreSQL (CI: -m server).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


def admin_conn() -> psycopg.Connection:
    """Autocommit connection to the server's maintenance database (CREATE/DROP DATABASE)."""
    return psycopg.connect(database_url(connection.settings_dict, name="postgres"), autocommit=True)


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(BACKUP / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_drop_restore_brings_everything_back(responder, settings, tmp_path):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    # GIVEN two cases with their warrants and an attachment, all in the sealed access log
    first = intake(responder, document=upload("warrant-a.pdf", pdf_bytes("Warrant A")))
    intake(responder, document=upload("warrant-b.pdf", pdf_bytes("Warrant B")))
    attachment_add(
        case=first, actor=responder, file=upload("reply.pdf", pdf_bytes("Reply"), "application/pdf")
    )
    chain_seal()
    references = sorted(Case.objects.values_list("reference", flat=True))
    names = sorted(
        [str(n) for n in LegalProcess.objects.values_list("document", flat=True)]
        + [str(n) for n in Attachment.objects.values_list("file", flat=True)]
    )
    files = {name: sha256(media / name) for name in names}
    assert len(files) == 3
    head = chain_head()
    assert head.seq > 0

    # ... copied to the scratch database the scripts work on
    scratch = f"liaison_restore_{uuid.uuid4().hex[:10]}"
    source = connection.settings_dict["NAME"]
    connection.close()
    with admin_conn() as admin:
        admin.execute(f'CREATE DATABASE "{scratch}" TEMPLATE "{source}"')
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict, name=scratch),
        "MEDIA_ROOT": str(media),
        "PYTHON": sys.executable,
        "LIAISON_AUDIT_SEAL_ON_COMMIT": "false",
    }
    try:
        # WHEN it is backed up, then lost (database dropped, evidence folder gone) ...
        backup = run("backup.sh", str(tmp_path / "backups"), env=env)
        assert backup.returncode == 0, backup.stderr + backup.stdout
        (folder,) = (tmp_path / "backups").iterdir()
        assert {p.name for p in folder.iterdir()} == {"database.dump", "storage", "SHA256SUMS"}
        with admin_conn() as admin:
            admin.execute(f'DROP DATABASE "{scratch}"')
            admin.execute(f'CREATE DATABASE "{scratch}"')
        shutil.rmtree(media)

        # ... and restored
        restore = run("restore.sh", str(folder), env=env)
        assert restore.returncode == 0, restore.stderr + restore.stdout

        # THEN the scripts' own checks passed: the chain is intact, every file is there
        assert "access log intact" in restore.stdout
        assert "storage complete: 3 files referenced, all present" in restore.stdout
        # ... and every case, every file (same bytes) and the same chain head are back
        with psycopg.connect(env["DATABASE_URL"]) as restored:
            back = sorted(
                row[0]
                for row in restored.execute(f"SELECT reference FROM {Case._meta.db_table}")  # noqa: S608
            )
            seq, hash_ = restored.execute(
                f"SELECT seq, hash FROM {TABLE} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"  # noqa: S608
            ).fetchone()
        assert back == references
        assert (seq, hash_) == (head.seq, head.hash)
        assert {name: sha256(media / name) for name in names} == files

        # A second restore over the now populated database is refused, not merged.
        again = run("restore.sh", str(folder), env=env)
        assert again.returncode == 1
        assert "refusing to restore" in again.stderr
    finally:
        with admin_conn() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def test_restore_stops_at_a_damaged_backup(responder, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    folder = tmp_path / "backup"
    (folder / "storage").mkdir(parents=True)
    (folder / "database.dump").write_bytes(b"not a dump")
    (folder / "storage" / "MANIFEST.sha256").write_text("")
    sums = [f"{sha256(folder / n)}  {n}" for n in ("database.dump", "storage/MANIFEST.sha256")]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")  # as backup.sh writes it
    (folder / "database.dump").write_bytes(b"not a dump, altered")  # damaged after the fact
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "PYTHON": sys.executable,
    }
    result = run("restore.sh", str(folder), env=env)
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr  # sha256sum names the damaged file
