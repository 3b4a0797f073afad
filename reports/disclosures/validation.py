"""Validating a signed PDF with pyHanko (docs/decisions, disclosure signing ADR).

``pdf_validate(data)``: every signature of a PDF checked against the configured trust
roots: intact (hash matches), valid (signature maths), trusted (chains to a root, key
usage), coverage (the whole file, no later revision), the timestamp, and long-term (B-LT:
trusted and not revoked from the embedded DSS alone, nothing fetched). Used by the verify
page, API and command (``verify.py``) for files of any origin: it never raises for bad
input.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

from reports.disclosures.pyhanko_speedups import run as _run
from reports.disclosures.signing import trust_roots  # also installs the pyHanko speed-ups


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
    reader: PdfFileReader | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.readable and bool(self.signatures) and all(s.ok for s in self.signatures)

    @functools.cached_property
    def embedded(self) -> dict[str, bytes]:
        """The files attached to the document (WeasyPrint writes the manifest.json there).
        Read when asked, by a ZIP's check: not part of validating the signature."""
        from pyhanko.pdf_utils.misc import PdfError

        if self.reader is None:
            return {}
        try:
            return _embedded_files(self.reader)
        except (PdfError, KeyError, ValueError, TypeError, AttributeError):
            return {}


def _embedded_files(reader: PdfFileReader) -> dict[str, bytes]:
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


def _dss_context(reader: PdfFileReader, roots: list) -> ValidationContext | None:
    """PAdES B-LT: a validation context from the file's DSS alone (its certificates and
    CRLs), revocation required, fetching off: what a court's validator sees in ten years.
    None when the file has no (readable) DSS."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation.dss import NoDSSFoundError

    try:
        dss = DocumentSecurityStore.read_dss(reader)
        return dss.as_validation_context(
            {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "require"}
        )
    except (NoDSSFoundError, PdfError, KeyError, ValueError, TypeError, AttributeError):
        return None


def _long_term_status(sig: Any, context: ValidationContext) -> Any | None:
    """The signature validated from the DSS alone, if it and its timestamp hold there:
    trusted and not revoked with nothing fetched. Else None."""
    from pyhanko.sign.validation import async_validate_pdf_signature

    try:
        # one context for the signer and the TSA (pyHanko's default): one DSS, one CA
        status = _run(async_validate_pdf_signature(sig, signer_validation_context=context))
    except Exception:  # any failure here means "not long-term valid", never a crash
        return None
    ts = status.timestamp_validity
    if status.bottom_line and ts is not None and ts.valid and ts.intact and ts.trusted:
        return status
    return None


def _failed(sig: Any, exc: Exception) -> SignatureReport:
    return SignatureReport(
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


def pdf_validate(data: bytes) -> PdfReport:
    """Check every signature of ``data`` against the trust roots; never raises for bad input.

    One validation per signature: a file with a DSS is first validated from it alone
    (revocation required); when that holds, it is also the answer for "intact, valid,
    trusted" (strictly more was checked). Only when it does not (no DSS, a stale or
    foreign CRL, a changed byte) is the signature validated again the ordinary way, so the
    report still says what is wrong."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = reader.embedded_signatures
    except (PdfError, KeyError, ValueError, TypeError, IndexError, AttributeError):
        return PdfReport(readable=False, signatures=[])
    roots = trust_roots()
    dss_context = _dss_context(reader, roots) if embedded else None
    reports = []
    for sig in embedded:
        status = None if dss_context is None else _long_term_status(sig, dss_context)
        long_term = status is not None
        if status is None:
            context = ValidationContext(trust_roots=roots, allow_fetching=False)
            try:
                status = _run(async_validate_pdf_signature(sig, signer_validation_context=context))
            except (SignatureValidationError, SigningError, PdfError, ValueError, KeyError) as exc:
                reports.append(_failed(sig, exc))
                continue
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
                long_term=long_term,
            )
        )
    return PdfReport(readable=True, signatures=reports, reader=reader)
