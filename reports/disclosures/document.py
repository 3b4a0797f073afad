"""The disclosure document: Django templates rendered to PDF by WeasyPrint.

One pipeline writes the three letters a response team sends: a production (cover letter,
manifest, business-records certificate under FRE 902(11), 902(13) and 902(14) as a
28 USC 1746 declaration), a no-records letter (with a certificate of the diligent search,
FRE 803(7)) and a rejection letter. The paper (A4 or Letter), the letterhead and the
custodian come from settings; fonts (DejaVu, installed with fonts-dejavu-core) are
embedded by WeasyPrint; every page carries the reference and "page X of Y".

A manifest longer than ``LIAISON_DISCLOSURE_MANIFEST_PDF_ROWS`` goes into the ZIP as CSV
and the PDF prints the CSV's SHA-256 instead of the table, so a 5,000-file production
stays a short document while the signature still covers every hash (through the CSV's).
The full manifest is also attached to the PDF as ``manifest.json`` (inside the signed
bytes), which is what the verifier compares a ZIP against.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from cases.models import DataCategory
from portal.spreadsheets import csv_row
from reports.disclosures.models import Disclosure, DisclosureKind, NotProducedReason
from reports.disclosures.signing import SignatureBox

logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

SIGNATURE_ANCHOR = "signature-box"
MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
PX_TO_PT = 0.75  # WeasyPrint lays out in CSS px (1/96 in); PDF user space is 1/72 in


@dataclass(frozen=True)
class ManifestRow:
    number: int
    name: str
    size: int
    sha256: str
    records: int


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    box: SignatureBox | None


def manifest_rows(disclosure: Disclosure) -> list[ManifestRow]:
    files = disclosure.files.order_by("name").values_list("name", "size", "sha256", "record_count")
    return [
        ManifestRow(number=i, name=name, size=size, sha256=sha, records=records)
        for i, (name, size, sha, records) in enumerate(files, start=1)
    ]


def manifest_csv(rows: Sequence[ManifestRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(["number", "file", "size_bytes", "sha256", "records"])
    for row in rows:
        # Byte-exact on purpose, and still through the one helper: every cell starts with a
        # digit, "files/" or a hex digit, so csv_cell changes nothing here, and a column
        # added later is neutralised like every other export's.
        writer.writerow(
            csv_row([row.number, f"files/{row.name}", row.size, row.sha256, row.records])
        )
    return out.getvalue().encode("utf-8")


def manifest_long(rows: Sequence[ManifestRow]) -> bool:
    return len(rows) > int(settings.LIAISON_DISCLOSURE_MANIFEST_PDF_ROWS)


def manifest_json(disclosure: Disclosure, rows: Sequence[ManifestRow], csv_sha256: str) -> bytes:
    """The machine-readable manifest attached inside the signed PDF."""
    return json.dumps(
        {
            "disclosure": disclosure.reference,
            "case": disclosure.case.reference,
            "kind": disclosure.kind,
            "released_at": disclosure.released_at.isoformat() if disclosure.released_at else None,
            "files": [
                {
                    "name": f"files/{r.name}",
                    "size": r.size,
                    "sha256": r.sha256,
                    "records": r.records,
                }
                for r in rows
            ],
            "manifest_csv": {"name": MANIFEST_CSV, "sha256": csv_sha256} if csv_sha256 else None,
        },
        indent=1,
    ).encode("utf-8")


def _labels(values: Sequence[str]) -> list[str]:
    choices = dict(DataCategory.choices)
    return [str(choices.get(v, v)) for v in values]


def _css_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def document_context(
    disclosure: Disclosure, rows: Sequence[ManifestRow], *, csv_sha256: str, signed_on: datetime
) -> dict[str, Any]:
    zone = ZoneInfo(settings.LIAISON_BUSINESS_TIME_ZONE)
    case = disclosure.case
    process = disclosure.process
    officer = case.submitting_officer
    letterhead = settings.LIAISON_DISCLOSURE_LETTERHEAD
    custodian = settings.LIAISON_DISCLOSURE_CUSTODIAN
    long = manifest_long(rows)
    reason_labels = dict(NotProducedReason.choices)
    return {
        "d": disclosure,
        "case": case,
        "process": process,
        "process_kind": process.get_kind_display(),
        "targets": list(process.targets.order_by("pk")),
        "agency": case.agency,
        "officer_name": (officer.user.get_full_name() or officer.user.email) if officer else "",
        "officer_email": officer.user.email if officer else "",
        "letterhead": letterhead,
        "custodian": custodian,
        "categories": _labels(disclosure.categories),
        "not_produced": _labels(disclosure.not_produced_categories),
        "not_produced_reason": str(reason_labels.get(disclosure.not_produced_reason, ""))
        if disclosure.not_produced_reason
        else "",
        "rows": [] if long else rows,
        "row_count": len(rows),
        "record_total": sum(r.records for r in rows),
        "byte_total": sum(r.size for r in rows),
        "manifest_in_csv": long,
        "csv_name": MANIFEST_CSV,
        "csv_sha256": csv_sha256,
        "released_at": (disclosure.released_at or signed_on).astimezone(zone),
        "received_at": process.received_at.astimezone(zone),
        "signed_on": signed_on.astimezone(zone),
        "zone": zone.key,
        "is_production": disclosure.kind == DisclosureKind.PRODUCTION,
        "is_no_records": disclosure.kind == DisclosureKind.NO_RECORDS,
        "is_rejection": disclosure.kind == DisclosureKind.REJECTION,
        "paper": "A4" if settings.LIAISON_DISCLOSURE_PAPER.lower() == "a4" else "Letter",
        "css_org": _css_string(f"{letterhead['name']} · {letterhead['department']}"),
        "css_reference": _css_string(disclosure.reference),
    }


def document_html(context: dict[str, Any]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("disclosures/pdf/document.html", context)


def document_pdf(html: str, *, attachments: dict[str, bytes]) -> RenderedPdf:
    """Lay out and write the PDF; find the reserved signature box on its page."""
    from weasyprint import HTML, Attachment  # type: ignore[import-untyped]

    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    box = None
    for index, page in enumerate(document.pages):
        anchor = page.anchors.get(SIGNATURE_ANCHOR)
        if anchor:
            x1, y1, x2, y2 = anchor
            height = page.height * PX_TO_PT
            box = SignatureBox(
                page=index,
                box=(
                    round(x1 * PX_TO_PT),
                    round(height - y2 * PX_TO_PT),
                    round(x2 * PX_TO_PT),
                    round(height - y1 * PX_TO_PT),
                ),
            )
    data = document.write_pdf(
        attachments=[
            Attachment(string=content.decode("utf-8"), name=name, base_url=None)
            for name, content in attachments.items()
        ],
        pdf_tags=True,
    )
    if data is None:  # write_pdf without a target always returns bytes
        raise RuntimeError("WeasyPrint returned no PDF")
    return RenderedPdf(data=data, pages=len(document.pages), box=box)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
