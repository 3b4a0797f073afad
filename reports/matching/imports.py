"""Importing a file into a hash list: check every row, then merge in one transaction.

Two phases so that 10 million rows neither hold a transaction open while Python parses
them nor leave half a list behind: (1) parse and check the file into a temporary TSV file,
writing progress to the job row as it goes (committed, so the UI sees it); (2) in one
transaction, ``COPY`` the TSV into a temporary table and merge it into the entries with
one ``INSERT … ON CONFLICT`` (idempotent: a row already there with the same quality and
label is kept, one with a changed label or quality is updated). A failure in phase 2 rolls
the whole import back. Refused rows are reported with their line numbers and never stop the
valid ones, unless ``strict`` asks for all or nothing.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.audit.services import access_event_record
from reports.matching import formats
from reports.matching.models import HashList, ImportJob

REFUSALS_KEPT = 1000  # the first refusals are listed; all are counted
PROGRESS_EVERY = 1.0  # seconds between progress writes


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    kept: int = 0
    removed: int = 0
    refused: int = 0
    refusals: list[formats.Refusal] = field(default_factory=list)
    committed: bool = True  # False: strict and some rows refused, nothing written


def _tsv(text: str) -> str:
    """Labels are short free text; a tab, newline or backslash would break COPY's format."""
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def hash_list_import(
    *,
    hash_list: HashList,
    stream: IO[str],
    file_format: str,
    actor: User | None,
    actor_label: str = "",
    replace: bool = False,
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    position: Callable[[], int] | None = None,
    merging: Callable[[], None] | None = None,
) -> ImportResult:
    """Import ``stream`` into ``hash_list``; returns what was added, updated, kept, removed
    and refused. ``replace`` also removes entries the file no longer has (a full sync);
    ``strict`` writes nothing when any row is refused. Raises ``formats.FileRefused`` when
    the file as a whole cannot be read.
    """
    result = ImportResult()
    valid = 0
    last = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as tsv:
        for item in formats.rows_parse(
            stream, file_format=file_format, allowed_labels=hash_list.labels
        ):
            if isinstance(item, formats.Refusal):
                result.refused += 1
                if len(result.refusals) < REFUSALS_KEPT:
                    result.refusals.append(item)
                continue
            quality = "\\N" if item.quality is None else str(item.quality)
            tsv.write(
                f"{item.hash_type}\t{item.value}\t{quality}\t{_tsv(item.label)}\t{item.line}\n"
            )
            valid += 1
            if progress is not None and position is not None and valid % 10000 == 0:
                now = time.monotonic()
                if now - last >= PROGRESS_EVERY:
                    progress(position())
                    last = now
        if strict and result.refused:
            result.committed = False
            return result
        tsv.seek(0)
        if merging is not None:
            merging()
        with transaction.atomic():
            _merge(hash_list=hash_list, tsv=tsv, valid=valid, replace=replace, result=result)
            changed = result.added + result.updated + result.removed
            if changed:
                HashList.objects.filter(pk=hash_list.pk).update(revision=F("revision") + 1)
            access_event_record(
                action="hash_list_import",
                actor=actor,
                actor_label=actor_label,
                obj=hash_list,
                details={
                    "format": file_format,
                    "added": result.added,
                    "updated": result.updated,
                    "kept": result.kept,
                    "removed": result.removed,
                    "refused": result.refused,
                    "replace": replace,
                },
            )
    return result


def _merge(
    *, hash_list: HashList, tsv: IO[str], valid: int, replace: bool, result: ImportResult
) -> None:
    """COPY the checked rows in and merge them into the list's entries (one statement)."""
    with connection.cursor() as cursor:
        # Dropped at commit; and here, for an import nested in an outer transaction.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.matching_import, pg_temp.matching_import_u")
        cursor.execute(
            "CREATE TEMP TABLE matching_import (hash_type text, value text, quality smallint,"
            " label text, line bigint) ON COMMIT DROP"
        )
        with cursor.copy("COPY matching_import FROM STDIN") as copy:
            while chunk := tsv.read(1 << 20):
                copy.write(chunk)
        # The last line of a hash wins when a file names it twice.
        cursor.execute(
            "CREATE TEMP TABLE matching_import_u ON COMMIT DROP AS"
            " SELECT DISTINCT ON (hash_type, value) hash_type, value, quality, label"
            " FROM matching_import ORDER BY hash_type, value, line DESC"
        )
        cursor.execute(
            """
            WITH merged AS (
              INSERT INTO matching_hashentry (hash_list_id, hash_type, value, quality, label,
                                              created_at)
              SELECT %s, hash_type, value, quality, label, now() FROM matching_import_u
              ON CONFLICT (hash_list_id, hash_type, value) DO UPDATE
                 SET quality = EXCLUDED.quality, label = EXCLUDED.label
               WHERE (matching_hashentry.quality, matching_hashentry.label)
                     IS DISTINCT FROM (EXCLUDED.quality, EXCLUDED.label)
              RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
              FROM merged
            """,
            [hash_list.pk],
        )
        result.added, result.updated = cursor.fetchone()
        result.kept = valid - result.added - result.updated
        if replace:
            cursor.execute("CREATE INDEX ON matching_import_u (value, hash_type)")
            gone = """SELECT e.id FROM matching_hashentry e WHERE e.hash_list_id = %s
                      AND NOT EXISTS (SELECT 1 FROM matching_import_u u
                                      WHERE u.value = e.value AND u.hash_type = e.hash_type)"""
            # The hits and allow-list rows of removed entries: the hits keep their facts
            # (list, label, hash) without the entry; an allowance for a gone entry goes.
            cursor.execute(
                f"UPDATE matching_matchhit SET entry_id = NULL WHERE entry_id IN ({gone})",  # noqa: S608
                [hash_list.pk],
            )
            cursor.execute(
                f"DELETE FROM matching_allowedhash WHERE entry_id IN ({gone})",  # noqa: S608
                [hash_list.pk],
            )
            cursor.execute(
                f"DELETE FROM matching_hashentry WHERE id IN ({gone})",  # noqa: S608
                [hash_list.pk],
            )
            result.removed = cursor.rowcount


def _job_merging(job: ImportJob) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.MERGING, bytes_done=job.bytes_total
    )


def import_job_run(*, job: ImportJob) -> ImportResult | None:
    """Run a queued import job (the Celery task calls this). Idempotent: a job that is not
    queued any more (run by another worker, or finished) is left alone and None returned."""
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.PARSING
    )
    if claimed != 1:
        return None
    job.refresh_from_db()
    try:
        with job.file.open("rb") as binary:
            stream = formats.text_stream(binary)
            file_format = job.file_format
            if file_format == "auto":
                head = stream.read(4096)
                stream.seek(0)
                file_format = formats.format_guess(job.file_name, head)

            def progress(done: int) -> None:
                ImportJob.objects.filter(pk=job.pk).update(bytes_done=done)

            result = hash_list_import(
                hash_list=job.hash_list,
                stream=stream,
                file_format=file_format,
                actor=job.created_by,
                actor_label="" if job.created_by else "import job",
                replace=job.replace,
                progress=progress,
                position=binary.tell,
                merging=lambda: _job_merging(job),
            )
    except (formats.FileRefused, UnicodeDecodeError) as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            error=str(exc)[:500] or _("The file is not UTF-8 text."),
            finished_at=timezone.now(),
        )
        return None
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        bytes_done=job.bytes_total,
        added=result.added,
        updated=result.updated,
        kept=result.kept,
        removed=result.removed,
        refused=result.refused,
        refused_lines=[[r.line, r.reason] for r in result.refusals],
        finished_at=timezone.now(),
        file="",
    )
    job.file.delete(save=False)  # the entries are the record; the upload was a carrier
    return result
