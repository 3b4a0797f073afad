"""Uploaded documents: what we accept, how we check it, and how we store it immutably.

Accepted: PDF and common raster images (PNG, JPEG, TIFF, GIF, WebP). The type is decided by
the bytes (magic numbers), never by the file name or the browser's Content-Type, and the
content must parse: a PDF through pyHanko's reader (header, xref, trailer, page tree), an
image through Pillow's ``verify``. SVG and HTML are refused because a browser would run
their scripts. Files are stored under their SHA-256 (content-addressed, never overwritten,
made read-only on a local disk), so a stored document cannot silently change.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

DEFAULT_MAX_BYTES = 25 * 1024 * 1024

_IMAGE_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"II*\x00", "image/tiff", ".tif"),
    (b"MM\x00*", "image/tiff", ".tif"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
)


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check, held in memory until it is stored."""

    name: str
    content_type: str
    extension: str
    size: int
    sha256: str
    data: bytes


def max_upload_bytes() -> int:
    return int(getattr(settings, "LIAISON_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_check(upload: UploadedFile, *, field: str) -> CheckedUpload:
    """Check one upload; a ``ValidationError`` keyed by ``field`` says what is wrong."""
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise _error(field, _too_big(limit))
    data = b"".join(upload.chunks())
    if not data:
        raise _error(field, _("The file is empty."))
    if len(data) > limit:
        raise _error(field, _too_big(limit))
    content_type, extension = _sniff(data)
    if content_type is None:
        accepted = _("Only PDF documents and images (PNG, JPEG, TIFF, GIF, WebP) are accepted.")
        detected = detected_kind(data)
        if detected:
            accepted = _("This file is %(kind)s, not a PDF. %(accepted)s") % {
                "kind": detected,
                "accepted": accepted,
            }
        raise _error(field, accepted)
    problem = _pdf_problem(data) if content_type == "application/pdf" else _image_problem(data)
    if problem and content_type != "application/pdf" and _named_pdf(upload.name):
        # A scan saved as .pdf by renaming: say what it really is before why it fails.
        problem = _("This file is %(kind)s, not a PDF. %(problem)s") % {
            "kind": detected_kind(data),
            "problem": problem,
        }
    if problem:
        raise _error(field, problem)
    name = os.path.basename(upload.name or "document")[:255] or "document"
    return CheckedUpload(
        name=name,
        content_type=content_type,
        extension=extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


@contextlib.contextmanager
def upload_stored(checked: CheckedUpload, *, folder: str) -> Iterator[str]:
    """Store ``checked`` under its hash and yield the storage name.

    If the block raises (the database transaction fails), a file this call created is
    removed again, so a failed intake leaves nothing behind. An identical file already on
    disk is reused, never rewritten.
    """
    name = f"{folder}/{checked.sha256[:2]}/{checked.sha256}{checked.extension}"
    created = False
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(checked.data))
        if saved != name:  # a concurrent writer stored the same bytes first
            default_storage.delete(saved)
        else:
            created = True
            _make_read_only(name)
    try:
        yield name
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                _make_writable(name)
                default_storage.delete(name)
        raise


def _too_big(limit: int) -> str:
    return _("The file is larger than the limit of %(mb)s MB.") % {
        "mb": f"{limit / (1024 * 1024):g}"
    }


def _error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code="upload")]})


def _sniff(data: bytes) -> tuple[str | None, str]:
    if data.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    for signature, content_type, extension in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return content_type, extension
    return None, ""


def _named_pdf(name: str | None) -> bool:
    return os.path.splitext(name or "")[1].lower() == ".pdf"


def detected_kind(data: bytes) -> str:
    """What the bytes are, in words ("a PNG image", "a Word document"), or "" if unknown.

    A refused upload is usually a file renamed to .pdf (issue #9, item 14): saying what it
    really is tells the sender what to convert, where "only PDF" leaves them guessing.
    """
    head = data[:4096]
    for test, kind in _KINDS:
        if test(head):
            return str(kind)
    if _looks_like_text(head):
        return _("a plain text file")
    return ""


def _zip_kind(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)


def _markup(head: bytes, *tags: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return any(tag in start[:1024] for tag in tags)


def _pdf_problem(data: bytes) -> str:
    """Why the PDF cannot be read, or "" when it parses (header, xref, trailer, pages)."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    malformed = _("The PDF is damaged or incomplete and cannot be read.")
    if b"%%EOF" not in data[-2048:]:
        return malformed
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        pages = reader.root["/Pages"]
        count = int(pages["/Count"])
    except (PdfError, KeyError, TypeError, ValueError, AttributeError, IndexError):
        return malformed
    except RecursionError:
        return malformed
    if count < 1:
        return _("The PDF has no pages.")
    active = _pdf_active_content(reader)
    if active:
        return _(
            "The PDF contains %(what)s, which could run on the reader's computer. Print it "
            "to a new PDF (or save it as PDF/A) and upload that copy."
        ) % {"what": ", ".join(active)}
    return ""


# What a PDF may not carry (security review, finding 5): scripts, actions that start
# programs or fetch and submit data, and files hidden inside it. A reader runs them on the
# staff's workstation; the portal never needs any of them.
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "an action that starts a program",
    "/ImportData": "an action that imports data",
    "/SubmitForm": "a form that sends data",
    "/GoToE": "a link into an embedded file",
}
_OBJECT_BUDGET = 200_000  # objects walked at most; more is refused as "damaged"


def _pdf_active_content(reader: object) -> list[str]:
    """Names of active content found in the PDF's object graph (empty: none).

    Walks every object reachable from the document catalog (the objects a reader acts on,
    compressed object streams included, whatever the names' #-escapes), rather than
    searching the bytes, which misses compressed objects and matches text.
    """
    from pyhanko.pdf_utils import generic

    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.root]  # type: ignore[attr-defined]
    walked = 0
    while stack:
        walked += 1
        if walked > _OBJECT_BUDGET:
            found.add(_("too many objects to check"))
            break
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        if isinstance(obj, generic.DictionaryObject):
            if "/JS" in obj or "/JavaScript" in obj:
                found.add(_ACTIVE_ACTIONS["/JavaScript"])
            action = obj.raw_get("/S") if "/S" in obj else None
            if isinstance(action, generic.NameObject) and str(action) in _ACTIVE_ACTIONS:
                found.add(_ACTIVE_ACTIONS[str(action)])
            kind = obj.raw_get("/Type") if "/Type" in obj else None
            if "/EmbeddedFiles" in obj or "/EF" in obj or kind == "/EmbeddedFile":
                found.add("embedded files")
            if "/RichMedia" in obj or kind == "/RichMedia":
                found.add("embedded media")
            stack.extend(obj.raw_get(key) for key in obj if key != "/Parent")
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj.raw_get(i) for i in range(len(obj)))
    return sorted(found)


# Signatures of what people most often rename to .pdf, most specific first. Office Open
# XML files are ZIPs whose first entry names the application's folder or content types.
_KINDS: tuple[tuple[Callable[[bytes], bool], StrPromise], ...] = (
    (lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"), gettext_lazy("a PNG image")),
    (lambda h: h.startswith(b"\xff\xd8\xff"), gettext_lazy("a JPEG image")),
    (lambda h: h[:4] in (b"II*\x00", b"MM\x00*"), gettext_lazy("a TIFF image")),
    (lambda h: h[:6] in (b"GIF87a", b"GIF89a"), gettext_lazy("a GIF image")),
    (lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP", gettext_lazy("a WebP image")),
    (lambda h: h.startswith(b"BM"), gettext_lazy("a BMP image")),
    (lambda h: h[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"), gettext_lazy("a HEIC photo")),
    (lambda h: h[4:8] == b"ftyp", gettext_lazy("a video or audio file")),
    (lambda h: _zip_kind(h) and b"word/" in h, gettext_lazy("a Word document (DOCX)")),
    (lambda h: _zip_kind(h) and b"xl/" in h, gettext_lazy("an Excel spreadsheet (XLSX)")),
    (lambda h: _zip_kind(h) and b"ppt/" in h, gettext_lazy("a PowerPoint presentation (PPTX)")),
    (
        lambda h: _zip_kind(h) and b"application/vnd.oasis.opendocument" in h,
        gettext_lazy("an OpenDocument file"),
    ),
    (_zip_kind, gettext_lazy("a ZIP archive")),
    (
        lambda h: h.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
        gettext_lazy("an older Microsoft Office document (DOC, XLS or MSG)"),
    ),
    (lambda h: h.startswith(b"{\\rtf"), gettext_lazy("an RTF document")),
    (lambda h: h.startswith(b"MZ"), gettext_lazy("a Windows program")),
    (lambda h: h.startswith(b"\x7fELF"), gettext_lazy("a Linux program")),
    (lambda h: h.startswith(b"\x1f\x8b"), gettext_lazy("a gzip archive")),
    (lambda h: h.startswith(b"7z\xbc\xaf\x27\x1c"), gettext_lazy("a 7-Zip archive")),
    (lambda h: h.startswith(b"Rar!"), gettext_lazy("a RAR archive")),
    (lambda h: _markup(h, b"<svg"), gettext_lazy("an SVG drawing")),
    (lambda h: _markup(h, b"<html", b"<!doctype html"), gettext_lazy("a web page (HTML)")),
    (lambda h: _markup(h, b"<?xml"), gettext_lazy("an XML file")),
)


def download_name(name: str, content_type: str) -> str:
    """The file name a download is offered under: the uploader's, but with the extension
    of the type the bytes are (security review, finding 5). A PDF/HTA polyglot uploaded as
    ``warrant.hta`` downloads as ``warrant.pdf``, so Windows opens it as a PDF."""
    extension = _EXTENSIONS.get(content_type, ".bin")
    stem, current = os.path.splitext(name or "document")
    if current.lower() in _ALIASES.get(content_type, {extension}):
        return name
    return f"{stem or 'document'}{extension}"


_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/tiff": ".tif",
    "image/gif": ".gif",
    "image/webp": ".webp",
}
_ALIASES = {
    "image/jpeg": {".jpg", ".jpeg"},
    "image/tiff": {".tif", ".tiff"},
}


def _image_problem(data: bytes) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return _("The image is damaged or not a supported format.")
    return ""


def _local_path(name: str) -> str | None:
    try:
        return default_storage.path(name)
    except NotImplementedError:  # remote storage: immutability is the bucket's policy
        return None


def _make_read_only(name: str) -> None:
    path = _local_path(name)
    if path:
        os.chmod(path, 0o444)


def _make_writable(name: str) -> None:
    path = _local_path(name)
    if path:
        os.chmod(path, 0o644)
