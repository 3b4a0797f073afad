"""``verify_disclosure`` and ``export_disclosure``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from portal.audit.models import AccessEvent
from tests.reports.disclosures.helpers import built, content

pytestmark = pytest.mark.django_db


def test_export_then_verify(collecting_case, responder, legal, tmp_path):
    disclosure, package = built(collecting_case, responder, legal)
    out = io.StringIO()
    call_command("export_disclosure", collecting_case.reference, "--out", str(tmp_path), stdout=out)
    pdf = tmp_path / f"{disclosure.reference}.pdf"
    zipped = tmp_path / f"{disclosure.reference}.zip"
    assert pdf.read_bytes() == content(package.pdf_file)
    assert AccessEvent.objects.filter(
        action="export", case_reference=collecting_case.reference
    ).exists()
    out = io.StringIO()
    call_command("verify_disclosure", str(zipped), stdout=out)
    text = out.getvalue()
    assert "VALID" in text
    assert disclosure.reference in text
    assert "2/2 match the manifest" in text


def test_verify_fails_loudly_on_a_changed_pdf(collecting_case, responder, legal, tmp_path):
    _disclosure, package = built(collecting_case, responder, legal)
    data = bytearray(content(package.pdf_file))
    at = data.index(b"Production of records")
    data[at] = ord("Q")
    path = tmp_path / "changed.pdf"
    path.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="changed_after_signing"):
        call_command("verify_disclosure", str(path), stdout=io.StringIO())
