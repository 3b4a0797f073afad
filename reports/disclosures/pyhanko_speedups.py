"""Where we drive pyHanko (and asn1crypto under it) around costs bench/disclosure.py measured.

Each item keeps pyHanko's output byte for byte; each has a test in
``tests/reports/disclosures/test_pyhanko_speedups.py`` that fails when a pyHanko upgrade
changes what it relies on (then re-measure, and delete what pyHanko now does itself):

- ``run(work)``: one event loop per process for pyHanko's async API (its synchronous
  calls start a loop, and a B-T HTTP session, per call).
- ``LoadedKeySigner``: the private key parsed once, and the signing-certificate-v2
  attribute built once. asn1crypto never clears its "mutated" flag, so a freshly built
  nested value is re-encoded at every level that reads it: that one attribute cost
  about 7 ms of every signature (the whole CMS, 1 ms once it is parsed from DER).
- ``install()``: (a) pyHanko's parser reads a hex string one byte at a time through a
  Python generator; a signature's ``/Contents`` is 8-17 k hex digits, 5-8 ms per read, read
  on every validation and when the package reads back its own signature. (b) asn1crypto
  prepares every name it compares (RFC 4518 string preparation, ``stringprep`` character
  by character) once per parsed object, and each validation parses the same few names
  afresh from the file: 2-4 ms of each validation. The preparation is a pure function of
  the string, so it is kept per string. (c) pyHanko decodes an object stream and scans
  its header one byte at a time for every object it takes from it (WeasyPrint puts the
  catalogue, pages and fields among 200-odd objects in one): the header is read once per
  file read; about 1 ms of each signature.
"""

from __future__ import annotations

import asyncio
import atexit
import binascii
import functools
import io
import os
import threading
import weakref
from collections.abc import Coroutine, Iterable
from typing import IO, Any, TypeVar

import aiohttp
from asn1crypto import tsp, x509  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import attributes, signers
from pyhanko.sign.general import as_signing_certificate_v2, get_pyca_cryptography_hash

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


def loop() -> _Loop:
    global _loop_current
    with _loop_lock:
        if _loop_current is None or _loop_current.pid != os.getpid():
            _loop_current = _Loop()
        return _loop_current


def run(work: Coroutine[Any, Any, T]) -> T:
    return loop().run(work)


class _PrebuiltSigningCertificateV2(attributes.SigningCertificateV2Provider):
    """pyHanko's signing-certificate-v2 provider with the value built once, kept as DER
    and parsed back per signature (a parsed value is not "mutated": dumped as is)."""

    def __init__(self, signing_cert: Any) -> None:
        super().__init__(signing_cert)
        self._der = as_signing_certificate_v2(signing_cert).dump()

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2.load(self._der)


class LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's ``SimpleSigner`` parses the private key from DER on every raw signature,
    twice a document (the size estimate signs too); with OpenSSL 3 the RSA key check on
    load costs more than the signature. This one keeps the parsed key, and the
    signing-certificate-v2 attribute (the same for every signature of this certificate)."""

    def __init__(self, loaded: signers.SimpleSigner) -> None:
        if loaded.signing_cert is None:
            raise ValueError("no signing certificate")
        super().__init__(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
            signature_mechanism=loaded.signature_mechanism,
            prefer_pss=loaded.prefer_pss,
            embed_roots=loaded.embed_roots,
        )
        self._key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)
        self._signing_certificate_v2 = _PrebuiltSigningCertificateV2(loaded.signing_cert)

    def _signed_attr_providers(
        self, *args: Any, **kwargs: Any
    ) -> Iterable[attributes.CMSAttributeProvider]:
        for provider in super()._signed_attr_providers(*args, **kwargs):
            if (
                type(provider) is attributes.SigningCertificateV2Provider
                and provider.signing_cert is self.signing_cert
            ):
                yield self._signing_certificate_v2
            else:
                yield provider

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


_pyhanko_read_hex_string = generic.read_hex_string_from_stream


def read_hex_string_from_stream(stream: IO[bytes]) -> Any:
    """pyHanko's ``read_hex_string_from_stream`` in a few bytes operations: read up to
    ``>``, drop whitespace, unhexlify. Anything else inside (a comment, a stray byte, the
    end of the file) goes to pyHanko's own reader, so its answers and errors are pyHanko's."""
    start = stream.tell()
    stream.read(1)  # "<"
    parts = []
    size = 256  # most hex strings are short (a file ID); a signature's grows the reads
    while True:
        chunk = stream.read(size)
        end = chunk.find(b">")
        if end >= 0:
            parts.append(chunk[:end])
            stream.seek(end + 1 - len(chunk), os.SEEK_CUR)
            break
        if not chunk:
            stream.seek(start)
            return _pyhanko_read_hex_string(stream)
        parts.append(chunk)
        size = min(size * 4, 1 << 20)
    digits = b"".join(parts).translate(None, misc.PDF_WHITESPACE)
    if digits.translate(None, generic.HEX_DIGITS):
        stream.seek(start)
        return _pyhanko_read_hex_string(stream)
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


_pyhanko_get_object_from_stream = PdfFileReader._get_object_from_stream
_object_streams: weakref.WeakKeyDictionary[PdfFileReader, dict[int, Any]] = (
    weakref.WeakKeyDictionary()
)


def _object_stream(reader: PdfFileReader, number: int) -> Any:
    """An object stream's decoded data, /First and {object number: (index, offset)}, read
    once per reader; None when its header is anything but 2 x /N plain integers."""
    streams = _object_streams.setdefault(reader, {})
    if number not in streams:
        stream = generic.Reference(number, 0, reader).get_object()
        if not isinstance(stream, generic.StreamObject):
            streams[number] = None  # pyHanko's own path says what is wrong
            return None
        data = stream.read_data(DecodePurpose.OBJECT_STREAM)
        first, count = int(stream["/First"]), int(stream["/N"])
        header = data[:first].split()
        found = None
        if len(header) == 2 * count and all(token.isdigit() for token in header):
            offsets: dict[int, tuple[int, int]] = {}
            for i in range(count):
                offsets.setdefault(int(header[2 * i]), (i, int(header[2 * i + 1])))
            found = (data, first, offsets)
        streams[number] = found
    return streams[number]


def get_object_from_stream(self: PdfFileReader, idnum: int, stmnum: int, idx: int) -> Any:
    """pyHanko's ``PdfFileReader._get_object_from_stream`` with the stream's header read
    once. Anything unusual (a header that is not plain integers, an object at another
    index than the xref says, one that does not parse or is a stream) takes pyHanko's own
    path, so its answers, warnings and strict-mode errors are pyHanko's."""
    index = _object_stream(self, stmnum)
    hit = None if index is None else index[2].get(idnum)
    if hit is None or hit[0] != idx:
        return _pyhanko_get_object_from_stream(self, idnum, stmnum, idx)
    data, first, _offsets = index
    stream = io.BytesIO(data)
    stream.seek(first + hit[1])
    try:
        obj = generic.read_object(stream, generic.Reference(idnum, 0, self))
    except (misc.PdfStreamError, misc.PdfReadError):
        return _pyhanko_get_object_from_stream(self, idnum, stmnum, idx)
    if isinstance(obj, generic.StreamObject | generic.IndirectObject):
        return _pyhanko_get_object_from_stream(self, idnum, stmnum, idx)
    return obj


_asn1crypto_string_prep = x509.NameTypeAndValue._ldap_string_prep


@functools.lru_cache(maxsize=4096)
def _string_prep(string: str) -> str:
    return str(_asn1crypto_string_prep(None, string))  # uses nothing of its ``self``


def _cached_string_prep(self: x509.NameTypeAndValue, string: str) -> str:
    """asn1crypto's RFC 4518 preparation of a name's value, once per distinct string."""
    return _string_prep(string)


def install() -> None:
    """Put the hex string reader in pyHanko's parser (``generic.read_object`` calls it by
    its module-level name), the object stream reader in its file reader, and the kept
    string preparation in asn1crypto's names. Idempotent."""
    generic.read_hex_string_from_stream = read_hex_string_from_stream
    PdfFileReader._get_object_from_stream = get_object_from_stream  # type: ignore[method-assign]
    x509.NameTypeAndValue._ldap_string_prep = _cached_string_prep
