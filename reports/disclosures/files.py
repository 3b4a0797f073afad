"""Produced files: what a production may contain and how its records are counted.

Produced records are data exports (CSV, JSON, mail, text, XML, PDF, images, archives of
content), not documents shown in the portal, so the rule differs from ``cases.uploads``:
any type is accepted, because the portal never renders them (downloads are served as
attachments with ``nosniff``), but the name is cleaned for the ZIP and the size is capped.
The bytes go through the same content-addressed, read-only store (``upload_stored``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from cases.uploads import CheckedUpload, _sniff

FOLDER = "disclosures/files"

_TEXT_TYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".eml": "message/rfc822",
    ".mbox": "application/mbox",
    ".zip": "application/zip",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def clean_name(raw: str) -> str:
    """A file name safe inside a ZIP on every system: no folders, no control characters,
    ASCII only (accents folded), at most 120 characters."""
    base = os.path.basename((raw or "").replace("\\", "/")).strip()
    folded = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", folded).strip(" .")
    if not cleaned:
        cleaned = "records"
    stem, ext = os.path.splitext(cleaned)
    return stem[: 120 - len(ext[:12])] + ext[:12]


def count_records(name: str, data: bytes) -> int | None:
    """The records of a CSV (rows after the header) or a JSON array; None: cannot tell."""
    ext = os.path.splitext(name)[1].lower()
    try:
        if ext == ".csv":
            rows = sum(1 for _row in csv.reader(io.StringIO(data.decode("utf-8-sig"))))
            return max(rows - 1, 0)
        if ext == ".json":
            value = json.loads(data)
            return len(value) if isinstance(value, list) else 1
    except (UnicodeDecodeError, ValueError, csv.Error):
        return None
    return None


def produced_check(*, name: str, data: bytes, field: str = "file") -> CheckedUpload:
    """Check one produced file; a ``ValidationError`` keyed by ``field`` says what is wrong."""
    limit = int(settings.LIAISON_DISCLOSURE_FILE_MAX_BYTES)
    if not data:
        raise ValidationError({field: _("The file is empty.")})
    if len(data) > limit:
        raise ValidationError(
            {field: _("The file is larger than the limit of %(mb)s MB.") % {"mb": limit // 2**20}}
        )
    cleaned = clean_name(name)
    sniffed, extension = _sniff(data)
    ext = os.path.splitext(cleaned)[1].lower()
    content_type = sniffed or _TEXT_TYPES.get(ext, "application/octet-stream")
    return CheckedUpload(
        name=cleaned,
        content_type=content_type,
        extension=extension or (ext if ext in _TEXT_TYPES else ".bin"),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def read_upload(upload: UploadedFile, *, field: str = "file") -> bytes:
    limit = int(settings.LIAISON_DISCLOSURE_FILE_MAX_BYTES)
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            {field: _("The file is larger than the limit of %(mb)s MB.") % {"mb": limit // 2**20}}
        )
    return b"".join(upload.chunks())
