"""The pyHanko and asn1crypto speed-ups give the libraries' own answers, and are in force.

Each speed-up replaces or bypasses one piece of pyHanko or asn1crypto (see
``reports/disclosures/pyhanko_speedups.py``). These tests compare it with the piece it
stands for, and fail when an upgrade moves that piece: then re-measure with
bench/disclosure.py and delete the speed-up if the library no longer needs it."""

from __future__ import annotations

import asyncio
import inspect
import io

import pytest
from asn1crypto import x509  # type: ignore[import-untyped]
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.signers import pdf_cms

from reports.disclosures import pyhanko_speedups, signing
from tests.reports.disclosures.helpers import built, content

HEX_STRINGS = [
    b"<48656c6c6f>",
    b"<48 65\n6C\t6c\r\x0c6f\x00>",  # every PDF whitespace, upper and lower case
    b"<486>",  # an odd count: a final 0 is implied (ISO 32000-1, 7.3.4.3)
    b"<>",
    b"<" + b"0123456789abcdef" * 1500 + b"\n00>",  # a signature's size, several reads
    b"<4142> 12 0 R <4344>",  # what follows stays for the next read
    b"<41 % a comment\n42>",  # pyHanko skips comments: its own reader does it
    b"<41zz>",  # pyHanko's error
    b"<4142",  # the file ends: pyHanko's error
]


def _read(reader, data: bytes):
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
    except Exception as exc:  # the same kind of error is the same answer
        return ("error", type(exc)), stream.tell()
    return (type(value), bytes(value) if isinstance(value, bytes) else value), stream.tell()


@pytest.mark.parametrize("data", HEX_STRINGS)
def test_the_hex_string_reader_answers_as_pyhankos(data):
    ours = _read(pyhanko_speedups.read_hex_string_from_stream, data)
    theirs = _read(pyhanko_speedups._pyhanko_read_hex_string, data)
    if theirs[0][0] == "error":
        assert ours[0] == theirs[0]  # where pyHanko stops reading after an error is its own
    else:
        assert ours == theirs


def test_the_hex_string_reader_is_what_pyhankos_parser_calls():
    assert generic.read_hex_string_from_stream is pyhanko_speedups.read_hex_string_from_stream
    # read_object looks the function up by its module-level name when it meets a "<"
    assert "result = read_hex_string_from_stream(stream)" in inspect.getsource(generic.read_object)
    assert generic.read_object(io.BytesIO(b"<4142>"), None) == "AB"


def _signed_attrs(signer: signers.Signer) -> bytes:
    attrs = asyncio.run(
        signer.signed_attrs(
            b"\x01" * 32,
            "sha256",
            attr_settings=pdf_cms.PdfCMSSignedAttributes(),
            use_pades=True,
        )
    )
    return bytes(attrs.dump())


def test_the_prebuilt_signing_certificate_attribute_is_pyhankos():
    ours = signing.signer_load()
    stock = signers.SimpleSigner(
        signing_cert=ours.signing_cert,
        signing_key=ours.signing_key,
        cert_registry=ours.cert_registry,
    )
    assert _signed_attrs(ours) == _signed_attrs(stock)


def test_the_prebuilt_signing_certificate_attribute_is_used():
    signer = signing.signer_load()
    providers = signer._signed_attr_providers(
        data_digest=b"\x01" * 32,
        digest_algorithm="sha256",
        attr_settings=pdf_cms.PdfCMSSignedAttributes(),
        use_cades=True,
        is_pdf_sig=True,
    )
    assert any(isinstance(p, pyhanko_speedups._PrebuiltSigningCertificateV2) for p in providers)
    # pyHanko gathers the signed attributes through that method
    assert "self._signed_attr_providers(" in inspect.getsource(pdf_cms.Signer.signed_attrs)


@pytest.mark.parametrize(
    "value",
    ["Example Platform, Inc.", "  Jordan   Example  ", "Soft\u00adhyphen", "Ünïcödé CA", ""],
)
def test_the_kept_string_preparation_is_asn1cryptos(value):
    assert pyhanko_speedups._cached_string_prep(None, value) == (
        pyhanko_speedups._asn1crypto_string_prep(None, value)
    )


def test_the_kept_string_preparation_is_what_names_compare_with():
    assert x509.NameTypeAndValue._ldap_string_prep is pyhanko_speedups._cached_string_prep
    assert "self._ldap_string_prep(" in inspect.getsource(x509.NameTypeAndValue.prepped_value.fget)
    # RFC 5280 7.1: case and inner runs of spaces do not make another name
    a = x509.Name.build({"common_name": "Example  CA", "organization_name": "Example"})
    b = x509.Name.build({"common_name": "example ca", "organization_name": "EXAMPLE"})
    c = x509.Name.build({"common_name": "Other CA", "organization_name": "Example"})
    assert a == b
    assert a != c


def _objects_in_streams(data: bytes) -> list[tuple[int, int, int]]:
    reader = PdfFileReader(io.BytesIO(data))
    found = []
    for revision in range(reader.xrefs.total_revisions):
        entries = reader.xrefs.get_xref_data(revision).xrefs_in_objstm
        found += [(idnum, loc.obj_stream_id, loc.ix_in_stream) for idnum, loc in entries.items()]
    return found


@pytest.mark.django_db
def test_objects_from_an_object_stream_are_pyhankos(
    collecting_case, responder, legal, tsa_url, monkeypatch
):
    """Every object WeasyPrint put in an object stream of a signed production reads the
    same through the kept header as through pyHanko's own scan, and none of them needs
    pyHanko's scan (the speed-up is in force for our files)."""
    _disclosure, package = built(collecting_case, responder, legal, tsa_url=tsa_url, level="B-LT")
    data = content(package.pdf_file)
    objects = _objects_in_streams(data)
    assert len(objects) > 50  # the catalogue, pages, fields... are there
    ours, theirs = PdfFileReader(io.BytesIO(data)), PdfFileReader(io.BytesIO(data))
    pyhankos_scan = pyhanko_speedups._pyhanko_get_object_from_stream
    scanned = []

    def counted(reader, *args):
        scanned.append(args)
        return pyhankos_scan(reader, *args)

    monkeypatch.setattr(pyhanko_speedups, "_pyhanko_get_object_from_stream", counted)
    for idnum, stream, index in objects:
        mine = pyhanko_speedups.get_object_from_stream(ours, idnum, stream, index)
        assert repr(mine) == repr(pyhankos_scan(theirs, idnum, stream, index))
    assert scanned == []
    monkeypatch.undo()
    # an index the xref does not give: pyHanko's own answer (strict: its error)
    idnum, stream, index = objects[0]
    with pytest.raises(Exception) as ours_error:
        pyhanko_speedups.get_object_from_stream(ours, idnum, stream, index + 1)
    with pytest.raises(Exception) as theirs_error:
        pyhanko_speedups._pyhanko_get_object_from_stream(theirs, idnum, stream, index + 1)
    assert type(ours_error.value) is type(theirs_error.value)


def test_the_object_stream_reader_is_what_pyhankos_reader_calls():
    assert PdfFileReader._get_object_from_stream is pyhanko_speedups.get_object_from_stream
    assert "self._get_object_from_stream(" in inspect.getsource(PdfFileReader._read_object)
