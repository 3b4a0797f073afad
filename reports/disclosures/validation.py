"""Validation of signed PDFs with pyHanko (the verify page, API and command, the bench).

``pdf_validate(data)``: every signature of a PDF checked against the configured trust
roots: intact (hash matches), valid (signature maths), trusted (chains to a root, key
usage), coverage (the whole file, no later revision), the timestamp, and long-term (B-LT:
trusted and not revoked from the embedded DSS alone, nothing fetched).
"""

import io
from dataclasses import dataclass, field
from datetime import datetime

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import (
    SigningError,
)
from pyhanko_certvalidator import ValidationContext

from reports.disclosures.signing import pyhanko_run, trust_roots


@dataclass
class SignatureReport:
    """What a signature says, in terms a clerk or an officer can act on."""

    field_name: str
    intact: bool
    valid: bool
    trusted: bool
    whole_file: bool
    modified_after: bool
    signer: str
    signer_organisation: str
    signed_at: datetime | None
    timestamp: datetime | None
    timestamp_trusted: bool
    problems: list[str] = field(default_factory=list)
    long_term: bool = False  # B-LT: validates from the embedded DSS alone

    @property
    def level(self) -> str:
        if self.long_term:
            return "B-LT"
        return "B-T" if self.timestamp is not None else "B-B"

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.whole_file


@dataclass
class PdfReport:
    readable: bool
    signatures: list[SignatureReport]
    embedded: dict[str, bytes]

    @property
    def ok(self) -> bool:
        return self.readable and bool(self.signatures) and all(s.ok for s in self.signatures)


def _embedded_files(reader: PdfFileReader) -> dict[str, bytes]:
    """The files attached to the document (WeasyPrint writes the manifest.json there)."""
    found: dict[str, bytes] = {}
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return found
    for i in range(0, len(names), 2):
        spec = names[i + 1].get_object()
        try:
            stream = spec["/EF"]["/F"].get_object()
            found[str(spec.get("/UF", spec.get("/F", names[i])))] = stream.data
        except KeyError:
            continue
    return found


def _validates_offline(reader: PdfFileReader, sig: object, roots: list) -> bool:
    """PAdES B-LT: the signer's and the TSA's certificates are trusted *and* shown not
    revoked using only what the file's DSS holds (revocation required, fetching off), at
    the time of the signature timestamp. What a court's validator sees in ten years."""
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError

    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return False

    def context() -> ValidationContext:
        return dss.as_validation_context(
            {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "require"}
        )

    try:
        status = pyhanko_run(
            async_validate_pdf_signature(
                sig,  # type: ignore[arg-type]
                signer_validation_context=context(),
                ts_validation_context=context(),
            )
        )
    except Exception:  # any failure here means "not long-term valid", never a crash
        return False
    ts = status.timestamp_validity
    return bool(status.bottom_line and ts is not None and ts.valid and ts.intact and ts.trusted)


def pdf_validate(data: bytes) -> PdfReport:
    """Check every signature of ``data`` against the trust roots; never raises for bad input."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = reader.embedded_signatures
    except (PdfError, KeyError, ValueError, TypeError, IndexError, AttributeError):
        return PdfReport(readable=False, signatures=[], embedded={})
    roots = trust_roots()
    reports = []
    for sig in embedded:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        ts_context = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            status = pyhanko_run(
                async_validate_pdf_signature(
                    sig, signer_validation_context=context, ts_validation_context=ts_context
                )
            )
        except (SignatureValidationError, SigningError, PdfError, ValueError, KeyError) as exc:
            reports.append(
                SignatureReport(
                    field_name=sig.field_name,
                    intact=False,
                    valid=False,
                    trusted=False,
                    whole_file=False,
                    modified_after=True,
                    signer="",
                    signer_organisation="",
                    signed_at=None,
                    timestamp=None,
                    timestamp_trusted=False,
                    problems=[type(exc).__name__],
                )
            )
            continue
        from pyhanko.sign.validation.status import SignatureCoverageLevel

        subject = status.signing_cert.subject.native
        ts = status.timestamp_validity
        whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        reports.append(
            SignatureReport(
                field_name=sig.field_name,
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=bool(status.trusted),
                whole_file=whole,
                modified_after=not whole,
                signer=str(subject.get("common_name", "")),
                signer_organisation=str(subject.get("organization_name", "")),
                signed_at=status.signer_reported_dt,
                timestamp=ts.timestamp if ts is not None else None,
                timestamp_trusted=bool(ts is not None and ts.intact and ts.valid and ts.trusted),
                long_term=ts is not None and _validates_offline(reader, sig, roots),
            )
        )
    try:
        attachments = _embedded_files(reader)
    except (PdfError, KeyError, ValueError, TypeError, AttributeError):
        attachments = {}
    return PdfReport(readable=True, signatures=reports, embedded=attachments)
