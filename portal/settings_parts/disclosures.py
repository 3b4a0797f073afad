"""Disclosures: the letterhead, the custodian, the signing key and its PAdES level, the
download window (imported by ``portal.settings``)."""

from __future__ import annotations

from pathlib import Path

from portal.settings_parts.environment import VAR_DIR, env

# --- Disclosures (reports/disclosures; docs/decisions/0024-disclosure-signing.md) ---------
# Paper of the letters and certificates: "Letter" (US courts) or "A4".
LIAISON_DISCLOSURE_PAPER = env.str("LIAISON_DISCLOSURE_PAPER", default="Letter")
LIAISON_DISCLOSURE_LETTERHEAD = {
    "name": env.str("LIAISON_DISCLOSURE_ORG_NAME", default="Example Platform, Inc."),
    "department": env.str("LIAISON_DISCLOSURE_ORG_DEPARTMENT", default="Law Enforcement Response"),
    "address": env.list(
        "LIAISON_DISCLOSURE_ORG_ADDRESS",
        default=["100 Example Way", "Springfield, CA 90000", "United States"],
    ),
    "email": env.str("LIAISON_DISCLOSURE_ORG_EMAIL", default="lers@example.com"),
    "phone": env.str("LIAISON_DISCLOSURE_ORG_PHONE", default="+1 555 010 0100"),
}
# The custodian of records who makes the 28 USC 1746 declaration, and where it is executed.
LIAISON_DISCLOSURE_CUSTODIAN = {
    "name": env.str("LIAISON_DISCLOSURE_CUSTODIAN_NAME", default="Jordan Example"),
    "title": env.str("LIAISON_DISCLOSURE_CUSTODIAN_TITLE", default="Custodian of Records"),
    "place": env.str("LIAISON_DISCLOSURE_CUSTODIAN_PLACE", default="Springfield, California"),
}
# The organisation's signing key and certificate: a PKCS#12 file, or PEM key + certificate
# (+ chain). Unset: the demo PKI under var/ (``manage.py disclosure_demo_pki``).
LIAISON_DISCLOSURE_PKI_DIR = Path(
    env.str("LIAISON_DISCLOSURE_PKI_DIR", default=str(VAR_DIR / "disclosures" / "pki"))
)
LIAISON_DISCLOSURE_SIGNING_PKCS12 = env.str("LIAISON_DISCLOSURE_SIGNING_PKCS12", default="")
LIAISON_DISCLOSURE_SIGNING_PASSPHRASE = env.str("LIAISON_DISCLOSURE_SIGNING_PASSPHRASE", default="")
LIAISON_DISCLOSURE_SIGNING_KEY = env.str(
    "LIAISON_DISCLOSURE_SIGNING_KEY", default=str(LIAISON_DISCLOSURE_PKI_DIR / "signer.key")
)
LIAISON_DISCLOSURE_SIGNING_CERT = env.str(
    "LIAISON_DISCLOSURE_SIGNING_CERT", default=str(LIAISON_DISCLOSURE_PKI_DIR / "signer.crt")
)
LIAISON_DISCLOSURE_SIGNING_CHAIN = env.list(
    "LIAISON_DISCLOSURE_SIGNING_CHAIN", default=[str(LIAISON_DISCLOSURE_PKI_DIR / "ca.crt")]
)
# Roots a signature must chain to for "trusted" (verify endpoint and command).
LIAISON_DISCLOSURE_TRUST_ROOTS = env.list(
    "LIAISON_DISCLOSURE_TRUST_ROOTS", default=[str(LIAISON_DISCLOSURE_PKI_DIR / "ca.crt")]
)
# An RFC 3161 timestamp authority: set for PAdES B-T (``manage.py disclosure_tsa`` serves one).
LIAISON_DISCLOSURE_TSA_URL = env.str("LIAISON_DISCLOSURE_TSA_URL", default="")
# PAdES level of the signature: "B-B", "B-T" (needs the TSA) or "B-LT" (B-T plus the chain
# and revocation data embedded in the signed revision's DSS, so it validates without
# fetching). Unset: B-LT with a TSA, B-B without. B-LT without its CRLs fails at signing.
LIAISON_DISCLOSURE_PADES_LEVEL = env.str(
    "LIAISON_DISCLOSURE_PADES_LEVEL", default="B-LT" if LIAISON_DISCLOSURE_TSA_URL else "B-B"
)
# DER or PEM CRLs covering the signer's and the TSA's certificates, embedded for B-LT.
LIAISON_DISCLOSURE_CRLS = env.list(
    "LIAISON_DISCLOSURE_CRLS", default=[str(LIAISON_DISCLOSURE_PKI_DIR / "ca.crl")]
)
# How long an officer's download link works after release (days).
LIAISON_DISCLOSURE_DOWNLOAD_DAYS = env.int("LIAISON_DISCLOSURE_DOWNLOAD_DAYS", default=30)
# Manifests longer than this go into the ZIP as CSV; the PDF prints the CSV's SHA-256.
LIAISON_DISCLOSURE_MANIFEST_PDF_ROWS = env.int("LIAISON_DISCLOSURE_MANIFEST_PDF_ROWS", default=300)
# Largest produced file accepted (bytes).
LIAISON_DISCLOSURE_FILE_MAX_BYTES = env.int(
    "LIAISON_DISCLOSURE_FILE_MAX_BYTES", default=200 * 1024 * 1024
)
# A package still queued or rendering this long after it was last queued (or a build last
# started) has lost its render task; beat queues it again (reports/disclosures/redrive.py).
LIAISON_DISCLOSURE_REDRIVE_AFTER_SECONDS = env.int(
    "LIAISON_DISCLOSURE_REDRIVE_AFTER_SECONDS", default=1200
)
