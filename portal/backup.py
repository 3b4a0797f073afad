"""Backup and restore of the evidence storage, and a check that every stored file is there.

The database is dumped with ``pg_dump`` (``deploy/backup/backup.sh``); the files it refers to
(legal process, attachments, productions, CyberTipline archives) live in the default
Django storage: a directory, or an S3-compatible bucket. These functions copy that storage
to a plain directory and back through the storage API, so one procedure serves both, and
write a manifest of SHA-256 sums that the restore checks every file against.

Order matters: ``backup.sh`` dumps the database *first*. A file is stored before the
transaction that refers to it commits, so every file the dump names is already in the
storage when it is copied afterwards; the copy may hold a few newer files too (harmless).

``storage_verify`` walks every ``FileField`` of every model and reports each file the
database names that its storage does not have (or whose content no longer matches the
SHA-256 its content-addressed name carries). After a restore it proves nothing is lost.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import models

MANIFEST = "MANIFEST.sha256"
CHUNK = 1024 * 1024
# Content-addressed names (cases.uploads and the reports apps): .../<sha256>.<ext>
_HASHED_NAME = re.compile(r"(?:^|/)([0-9a-f]{64})(?:\.[A-Za-z0-9]+)?$")


@dataclass
class StorageCopy:
    files: int = 0
    bytes: int = 0
    skipped: int = 0  # restore: already present with the same content
    problems: list[str] = field(default_factory=list)


def storage_walk(storage: Storage, top: str = "") -> Iterator[str]:
    """Every file name in the storage, depth first, in a stable order."""
    directories, files = storage.listdir(top)
    for name in sorted(files):
        yield f"{top}/{name}" if top else name
    for directory in sorted(directories):
        yield from storage_walk(storage, f"{top}/{directory}" if top else directory)


def _sha256_of(handle: File) -> str:
    digest = hashlib.sha256()
    for chunk in handle.chunks(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def storage_backup(*, target: Path, storage: Storage | None = None) -> StorageCopy:
    """Copy every file of the storage into ``target`` and write its manifest."""
    storage = storage or default_storage
    target.mkdir(parents=True, exist_ok=True)
    result = StorageCopy()
    lines: list[str] = []
    for name in storage_walk(storage):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with storage.open(name, "rb") as source, open(destination, "wb") as out:
            for chunk in source.chunks(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        result.files += 1
        result.bytes += destination.stat().st_size
        lines.append(f"{digest.hexdigest()}  {name}")
    (target / MANIFEST).write_text("\n".join(lines) + ("\n" if lines else ""))
    return result


def manifest_read(source: Path) -> list[tuple[str, str]]:
    """``(sha256, name)`` pairs of a backup's manifest; names never leave the backup."""
    pairs = []
    for line in (source / MANIFEST).read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split("  ", 1)
        if name.startswith("/") or ".." in Path(name).parts:
            raise ValueError(f"unsafe name in manifest: {name!r}")
        pairs.append((digest, name))
    return pairs


def storage_restore(*, source: Path, storage: Storage | None = None) -> StorageCopy:
    """Put every file of the backup back (checked against the manifest), never overwriting.

    A file already in the storage with the same content is skipped; one with different
    content is a problem to report, never replaced (stored files are immutable evidence).
    """
    storage = storage or default_storage
    result = StorageCopy()
    for digest, name in manifest_read(source):
        path = source / name
        with open(path, "rb") as handle:
            if _sha256_of(File(handle)) != digest:
                result.problems.append(f"{name}: backup copy does not match its manifest")
                continue
        if storage.exists(name):
            with storage.open(name, "rb") as present:
                if _sha256_of(present) == digest:
                    result.skipped += 1
                else:
                    result.problems.append(f"{name}: a different file is stored under this name")
            continue
        with open(path, "rb") as handle:
            saved = storage.save(name, File(handle))
        if saved != name:
            result.problems.append(f"{name}: storage saved it as {saved}")
            continue
        local = _local_path(storage, name)
        if local:
            os.chmod(local, 0o444)  # as cases.uploads leaves stored files: read-only
        result.files += 1
        result.bytes += path.stat().st_size
    return result


def _local_path(storage: Storage, name: str) -> str | None:
    try:
        return storage.path(name)
    except NotImplementedError:
        return None


@dataclass
class StorageCheck:
    referenced: int = 0
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.altered


def file_fields() -> Iterator[tuple[type[models.Model], models.FileField]]:
    for model in apps.get_models():
        for model_field in model._meta.get_fields():
            if isinstance(model_field, models.FileField):
                yield model, model_field


def storage_verify(*, hashes: bool = True) -> StorageCheck:
    """Every file the database refers to is in its storage (and, by name, unaltered)."""
    result = StorageCheck()
    for model, model_field in file_fields():
        names = (
            model._default_manager.exclude(**{model_field.name: ""})
            .exclude(**{f"{model_field.name}__isnull": True})
            .values_list(model_field.name, flat=True)
            .iterator()
        )
        storage = model_field.storage
        label = f"{model._meta.label}.{model_field.name}"
        for name in names:
            result.referenced += 1
            if not storage.exists(name):
                result.missing.append(f"{label}: {name}")
                continue
            match = _HASHED_NAME.search(name)
            if hashes and match:
                with storage.open(name, "rb") as handle:
                    if _sha256_of(handle) != match.group(1):
                        result.altered.append(f"{label}: {name}")
    return result
