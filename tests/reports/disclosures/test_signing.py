"""The signed PDF: pyHanko's validator and poppler's pdfsig agree it is intact, trusted
and wholly covered; a flipped byte and an appended revision are caught; B-T carries a
timestamp of the project's RFC 3161 authority; pages rendered for a person to look at."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from reports.disclosures import document, signing, validation
from reports.disclosures.models import DisclosureKind, NotProducedReason, PackageStatus
from reports.disclosures.package import package_build
from tests.reports.disclosures.conftest import ARTIFACTS
from tests.reports.disclosures.helpers import SUBSCRIBER_CSV, built, content

pytestmark = pytest.mark.django_db


def pdfsig(data: bytes, tmp_path: Path, nssdir: Path | None = None) -> dict[str, str]:
    """pdfsig's answer for the first signature, as key -> value (its exit code is 0 even
    for a bad signature, so the output is what counts)."""
    path = tmp_path / "checked.pdf"
    path.write_bytes(data)
    command = ["pdfsig"]  # our certificates name no OCSP responder: nothing is fetched
    if nssdir is not None:
        command += ["-nssdir", f"sql:{nssdir}"]
    output = subprocess.run(
        [*command, str(path)], capture_output=True, text=True, check=False
    ).stdout
    facts: dict[str, str] = {}
    for line in output.splitlines():
        match = re.match(r"\s+- ([^:]+):\s*(.*)$", line)
        if match:
            facts[match.group(1).strip()] = match.group(2).strip()
        elif line.strip().startswith("- ") and "document signed" in line:
            facts["coverage"] = line.strip()[2:]
    return facts


def nss_trusting(ca: Path, tmp_path: Path) -> Path:
    """An NSS database trusting the demo root (certutil: libnss3-tools)."""
    nssdir = tmp_path / "nss"
    nssdir.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nssdir}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nssdir}", "-n", "demo-root", "-t", "CT,C,C", "-i", str(ca)],
        check=True,
    )
    return nssdir


def test_production_validates_with_pyhanko_and_pdfsig(
    collecting_case, responder, legal, demo_pki, tmp_path
):
    _disclosure, package = built(collecting_case, responder, legal)
    assert package.status == PackageStatus.DONE
    data = content(package.pdf_file)

    report = validation.pdf_validate(data)
    assert report.ok
    (sig,) = report.signatures
    assert sig.intact and sig.valid and sig.trusted and sig.whole_file
    assert sig.signer == "Jordan Example, Custodian of Records"
    assert sig.timestamp is None  # B-B: no TSA configured

    facts = pdfsig(data, tmp_path, nss_trusting(demo_pki / "ca.crt", tmp_path))
    assert facts["Signature Validation"] == "Signature is Valid."
    assert facts["coverage"] == "Total document signed"
    assert facts["Signature Type"] == "ETSI.CAdES.detached"
    assert facts["Signer Certificate Common Name"] == "Jordan Example, Custodian of Records"
    assert facts["Certificate Validation"] == "Certificate is Trusted."


def test_a_flipped_byte_is_detected(collecting_case, responder, legal, tmp_path):
    _disclosure, package = built(collecting_case, responder, legal)
    data = bytearray(content(package.pdf_file))
    at = data.index(b"Production of records")  # the document's title, inside the signed range
    data[at] = ord("Q")
    report = validation.pdf_validate(bytes(data))
    assert not report.ok
    assert not report.signatures[0].intact
    assert pdfsig(bytes(data), tmp_path)["Signature Validation"] != "Signature is Valid."


def test_an_appended_revision_is_detected(collecting_case, responder, legal, tmp_path):
    _disclosure, package = built(collecting_case, responder, legal)
    writer = IncrementalPdfFileWriter(io.BytesIO(content(package.pdf_file)))
    writer.root["/Tampered"] = generic.TextStringObject("later change")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    changed = out.getvalue()
    report = validation.pdf_validate(changed)
    assert not report.ok
    assert report.signatures[0].intact  # the signed bytes are untouched...
    assert not report.signatures[0].whole_file  # ...but they are no longer the whole file
    assert pdfsig(changed, tmp_path)["coverage"] != "Total document signed"


def test_b_t_with_the_project_timestamp_authority(collecting_case, responder, legal, tsa_url):
    _disclosure, package = built(collecting_case, responder, legal, tsa_url=tsa_url)
    report = validation.pdf_validate(content(package.pdf_file))
    assert report.ok
    assert report.signatures[0].timestamp is not None
    assert report.signatures[0].timestamp_trusted
    assert package.timestamped


def test_the_zip_holds_exactly_the_manifest(collecting_case, responder, legal):
    disclosure, package = built(collecting_case, responder, legal)
    pdf = content(package.pdf_file)
    manifest = json.loads(validation.pdf_validate(pdf).embedded[document.MANIFEST_JSON])
    with zipfile.ZipFile(io.BytesIO(content(package.zip_file))) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(
            [f"{disclosure.reference}.pdf", "files/logins.csv", "files/subscriber.csv"]
        )
        assert archive.read(f"{disclosure.reference}.pdf") == pdf
        import hashlib

        for entry in manifest["files"]:
            member = archive.read(entry["name"])
            assert hashlib.sha256(member).hexdigest() == entry["sha256"]
            assert len(member) == entry["size"]
    assert {e["name"]: e["records"] for e in manifest["files"]} == {
        "files/logins.csv": 40,
        "files/subscriber.csv": 1,
    }
    # the PDF's table prints the same hashes
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    for entry in manifest["files"]:
        assert (
            entry["sha256"] in text.replace(" ", "").replace("\n", "")
            or entry["sha256"][:32] in text
        )


def test_a_long_manifest_goes_to_csv_with_its_hash_in_the_pdf(
    collecting_case, responder, legal, settings
):
    settings.LIAISON_DISCLOSURE_MANIFEST_PDF_ROWS = 3
    files = {
        f"part-{i:02d}.csv": SUBSCRIBER_CSV + str(i).encode() + b",x,y,z\r\n" for i in range(5)
    }
    _disclosure, package = built(collecting_case, responder, legal, files=files)
    assert package.csv_sha256
    pdf = content(package.pdf_file)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout
    assert package.csv_sha256.encode() in text.replace(b"\n", b"")
    with zipfile.ZipFile(io.BytesIO(content(package.zip_file))) as archive:
        import hashlib

        csv_bytes = archive.read("manifest.csv")
        assert hashlib.sha256(csv_bytes).hexdigest() == package.csv_sha256
        assert csv_bytes.count(b"\r\n") == 6  # header + 5 rows


def test_building_twice_changes_nothing(collecting_case, responder, legal):
    disclosure, package = built(collecting_case, responder, legal)
    again, times = package_build(disclosure_id=disclosure.pk)
    assert (again.pdf_sha256, again.zip_sha256) == (package.pdf_sha256, package.zip_sha256)
    assert times.render == 0


def _render_pages(pdf: bytes, name: str, pages: list[int]) -> list[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    written = []
    for page in pages:
        prefix = ARTIFACTS / f"{name}-page{page}"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "100",
                "-singlefile",
                "-f",
                str(page),
                "-l",
                str(page),
                str(source),
                str(prefix),
            ],
            check=True,
        )
        written.append(prefix.with_suffix(".png"))
    return written


def test_pages_rendered_for_review(collecting_case, responder, legal, tsa_url):
    """First page and certificate page of each letter as PNG under test-artifacts/."""
    _d, production = built(collecting_case, responder, legal, tsa_url=tsa_url)
    pngs = _render_pages(content(production.pdf_file), "production", [1, production.pdf_pages])
    _d, no_records = built(
        collecting_case,
        responder,
        legal,
        kind=DisclosureKind.NO_RECORDS,
        not_produced_reason=NotProducedReason.NO_DATA,
    )
    pngs += _render_pages(content(no_records.pdf_file), "no-records", [1, no_records.pdf_pages])
    _d, rejection = built(
        collecting_case,
        responder,
        legal,
        kind=DisclosureKind.REJECTION,
        explanation="The subpoena names an account identifier that does not exist on our "
        "service, and asks for stored content, which a subpoena cannot compel "
        "(18 U.S.C. 2703(a), (b)).",
    )
    pngs += _render_pages(content(rejection.pdf_file), "rejection", [1])
    assert rejection.pdf_pages == 1  # the letter carries its own signature box
    for png in pngs:
        assert png.stat().st_size > 10_000  # a page with content, not a blank
    for package in (production, no_records, rejection):
        assert validation.pdf_validate(content(package.pdf_file)).ok


def test_b_lt_validates_from_the_embedded_data_alone(
    collecting_case, responder, legal, tsa_url, demo_pki, tmp_path
):
    """GIVEN B-LT with the demo CA's CRL, WHEN a production is signed, THEN the file carries
    the chain and the CRL in its signed revision: it validates long-term with fetching off,
    still one signature over the whole file, and pdfsig agrees."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    _disclosure, package = built(collecting_case, responder, legal, tsa_url=tsa_url, level="B-LT")
    data = content(package.pdf_file)
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(data)))
    assert len(dss.crls) == 1
    assert len(list(dss.load_certs())) >= 3  # signer, TSA, root
    report = validation.pdf_validate(data)
    assert report.ok
    (sig,) = report.signatures
    assert sig.long_term and sig.level == "B-LT"
    assert package.level == "B-LT"
    assert sig.whole_file  # the DSS is inside the signed revision, not appended
    facts = pdfsig(data, tmp_path, nss_trusting(demo_pki / "ca.crt", tmp_path))
    assert facts["Signature Validation"] == "Signature is Valid."
    assert facts["coverage"] == "Total document signed"
    assert facts["Certificate Validation"] == "Certificate is Trusted."


def test_b_lt_signing_logs_no_warning(collecting_case, responder, legal, tsa_url, caplog):
    """The CRLs are given up front and revocation is required, so pyHanko's "fetching is
    not allowed" warning (meant for validation data it would have to fetch) is not
    emitted: the DSS is written by us from what was validated."""
    caplog.set_level("WARNING", logger="pyhanko")
    _disclosure, package = built(collecting_case, responder, legal, tsa_url=tsa_url, level="B-LT")
    assert package.level == "B-LT"
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pyhanko")] == []


def test_b_lt_without_its_dss_is_not_long_term(collecting_case, responder, legal, tsa_url):
    """A B-T file (no DSS) is reported as B-T, never as long-term."""
    _disclosure, package = built(collecting_case, responder, legal, tsa_url=tsa_url, level="B-T")
    (sig,) = validation.pdf_validate(content(package.pdf_file)).signatures
    assert sig.ok and not sig.long_term and sig.level == "B-T"


def test_a_flipped_byte_in_a_b_lt_file_is_detected(collecting_case, responder, legal, tsa_url):
    _disclosure, package = built(collecting_case, responder, legal, tsa_url=tsa_url, level="B-LT")
    data = bytearray(content(package.pdf_file))
    at = data.index(b"Production of records")
    data[at] = ord("Q")
    (sig,) = validation.pdf_validate(bytes(data)).signatures
    assert not sig.intact and not sig.ok and not sig.long_term


def test_b_lt_without_revocation_data_fails_at_signing(
    collecting_case, responder, legal, tsa_url, settings, tmp_path
):
    """No CRL for the certificates: signing stops with a clear error, no B-T in disguise."""
    settings.LIAISON_DISCLOSURE_CRLS = [str(tmp_path / "missing.crl")]
    with pytest.raises(signing.ValidationDataMissing, match=r"missing\.crl"):
        built(collecting_case, responder, legal, tsa_url=tsa_url, level="B-LT")


def test_b_lt_with_a_crl_of_another_ca_fails_at_signing(
    collecting_case, responder, legal, tsa_url, settings, tmp_path
):
    from reports.disclosures.pki import demo_pki_create

    other = demo_pki_create(tmp_path / "other", organisation="Other CA", signer_name="Nobody")
    settings.LIAISON_DISCLOSURE_CRLS = [str(other.path("ca.crl"))]
    with pytest.raises(signing.ValidationDataMissing, match="B-LT"):
        built(collecting_case, responder, legal, tsa_url=tsa_url, level="B-LT")


def _crl_revoking_the_signer(demo_pki: Path, path: Path) -> None:
    """The demo CA's CRL, newer than the one in use, with the custodian's certificate on it."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    ca = x509.load_pem_x509_certificate((demo_pki / "ca.crt").read_bytes())
    key = serialization.load_pem_private_key((demo_pki / "ca.key").read_bytes(), password=None)
    signer = x509.load_pem_x509_certificate((demo_pki / "signer.crt").read_bytes())
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    revoked = (
        x509.RevokedCertificateBuilder()
        .serial_number(signer.serial_number)
        .revocation_date(now)
        .build()
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=30))
        .add_revoked_certificate(revoked)
        .add_extension(x509.CRLNumber(int(now.timestamp()) + 1), critical=False)
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    path.write_bytes(crl.public_bytes(serialization.Encoding.DER))


def test_b_lt_validates_again_once_the_crl_file_changes(
    collecting_case, responder, legal, tsa_url, demo_pki, settings, tmp_path
):
    """GIVEN a B-LT signature (its validation is kept for the next ones while its inputs
    and their dates hold), WHEN the CRL file is replaced by one revoking the custodian's
    certificate, THEN the next signature is validated again and refused."""
    crl = tmp_path / "current.crl"
    crl.write_bytes((demo_pki / "ca.crl").read_bytes())
    settings.LIAISON_DISCLOSURE_CRLS = [str(crl)]
    _disclosure, package = built(collecting_case, responder, legal, tsa_url=tsa_url, level="B-LT")
    assert package.level == "B-LT"
    _crl_revoking_the_signer(demo_pki, crl)
    with pytest.raises(signing.ValidationDataMissing, match="B-LT"):
        built(collecting_case, responder, legal, tsa_url=tsa_url, level="B-LT")


def test_b_lt_without_a_timestamp_authority_fails_at_signing(collecting_case, responder, legal):
    with pytest.raises(signing.ValidationDataMissing, match="timestamp authority"):
        built(collecting_case, responder, legal, tsa_url="", level="B-LT")


def test_a_formula_named_file_stays_byte_exact_and_inert_in_the_manifest_csv(
    collecting_case, responder, legal, settings
):
    # GIVEN a production whose file is named like a DDE formula, with a CSV manifest
    settings.LIAISON_DISCLOSURE_MANIFEST_PDF_ROWS = 0
    formula = "=cmd|' /C calc'!A0.csv"
    _disclosure, package = built(collecting_case, responder, legal, files={formula: SUBSCRIBER_CSV})
    # WHEN the manifest is read back from the package
    with zipfile.ZipFile(io.BytesIO(content(package.zip_file))) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode())))
        names = set(archive.namelist())
    # THEN its path is the file's exact path in the ZIP, and no cell starts a formula
    [entry] = rows[1:]
    assert entry[1] in names  # the name as stored (cases.uploads cleans it), byte-exact
    assert not any(
        cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row
    )
