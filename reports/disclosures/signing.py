"""PAdES signing and validation with pyHanko (docs/decisions, disclosure signing ADR).

- ``signer_load()``: the organisation's key and certificate from settings, a PKCS#12 file
  or PEM key + certificate + chain; loaded once per process.
- ``pdf_sign(...)``: PAdES B-B (``/ETSI.CAdES.detached``, SHA-256), B-T when a timestamp
  authority URL is configured (RFC 3161 signature timestamp), B-LT when that level is
  configured (the chain and CRLs of the signer and the TSA in a DSS written in the signed
  revision itself, so the one signature still covers the whole file), with a visible
  signature box on the page and at the place the renderer reserved for it.
- ``signed_facts(data)``: what the package records of its own fresh signature.

Validating a signed PDF (anyone's) is ``validation.py``.
"""

from __future__ import annotations

import functools
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import crl as asn1_crl  # type: ignore[import-untyped]
from asn1crypto import parser as asn1_parser
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import (
    NonexistentAttributeError,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.path import ValidationPath

from reports.disclosures import pyhanko_speedups
from reports.disclosures.pyhanko_speedups import run as _run

FIELD_NAME = "CustodianSignature"
LEVELS = ("B-B", "B-T", "B-LT")

pyhanko_speedups.install()


class SigningNotConfigured(RuntimeError):
    """No usable key and certificate: run ``manage.py disclosure_demo_pki`` or configure
    ``LIAISON_DISCLOSURE_SIGNING_*``."""


@functools.cache
def _signer_cached(
    pkcs12: str, passphrase: str, key: str, cert: str, chain: tuple[str, ...]
) -> signers.SimpleSigner:
    existing_chain = [c for c in chain if Path(c).exists()]
    if pkcs12:
        if not Path(pkcs12).exists():
            raise SigningNotConfigured(pkcs12)
        signer = signers.SimpleSigner.load_pkcs12(
            pkcs12, ca_chain_files=existing_chain, passphrase=passphrase.encode() or None
        )
    else:
        if not (Path(key).exists() and Path(cert).exists()):
            raise SigningNotConfigured(cert)
        signer = signers.SimpleSigner.load(
            key, cert, ca_chain_files=existing_chain, key_passphrase=passphrase.encode() or None
        )
    if signer is None or signer.signing_cert is None:
        raise SigningNotConfigured("the key or certificate could not be read")
    return pyhanko_speedups.LoadedKeySigner(signer)


class ValidationDataMissing(SigningNotConfigured):
    """B-LT was asked for but its validation data is not there (no TSA, no CRL, a CRL
    that does not cover a certificate or is stale). Signing stops: a weaker signature
    than configured would be a silent downgrade of what the court receives."""


@functools.lru_cache(maxsize=32)
def _parsed(data: bytes, kind: Any) -> tuple[Any, ...]:
    """The certificates or CRLs of a DER or PEM file, parsed once per content: the files
    are read on every call (a replaced CRL is a new CRL), the same bytes give the same
    objects, and the caches asn1crypto keeps on them (prepared names) are kept."""
    if asn1_pem.detect(data):
        return tuple(kind.load(der) for _t, _h, der in asn1_pem.unarmor(data, True))
    return (kind.load(data),)


def _crls() -> list[asn1_crl.CertificateList]:
    crls: list[asn1_crl.CertificateList] = []
    for path in settings.LIAISON_DISCLOSURE_CRLS:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ValidationDataMissing(f"CRL {path}: {exc.strerror}") from exc
        crls += _parsed(data, asn1_crl.CertificateList)
    if not crls:
        raise ValidationDataMissing("no CRL configured (LIAISON_DISCLOSURE_CRLS)")
    return crls


def signature_level(level: str | None, tsa_url: str) -> str:
    """The level to sign at: the configured one; a TSA URL makes B-B a B-T (as before
    levels were a setting); B-T and B-LT without a TSA are a configuration error."""
    level = level or settings.LIAISON_DISCLOSURE_PADES_LEVEL
    if level not in LEVELS:
        raise SigningNotConfigured(f"unknown PAdES level {level!r}: one of {', '.join(LEVELS)}")
    if level == "B-B" and tsa_url:
        return "B-T"
    if level != "B-B" and not tsa_url:
        raise ValidationDataMissing(f"PAdES {level} needs a timestamp authority URL")
    return level


def signer_load() -> signers.SimpleSigner:
    return _signer_cached(
        settings.LIAISON_DISCLOSURE_SIGNING_PKCS12,
        settings.LIAISON_DISCLOSURE_SIGNING_PASSPHRASE,
        settings.LIAISON_DISCLOSURE_SIGNING_KEY,
        settings.LIAISON_DISCLOSURE_SIGNING_CERT,
        tuple(settings.LIAISON_DISCLOSURE_SIGNING_CHAIN),
    )


def signer_name() -> str:
    cert = signer_load().signing_cert
    if cert is None:
        raise SigningNotConfigured("no signing certificate")
    return str(cert.subject.native.get("common_name", cert.subject.human_friendly))


def trust_roots() -> list[asn1_x509.Certificate]:
    roots: list[asn1_x509.Certificate] = []
    for path in settings.LIAISON_DISCLOSURE_TRUST_ROOTS:
        if Path(path).exists():
            roots += _parsed(Path(path).read_bytes(), asn1_x509.Certificate)
    return roots


def _stamp_style() -> StaticStampStyle:
    """The widget draws nothing of its own: the signature block under it is part of the
    page, drawn by WeasyPrint in the document's embedded fonts (a pyHanko text stamp would
    bring a non-embedded Courier, or HarfBuzz for an embedded font)."""
    return StaticStampStyle(border_width=0, background=None)


@functools.cache
def _timestamper_cached(url: str, pid: int) -> timestamps.HTTPTimeStamper:
    session = pyhanko_speedups.loop().http_session()
    return timestamps.HTTPTimeStamper(url, timeout=10, session=session)


def _timestamper(url: str) -> timestamps.HTTPTimeStamper:
    """One client per TSA URL and process: it keeps its HTTP session, and pyHanko asks a
    new client for a throw-away token (to size the signature) before the real one."""
    return _timestamper_cached(url, os.getpid())


@dataclass(frozen=True)
class SignatureBox:
    """Where the visible signature goes: 0-based page and PDF user-space box (points)."""

    page: int
    box: tuple[int, int, int, int]


async def _long_term_paths(
    signer: signers.Signer, timestamper: timestamps.TimeStamper, context: ValidationContext
) -> list[ValidationPath]:
    """The signer's and the TSA's certificate paths, validated with ``context``: what
    pyHanko's ``embed_validation_info`` does before signing, without its warning that
    fetching is off (it is meant to be: every CRL is configured up front, and revocation is
    *required*, so a missing one fails here instead of giving "unexpected results")."""
    validator = CertificateValidator(
        signer.signing_cert,
        intermediate_certs=signer.cert_registry,
        validation_context=context,
    )
    # the key usage pyHanko's validator asks of a document signer (non-repudiation)
    paths = [await validator.async_validate_usage(signers.DEFAULT_SIGNER_KEY_USAGE)]
    async for path in timestamper.validation_paths(context):  # the TSA's, from a token
        paths.append(path)
    return paths


# The last B-LT validation that held: its inputs (every certificate and CRL, as DER, and
# the TSA client whose token names the TSA's certificate), until when it holds, its paths.
_long_term_checked: dict[tuple[Any, ...], tuple[datetime, list[ValidationPath]]] = {}


def _holds_until(paths: list[ValidationPath], crls: list[asn1_crl.CertificateList]) -> datetime:
    """When a validation of ``paths`` against ``crls`` stops holding: the first CRL's
    next update (after it, "revocation required" wants a newer one) or the first
    certificate's end. Until then time changes nothing: a CRL's this-update and a
    certificate's start, once passed, stay passed; a revocation is a new CRL, so new DER."""
    ends = [crl["tbs_cert_list"]["next_update"].native for crl in crls]
    ends += [
        cert["tbs_certificate"]["validity"]["not_after"].native
        for path in paths
        for cert in path.iter_certs(include_root=True)
    ]
    if None in ends:  # a CRL without a next update: validate every time
        return datetime.min.replace(tzinfo=UTC)
    return min(ends)


def _long_term_dss(
    writer: IncrementalPdfFileWriter, signer: signers.Signer, timestamper: timestamps.TimeStamper
) -> None:
    """Validate for B-LT and write the chains and CRLs into a DSS in the revision about to
    be signed (no VRI, which needs the signature's bytes): the one certification signature
    covers the whole file and DocMDP "no changes" holds. Nothing is fetched.

    The validation is done again only when one of its inputs changed (the files are read
    every time) or its result stopped holding (``_holds_until``): for the same
    certificates and CRLs it gives the same answer until then, and it is half of what B-LT
    adds to a signature."""
    roots, crls = trust_roots(), _crls()
    assert signer.signing_cert is not None  # _signer_cached: never without one
    key = (
        signer.signing_cert.dump(),
        tuple(cert.dump() for cert in signer.cert_registry),
        tuple(root.dump() for root in roots),
        tuple(crl.dump() for crl in crls),
        id(timestamper),  # cached per URL and process, never freed: the id is its own
    )
    checked = _long_term_checked.get(key)
    if checked is not None and datetime.now(UTC) < checked[0]:
        paths = checked[1]
    else:
        context = ValidationContext(
            trust_roots=roots, crls=crls, allow_fetching=False, revocation_mode="require"
        )
        try:
            paths = _run(_long_term_paths(signer, timestamper, context))
        except (PathValidationError, PathBuildingError) as exc:
            raise ValidationDataMissing(f"PAdES B-LT: {exc}") from exc
        _long_term_checked.clear()
        _long_term_checked[key] = (_holds_until(paths, crls), paths)
    DocumentSecurityStore.supply_dss_in_writer(
        writer, None, paths=paths, crls=crls, embed_roots=signer.embed_roots
    )


def pdf_sign(
    data: bytes,
    *,
    box: SignatureBox | None,
    reason: str,
    location: str,
    tsa_url: str | None = None,
    level: str | None = None,
) -> bytes:
    """Sign ``data`` (an unsigned PDF) as the organisation: PAdES B-B, B-T with a TSA,
    B-LT with the validation data embedded (``ValidationDataMissing`` if it is not there)."""
    tsa_url = settings.LIAISON_DISCLOSURE_TSA_URL if tsa_url is None else tsa_url
    level = signature_level(level, tsa_url)
    signer = signer_load()
    timestamper = _timestamper(tsa_url) if tsa_url else None
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    if level == "B-LT":
        assert timestamper is not None  # signature_level: B-LT needs a TSA
        _long_term_dss(writer, signer, timestamper)
    spec = None
    if box is not None:
        spec = fields.SigFieldSpec(sig_field_name=FIELD_NAME, on_page=box.page, box=box.box)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        certify=True,  # a certification signature: no later change is allowed (DocMDP 1)
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper,
        stamp_style=_stamp_style(),
        new_field_spec=spec,
    )
    out = io.BytesIO()
    # The signature's room is sized once per signer, TSA and level (B-LT's validation data
    # sits in the DSS, not in the signature, but a level changes the CMS's attributes).
    key = (id(signer), tsa_url, level)
    _run(pdf_signer.async_sign_pdf(writer, bytes_reserved=_reserved.get(key), output=out))
    signed = out.getvalue()
    if key not in _reserved:
        _reserved[key] = _reserve_for(signed)
    return signed


_reserved: dict[tuple[int, str, str], int] = {}


def _reserve_for(signed: bytes) -> int:
    """Room for later signatures by the same signer and TSA: pyHanko sizes each one by
    building a throw-away CMS first (half the signing time); this sizes once, from the
    first real one, with pyHanko's own 50 % margin (a TSA's token may grow a little)."""
    contents = PdfFileReader(io.BytesIO(signed)).embedded_signatures[-1].pkcs7_content
    _class, _method, _tag, header, body, _trailer = asn1_parser.parse(contents)  # no padding
    hex_length = 2 * (len(header) + len(body))
    return hex_length + 2 * (hex_length // 4)


@dataclass(frozen=True)
class SignedFacts:
    """What the package records of its own fresh signature (no validation: ours)."""

    signer: str
    signed_at: datetime | None
    timestamp: datetime | None
    level: str


def signed_facts(data: bytes) -> SignedFacts:
    """Signer, claimed signing time and TSA time of the last signature of ``data``, read
    from the CMS without validating it: the package just signed it, and the verifier (or
    the bench) validates what is delivered."""
    reader = PdfFileReader(io.BytesIO(data))
    sig = reader.embedded_signatures[-1]
    subject = sig.signer_cert.subject.native
    timestamp = None
    try:
        token = find_unique_cms_attribute(
            sig.signer_info["unsigned_attrs"], "signature_time_stamp_token"
        )
    except NonexistentAttributeError:
        pass
    else:
        tst_info = token["content"]["encap_content_info"]["content"].parsed
        timestamp = tst_info["gen_time"].native
    level = "B-B" if timestamp is None else ("B-LT" if "/DSS" in reader.root else "B-T")
    return SignedFacts(
        signer=str(subject.get("common_name", "")),
        signed_at=sig.self_reported_timestamp,
        timestamp=timestamp,
        level=level,
    )
