"""Finding 5 of the security review: PDFs with active content, and misleading names.

PDFs with ``/OpenAction /JavaScript``, ``/Launch`` and embedded files were accepted, and a
PDF/HTA polyglot uploaded as ``warrant.hta`` downloaded as ``application/pdf`` named
``warrant.hta`` (on a Windows workstation it runs). Now such PDFs are refused with a message
saying what was found and what to do, and downloads are named after the detected type.
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.uploads import download_name, upload_check
from tests.cases.documents import upload
from tests.cases.factories import CaseFactory
from tests.factories import verified_client


def pdf_with(catalog_extra: bytes = b"", extra_objects: tuple[bytes, ...] = (), page_extra=b""):
    """A one-page PDF whose catalog (object 1) and page (object 3) carry ``*_extra``;
    ``extra_objects`` are numbered from 5."""
    stream = b"BT /F1 12 Tf 72 720 Td (Warrant, fictitious) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        + page_extra
        + b" >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        *extra_objects,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def refusal(data: bytes, name: str = "warrant.pdf") -> str:
    with pytest.raises(ValidationError) as caught:
        upload_check(upload(name, data), field="document")
    return " ".join(caught.value.message_dict["document"])


@pytest.mark.parametrize(
    ("catalog", "objects", "page", "named"),
    [
        (b"/OpenAction 5 0 R", (b"<< /S /JavaScript /JS (app.alert(1)) >>",), b"", "JavaScript"),
        # the same name written with #-escapes, as droppers do to dodge byte searches
        (b"/OpenAction 5 0 R", (b"<< /S /Java#53cript /JS (app.alert(1)) >>",), b"", "JavaScript"),
        (
            b"",
            (b"<< /S /Launch /F (cmd.exe) >>", b"<< /Type /Annot /Subtype /Link /A 5 0 R >>"),
            b"/Annots [6 0 R]",
            "starts a program",
        ),
        (
            b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
            (
                b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
                b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
            ),
            b"",
            "embedded files",
        ),
        (b"", (b"<< /S /JavaScript /JS (this.print()) >>",), b"/AA << /O 5 0 R >>", "JavaScript"),
    ],
)
def test_pdfs_with_active_content_are_refused_and_told_why(catalog, objects, page, named):
    message = refusal(pdf_with(catalog, objects, page))
    assert named in message
    assert "Print it to a new PDF" in message


def test_a_plain_pdf_is_still_accepted():
    checked = upload_check(upload("warrant.pdf", pdf_with()), field="document")
    assert checked.content_type == "application/pdf"


def test_downloads_are_named_after_the_detected_type():
    assert download_name("warrant.hta", "application/pdf") == "warrant.pdf"
    assert download_name("warrant.PDF", "application/pdf") == "warrant.PDF"
    assert download_name("scan.jpeg", "image/jpeg") == "scan.jpeg"
    assert download_name("scan.exe", "image/png") == "scan.png"
    assert download_name("", "application/pdf") == "document.pdf"


@pytest.mark.django_db
def test_a_pdf_hta_polyglot_uploaded_as_hta_downloads_as_a_pdf(responder):
    case = CaseFactory()
    client = verified_client(responder)
    polyglot = pdf_with(
        extra_objects=(
            b"<< /Length 60 >>\nstream\n<hta:application id=x><script>x</script>"
            b"</hta:application>\nendstream",
        )
    )
    response = client.post(
        reverse("cases:attachment_add", args=[case.reference]),
        {"file-file": upload("warrant.hta", polyglot)},
    )
    assert response.status_code in (200, 302)
    attachment = case.attachments.get()
    download = client.get(
        reverse("cases:attachment_download", args=[case.reference, attachment.pk])
    )
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="warrant.pdf"'
