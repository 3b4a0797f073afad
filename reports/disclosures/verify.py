"""Verify a disclosure PDF or delivery ZIP: one function for the API, the page and the command.

What it answers comes from the file itself (the signature, its signer and time, the
manifest attached inside the signed PDF) plus one lookup: which production this is, by the
signed PDF's SHA-256, and only among the productions the caller may see
(``disclosures_visible_to``). A file of another agency's case therefore gets the same
answer as a file we never issued: the cryptographic facts, and no production. Nothing of
our database about other agencies leaks, not even whether we know the file.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings

from reports.disclosures import document, validation
from reports.disclosures.models import Disclosure
from reports.disclosures.selectors import disclosures_visible_to

ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class FileCheck:
    checked: int = 0
    matching: int = 0
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    manifest_csv_matches: bool | None = None

    @property
    def ok(self) -> bool:
        return (
            not self.missing
            and not self.mismatched
            and not self.unlisted
            and self.manifest_csv_matches is not False
        )


@dataclass
class Verdict:
    container: str  # "pdf", "zip" or "unknown"
    readable: bool
    signed: bool
    intact: bool
    trusted: bool
    whole_file: bool
    signer: str = ""
    signer_organisation: str = ""
    signed_at: str | None = None
    timestamp: str | None = None
    pdf_sha256: str = ""
    production: dict[str, Any] | None = None
    files: FileCheck | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.readable
            and self.signed
            and self.intact
            and self.trusted
            and self.whole_file
            and (self.files is None or self.files.ok)
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        if self.files is not None:
            data["files"]["ok"] = self.files.ok
        return data


def _production(pdf_sha256: str, user: Any) -> dict[str, Any] | None:
    queryset = Disclosure.objects.all() if user is None else disclosures_visible_to(user)
    disclosure = (
        queryset.filter(package__pdf_sha256=pdf_sha256).select_related("case", "process").first()
    )
    if disclosure is None:
        return None
    return {
        "reference": disclosure.reference,
        "request": disclosure.case.reference,
        "kind": disclosure.kind,
        "released_at": disclosure.released_at.isoformat() if disclosure.released_at else None,
        "corrected_by": list(
            disclosure.corrections.filter(state="released").values_list("reference", flat=True)
        ),
    }


def _pdf_verdict(pdf: bytes, container: str, user: Any) -> tuple[Verdict, validation.PdfReport]:
    report = validation.pdf_validate(pdf)
    sig = report.signatures[0] if report.signatures else None
    sha = hashlib.sha256(pdf).hexdigest()
    verdict = Verdict(
        container=container,
        readable=report.readable,
        signed=sig is not None,
        intact=bool(sig and sig.intact and sig.valid),
        trusted=bool(sig and sig.trusted),
        whole_file=bool(sig and sig.whole_file and len(report.signatures) == 1),
        signer=sig.signer if sig else "",
        signer_organisation=sig.signer_organisation if sig else "",
        signed_at=sig.signed_at.isoformat() if sig and sig.signed_at else None,
        timestamp=sig.timestamp.isoformat() if sig and sig.timestamp else None,
        pdf_sha256=sha,
    )
    if not report.readable:
        verdict.problems.append("not_a_readable_pdf")
    elif sig is None:
        verdict.problems.append("not_signed")
    if sig is not None and not verdict.intact:
        verdict.problems.append("changed_after_signing")
    if sig is not None and verdict.intact and not verdict.whole_file:
        verdict.problems.append("content_added_after_signing")
    if sig is not None and not verdict.trusted:
        verdict.problems.append("signer_not_trusted")
    # A production is named only for a file that is exactly what we signed.
    if verdict.intact and verdict.whole_file:
        verdict.production = _production(sha, user)
    return verdict, report


def _hash_member(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with archive.open(name) as member:
        for chunk in iter(lambda: member.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _zip_verdict(data: bytes, user: Any) -> Verdict:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in archive.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return Verdict("zip", False, False, False, False, False, problems=["not_a_readable_zip"])
    pdfs = [n for n in names if "/" not in n and n.lower().endswith(".pdf")]
    if len(pdfs) != 1:
        return Verdict("zip", False, False, False, False, False, problems=["no_disclosure_pdf"])
    # A zip bomb: a few kilobytes that inflate to gigabytes. The PDF is read into memory, so
    # its declared size is checked first (zipfile never inflates a member past the size its
    # directory declares); the other members are only streamed through a hash.
    if archive.getinfo(pdfs[0]).file_size > int(settings.LIAISON_DISCLOSURE_FILE_MAX_BYTES):
        return Verdict("zip", False, False, False, False, False, problems=["pdf_too_large"])
    verdict, report = _pdf_verdict(archive.read(pdfs[0]), "zip", user)
    raw = report.embedded.get(document.MANIFEST_JSON)
    check = FileCheck()
    verdict.files = check
    if raw is None or not (verdict.intact and verdict.whole_file):
        verdict.problems.append("no_signed_manifest")
        check.unlisted = sorted(set(names) - {pdfs[0]})
        return verdict
    manifest = json.loads(raw)
    listed = {entry["name"]: entry for entry in manifest.get("files", [])}
    present = set(names)
    for name, entry in sorted(listed.items()):
        check.checked += 1
        if name not in present:
            check.missing.append(name)
            continue
        sha, size = _hash_member(archive, name)
        if sha == entry["sha256"] and size == entry["size"]:
            check.matching += 1
        else:
            check.mismatched.append(name)
    csv_entry = manifest.get("manifest_csv")
    expected = {pdfs[0], *listed}
    if csv_entry:
        expected.add(csv_entry["name"])
        if csv_entry["name"] in present:
            sha, _size = _hash_member(archive, csv_entry["name"])
            check.manifest_csv_matches = sha == csv_entry["sha256"]
        else:
            check.manifest_csv_matches = False
    check.unlisted = sorted(present - expected)
    if not check.ok:
        verdict.problems.append("files_do_not_match_manifest")
    return verdict


def disclosure_verify(data: bytes, *, user: Any) -> Verdict:
    """Check a PDF or ZIP; ``user`` None means the operator's command (every production)."""
    if data.startswith(ZIP_MAGIC):
        return _zip_verdict(data, user)
    if data.startswith(b"%PDF-"):
        return _pdf_verdict(data, "pdf", user)[0]
    return Verdict("unknown", False, False, False, False, False, problems=["not_pdf_or_zip"])
