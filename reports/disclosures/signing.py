"""PAdES signing and validation with pyHanko (docs/decisions, disclosure signing ADR).

- ``signer_load()``: the organisation's key and certificate from settings, a PKCS#12 file
  or PEM key + certificate + chain; loaded once per process.
- ``pdf_sign(...)``: PAdES B-B (``/ETSI.CAdES.detached``, SHA-256), B-T when a timestamp
  authority URL is configured (RFC 3161 signature timestamp), B-LT when that level is
  configured (the chain and CRLs of the signer and the TSA in a DSS written in the signed
  revision itself, so the one signature still covers the whole file), with a visible
  signature box on the page and at the place the renderer reserved for it.
- validating a signed PDF is ``reports.disclosures.validation.pdf_validate``.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import io
import os
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from asn1crypto import crl as asn1_crl  # type: ignore[import-untyped]
from asn1crypto import parser as asn1_parser
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import (
    NonexistentAttributeError,
    SigningError,
    find_unique_cms_attribute,
    get_pyca_cryptography_hash,
)
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

FIELD_NAME = "CustodianSignature"
LEVELS = ("B-B", "B-T", "B-LT")
T = TypeVar("T")


class _Loop:
    """One event loop per process, in a daemon thread, for pyHanko's async API.

    pyHanko's synchronous calls run ``asyncio.run`` each time: a new loop, and for B-T a
    new HTTP session (with a CA bundle read for TLS) per timestamp request. One loop
    lets the timestamp client keep its session and connection, and works the same when
    the caller's own thread runs an event loop (an async caller, a browser-test driver).
    Keyed by process id: a forked worker starts its own (the parent's thread is not there).
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True, name="pyhanko").start()
        self.session: aiohttp.ClientSession | None = None
        atexit.register(self.close)

    def close(self) -> None:
        """Close the HTTP session at exit (aiohttp warns of an unclosed one otherwise)."""
        if self.session is not None and self.pid == os.getpid():
            session, self.session = self.session, None
            self.run(session.close())

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def http_session(self) -> aiohttp.ClientSession:
        """The loop's HTTP session (created on the loop, as aiohttp requires)."""

        async def create() -> aiohttp.ClientSession:
            return aiohttp.ClientSession()

        if self.session is None:
            self.session = self.run(create())
        return self.session


_loop_lock = threading.Lock()
_loop_current: _Loop | None = None


def _loop() -> _Loop:
    global _loop_current
    with _loop_lock:
        if _loop_current is None or _loop_current.pid != os.getpid():
            _loop_current = _Loop()
        return _loop_current


def pyhanko_run(work: Coroutine[Any, Any, T]) -> T:
    """Run one of pyHanko's coroutines on the process's loop and wait for its result."""
    return _loop().run(work)


class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's ``SimpleSigner`` parses the private key from DER on every raw signature,
    twice a document (the size estimate signs too); with OpenSSL 3 the RSA key check on
    load costs more than the signature. This one keeps the parsed key."""

    def __init__(self, loaded: signers.SimpleSigner) -> None:
        if loaded.signing_cert is None:
            raise SigningNotConfigured("no signing certificate")
        super().__init__(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
            signature_mechanism=loaded.signature_mechanism,
            prefer_pss=loaded.prefer_pss,
            embed_roots=loaded.embed_roots,
        )
        self._key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algorithm = mechanism.signature_algo
        except ValueError:
            algorithm = mechanism["algorithm"].native
        digest = get_pyca_cryptography_hash(digest_algorithm)
        key = self._key
        if isinstance(key, rsa.RSAPrivateKey) and algorithm == "rsassa_pkcs1v15":
            return key.sign(data, padding.PKCS1v15(), digest)
        if isinstance(key, ec.EllipticCurvePrivateKey) and algorithm == "ecdsa":
            return key.sign(data, ec.ECDSA(digest))
        return super().sign_raw(data, digest_algorithm)  # PSS, EdDSA...: pyHanko's own path


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
    if signer is None:
        raise SigningNotConfigured("the key or certificate could not be read")
    return _LoadedKeySigner(signer)


class ValidationDataMissing(SigningNotConfigured):
    """B-LT was asked for but its validation data is not there (no TSA, no CRL, a CRL
    that does not cover a certificate or is stale). Signing stops: a weaker signature
    than configured would be a silent downgrade of what the court receives."""


def _crls() -> list[asn1_crl.CertificateList]:
    crls = []
    for path in settings.LIAISON_DISCLOSURE_CRLS:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ValidationDataMissing(f"CRL {path}: {exc.strerror}") from exc
        if asn1_pem.detect(data):
            crls += [
                asn1_crl.CertificateList.load(der) for _t, _h, der in asn1_pem.unarmor(data, True)
            ]
        else:
            crls.append(asn1_crl.CertificateList.load(data))
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


def _certificates(path: str) -> list[asn1_x509.Certificate]:
    data = Path(path).read_bytes()
    if asn1_pem.detect(data):
        return [asn1_x509.Certificate.load(der) for _t, _h, der in asn1_pem.unarmor(data, True)]
    return [asn1_x509.Certificate.load(data)]


def trust_roots() -> list[asn1_x509.Certificate]:
    roots: list[asn1_x509.Certificate] = []
    for path in settings.LIAISON_DISCLOSURE_TRUST_ROOTS:
        if Path(path).exists():
            roots.extend(_certificates(path))
    return roots


def _stamp_style() -> StaticStampStyle:
    """The widget draws nothing of its own: the signature block under it is part of the
    page, drawn by WeasyPrint in the document's embedded fonts (a pyHanko text stamp would
    bring a non-embedded Courier, or HarfBuzz for an embedded font)."""
    return StaticStampStyle(border_width=0, background=None)


@functools.cache
def _timestamper_cached(url: str, pid: int) -> timestamps.HTTPTimeStamper:
    return timestamps.HTTPTimeStamper(url, timeout=10, session=_loop().http_session())


def _timestamper(url: str) -> timestamps.HTTPTimeStamper:
    """One client per TSA URL and process: it keeps its HTTP session, and pyHanko asks a
    new client for a throw-away token (to size the signature) before the real one."""
    return _timestamper_cached(url, os.getpid())


@dataclass(frozen=True)
class SignatureBox:
    """Where the visible signature goes: 0-based page and PDF user-space box (points)."""

    page: int
    box: tuple[int, int, int, int]


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
    long_term: dict[str, object] = {}
    if level == "B-LT":
        # Revocation checking is *required* while signing: pyHanko validates the signer's
        # and the TSA's certificates before signing and fails if a CRL is missing, so the
        # DSS it writes is known to be enough. Nothing is fetched: the CRLs are ours.
        long_term = {
            "embed_validation_info": True,
            "validation_context": ValidationContext(
                trust_roots=trust_roots(),
                crls=_crls(),
                allow_fetching=False,
                revocation_mode="require",
            ),
            # In the signed revision (no VRI, which needs the signature's bytes): the one
            # certification signature covers the whole file and DocMDP "no changes" holds.
            "dss_settings": DSSContentSettings(
                placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
                include_vri=False,
            ),
        }
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
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
        **long_term,  # type: ignore[arg-type]
    )
    timestamper = _timestamper(tsa_url) if tsa_url else None
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer_load(),
        timestamper=timestamper,
        stamp_style=_stamp_style(),
        new_field_spec=spec,
    )
    out = io.BytesIO()
    # The signature's room is sized once per signer, TSA and level (B-LT's validation data
    # sits in the DSS, not in the signature, but a level changes the CMS's attributes).
    key = (id(pdf_signer.signer), tsa_url, level)
    try:
        pyhanko_run(
            pdf_signer.async_sign_pdf(writer, bytes_reserved=_reserved.get(key), output=out)
        )
    except (SigningError, PathValidationError, PathBuildingError) as exc:
        if level == "B-LT":
            raise ValidationDataMissing(f"PAdES B-LT: {exc}") from exc
        raise
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
