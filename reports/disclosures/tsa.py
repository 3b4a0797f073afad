"""A small RFC 3161 timestamp authority for tests and the demo.

RFC 3161 over HTTP (section 3.4): ``POST`` a DER ``TimeStampReq`` with
``Content-Type: application/timestamp-query``; the answer is a DER ``TimeStampResp`` with
``application/timestamp-reply``. The token is built and signed by pyHanko's
``DummyTimeStamper`` (asn1crypto structures, the TSA key and certificate of the demo PKI),
so the bytes are the real protocol; only the clock and key custody are a demo's.
A malformed request gets a ``rejection`` with ``badRequest``, an unknown hash
``badAlg`` (RFC 3161 section 2.4.2).

Run it: ``manage.py disclosure_tsa --port 8103``, then set
``LIAISON_DISCLOSURE_TSA_URL=http://127.0.0.1:8103/``.
"""

from __future__ import annotations

import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import cms, core, keys, pem, tsp, x509  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign import general
from pyhanko.sign.general import get_pyca_cryptography_hash, simple_cms_attribute
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
HASHES = frozenset({"sha256", "sha384", "sha512"})
MAX_REQUEST = 16 * 1024


def _load(path: Path) -> bytes:
    data = path.read_bytes()
    if pem.detect(data):
        _type, _headers, data = pem.unarmor(data)
    return data


class _Stamper(DummyTimeStamper):
    """pyHanko's dummy TSA with the key parsed once (it parses and RSA-checks it from DER
    for every token) and the ESS signing-certificate attribute built once (asn1crypto
    re-encodes a freshly built nested value at every level that reads it: milliseconds
    per token). Both made the demo TSA slower than the signature it stamps."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        key = serialization.load_der_private_key(self.tsa_key.dump(), password=None)
        if not isinstance(key, RSAPrivateKey):
            raise ValueError("the demo TSA key must be RSA")
        self._key = key
        self._signing_certificate = simple_cms_attribute(
            "signing_certificate", general.as_signing_certificate(self.tsa_cert)
        ).dump()

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        md = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        md.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                cms.CMSAttribute.load(self._signing_certificate),
                simple_cms_attribute("message_digest", md.finalize()),
            ]
        )
        signature = self._key.sign(
            signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        return signature, signed_attrs


class TimestampAuthority:
    """Answers timestamp requests with tokens signed by ``tsa.key`` (PKI directory)."""

    def __init__(self, directory: Path) -> None:
        cert = x509.Certificate.load(_load(directory / "tsa.crt"))
        key = keys.PrivateKeyInfo.load(_load(directory / "tsa.key"))
        ca = x509.Certificate.load(_load(directory / "ca.crt"))
        self._stamper = _Stamper(
            tsa_cert=cert, tsa_key=key, certs_to_embed=SimpleCertificateStore.from_certs([ca])
        )
        self._lock = threading.Lock()
        self.issued = 0

    def respond(self, body: bytes) -> bytes:
        try:
            request = tsp.TimeStampReq.load(body)
            algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
            _ = request["message_imprint"]["hashed_message"].native
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_request")
        if algorithm not in HASHES:
            return _rejection("bad_alg")
        with self._lock:
            response = self._stamper.request_tsa_response(request)
            self.issued += 1
        return bytes(response.dump())


def _rejection(reason: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {"status": tsp.PKIStatus("rejection"), "fail_info": tsp.PKIFailureInfo({reason})}
    )
    return bytes(tsp.TimeStampResp({"status": status}).dump())


def _handler(authority: TimestampAuthority) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "LiaisonDemoTSA/1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if self.headers.get("Content-Type", "").split(";")[0].strip() != QUERY_TYPE:
                self._answer(415, b"", "text/plain")
                return
            if length <= 0 or length > MAX_REQUEST:
                self._answer(400, _rejection("bad_request"), REPLY_TYPE)
                return
            self._answer(200, authority.respond(self.rfile.read(length)), REPLY_TYPE)

        def _answer(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # requests carry only hashes; nothing worth a log line

    return Handler


def tsa_server(directory: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A server (not yet serving); ``server.server_address`` has the bound port."""
    server = ThreadingHTTPServer((host, port), _handler(TimestampAuthority(directory)))
    server.daemon_threads = True
    return server


def tsa_start_thread(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve in a daemon thread (tests, bench); returns the server and its URL."""
    server = tsa_server(directory)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host!s}:{port}/"
