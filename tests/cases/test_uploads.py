"""Upload validation: only real PDFs and images, within the size limit; nothing stored on
failure, whether the file arrives at intake or as an attachment."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.exceptions import ValidationError

from cases.models import Attachment, Case, LegalProcess
from cases.services import attachment_add
from cases.uploads import upload_check
from tests.cases.conftest import stored_files
from tests.cases.documents import pdf_bytes, png_bytes, upload
from tests.cases.factories import CaseFactory, intake

VALID_PDF = pdf_bytes()
BAD = [
    ("empty", "warrant.pdf", b"", "empty"),
    ("executable named .pdf", "warrant.pdf", b"MZ\x90\x00" + b"\x00" * 200, "Only PDF"),
    ("html", "warrant.html", b"<html><script>alert(1)</script></html>", "Only PDF"),
    ("svg", "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "Only PDF"),
    ("pdf header, junk body", "warrant.pdf", b"%PDF-1.7\n" + b"junk " * 100, "damaged"),
    ("truncated pdf", "warrant.pdf", VALID_PDF[: len(VALID_PDF) // 2], "damaged"),
    (
        "pdf without pages",
        "warrant.pdf",
        VALID_PDF.replace(b"/Count 1", b"/Count 0"),
        "no pages",
    ),
    ("broken png", "scan.png", png_bytes()[:20], "image is damaged"),
]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "This file is a Windows program, not a PDF."),
        (b"PK\x03\x04" + b"\x00" * 26 + b"word/document.xml", "a Word document (DOCX)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "older Microsoft Office"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "a web page (HTML)"),
        (b"Subpoena for example.com records", "a plain text file"),
        (b"BM" + b"\x00" * 60, "a BMP image"),
        (png_bytes()[:20], "This file is a PNG image, not a PDF. The image is damaged"),
    ],
    ids=["exe", "docx", "doc", "html", "text", "bmp", "broken-png"],
)
def test_a_renamed_file_is_named_for_what_it_is(data, said):
    """Issue #9 item 14: someone who renamed a file to .pdf learns what it really is."""
    with pytest.raises(ValidationError) as caught:
        upload_check(upload("warrant.pdf", data, "application/pdf"), field="document")
    message = " ".join(caught.value.message_dict["document"])
    assert said in message
    assert "PNG, JPEG" in message or "damaged" in message


def test_unknown_bytes_only_say_what_is_accepted():
    with pytest.raises(ValidationError) as caught:
        upload_check(upload("warrant.pdf", bytes(range(256)) * 4), field="document")
    assert caught.value.message_dict["document"] == [
        "Only PDF documents and images (PNG, JPEG, TIFF, GIF, WebP) are accepted."
    ]


@pytest.mark.parametrize(("case", "name", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_get_a_clear_message(case, name, data, message):
    with pytest.raises(ValidationError) as caught:
        upload_check(upload(name, data, "application/pdf"), field="document")
    assert message in " ".join(caught.value.message_dict["document"])


def test_too_big_is_refused_before_reading(settings):
    settings.LIAISON_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="larger than the limit"):
        upload_check(upload("warrant.pdf", VALID_PDF + b" " * 2048), field="document")


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("warrant.pdf", VALID_PDF, "application/pdf"),
        ("scan.png", png_bytes(), "image/png"),
        ("scan.pdf", png_bytes(), "image/png"),  # the bytes decide, not the name
    ],
)
def test_good_files_are_typed_by_content(name, data, content_type):
    checked = upload_check(upload(name, data, "text/plain"), field="document")
    assert checked.content_type == content_type
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.size == len(data)


@pytest.mark.parametrize(("case", "name", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_intake_with_a_bad_document_stores_nothing(
    responder, media_root, case, name, data, message
):
    with pytest.raises(ValidationError) as caught:
        intake(responder, document=upload(name, data))
    assert "document" in caught.value.message_dict
    assert not Case.objects.exists()
    assert not LegalProcess.objects.exists()
    assert stored_files(media_root) == []


def test_intake_stores_the_document_read_only_under_its_hash(responder, media_root):
    case = intake(responder)
    process = case.processes.get()
    digest = hashlib.sha256(VALID_PDF).hexdigest()
    assert process.document_sha256 == digest
    assert process.document_content_type == "application/pdf"
    assert process.document_size == len(VALID_PDF)
    assert process.document.name.endswith(f"{digest}.pdf")
    path = media_root / process.document.name
    assert path.read_bytes() == VALID_PDF
    assert not os.access(path, os.W_OK) or os.geteuid() == 0  # root ignores modes
    assert oct(path.stat().st_mode & 0o777) == "0o444"


def test_the_same_document_twice_is_stored_once(responder, media_root):
    intake(responder)
    intake(responder)
    assert len(stored_files(media_root)) == 1


def test_a_failure_after_storing_removes_the_new_file(responder, media_root, monkeypatch):
    """GIVEN a valid document WHEN the database write fails after the file was written
    THEN the file is removed again."""
    import cases.services.intake as intake_module

    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(intake_module, "case_deadlines_recompute", explode)
    with pytest.raises(RuntimeError):
        intake(responder)
    assert stored_files(media_root) == []
    assert not Case.objects.exists()


@pytest.mark.parametrize(("case", "name", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_attachment_with_a_bad_file_stores_nothing(
    responder, media_root, case, name, data, message
):
    target_case = CaseFactory()
    with pytest.raises(ValidationError) as caught:
        attachment_add(case=target_case, actor=responder, file=upload(name, data))
    assert "file" in caught.value.message_dict
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


def test_attachment_is_stored_hashed_and_logged(responder, media_root):
    case = CaseFactory()
    attachment = attachment_add(
        case=case, actor=responder, file=upload("scan.png", png_bytes()), description="Scan"
    )
    assert attachment.sha256 == hashlib.sha256(png_bytes()).hexdigest()
    assert attachment.content_type == "image/png"
    assert case.timeline.filter(kind="attachment").exists()
