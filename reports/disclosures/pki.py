"""The demo PKI: a root CA, the custodian's signing certificate and a timestamp authority.

Only for development, tests and the demo (``manage.py disclosure_demo_pki``; ``make run``
creates it under ``var/`` when missing). Production configures the organisation's own key
and certificate (``LIAISON_DISCLOSURE_SIGNING_*``) and a real TSA.

The signer certificate carries the non-repudiation (content commitment) key usage: pyHanko's
validator asks for it by default for a document signature, and it is what says "the
custodian stands behind this content" rather than "this is an authentication key".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

FILES = ("ca.crt", "ca.key", "signer.crt", "signer.key", "tsa.crt", "tsa.key", "ca.crl")
# How long the demo CA's CRL is current (RFC 5280 nextUpdate); ``disclosure_demo_pki``
# issues a fresh one when less than a week is left, so a long-running demo keeps signing B-LT.
CRL_DAYS = 90


@dataclass(frozen=True)
class DemoPki:
    directory: Path

    def path(self, name: str) -> Path:
        return self.directory / name

    @property
    def complete(self) -> bool:
        return all(self.path(name).exists() for name in FILES)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _usage(**on: bool) -> x509.KeyUsage:
    flags = {
        "digital_signature": False,
        "content_commitment": False,
        "key_encipherment": False,
        "data_encipherment": False,
        "key_agreement": False,
        "key_cert_sign": False,
        "crl_sign": False,
        "encipher_only": False,
        "decipher_only": False,
    }
    flags.update(on)
    return x509.KeyUsage(**flags)


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.write_bytes(data)
    if secret:
        path.chmod(0o600)


def demo_pki_create(directory: Path, *, organisation: str, signer_name: str) -> DemoPki:
    """Create the three key pairs and certificates in ``directory`` (overwriting)."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = _key()
    ca_name = _name(f"{organisation} Demo Root CA (not for production)", organisation)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    def issue(
        common: str, usage: x509.KeyUsage, eku: list[x509.ObjectIdentifier] | None
    ) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        key = _key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common, organisation))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
        )
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
        return key, builder.sign(ca_key, hashes.SHA256())

    signer_key, signer = issue(
        signer_name, _usage(digital_signature=True, content_commitment=True), None
    )
    tsa_key, tsa = issue(
        f"{organisation} Demo Timestamp Authority",
        _usage(digital_signature=True),
        [ExtendedKeyUsageOID.TIME_STAMPING],
    )
    pem = serialization.Encoding.PEM
    for name, cert in (("ca.crt", ca), ("signer.crt", signer), ("tsa.crt", tsa)):
        _write(directory / name, cert.public_bytes(pem))
    for name, key in (("ca.key", ca_key), ("signer.key", signer_key), ("tsa.key", tsa_key)):
        _write(
            directory / name,
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
            secret=True,
        )
    demo_crl_issue(directory)
    return DemoPki(directory)


def demo_crl_issue(directory: Path, *, days: int = CRL_DAYS) -> Path:
    """The demo CA's CRL (DER, RFC 5280 section 5): no certificate revoked, signed by the
    CA. It is the revocation data that PAdES B-LT embeds for the signer's and the TSA's
    certificates, both issued by this CA, so a validator needs to fetch nothing."""
    ca = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
    ca_key = load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=days))
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    path = directory / "ca.crl"
    _write(path, crl.public_bytes(serialization.Encoding.DER))
    return path


def demo_crl_expiring(directory: Path, *, within: dt.timedelta = dt.timedelta(days=7)) -> bool:
    """True when the demo CRL is missing or goes stale within ``within``."""
    path = directory / "ca.crl"
    if not path.exists():
        return True
    crl = x509.load_der_x509_crl(path.read_bytes())
    next_update = crl.next_update_utc
    return next_update is None or next_update - dt.datetime.now(dt.UTC) < within
