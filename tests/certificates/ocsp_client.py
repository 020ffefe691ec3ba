"""An OCSP client for the tests (and the bench): requests built with cryptography's
x509.ocsp, asked by POST or by RFC 5019 GET through Django's test client or over HTTP."""

import base64
import os
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from certificates.pki.ocsp import HASHES, issuer_hashes


def request_for(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    algorithm: hashes.HashAlgorithm | None = None,
    nonce: bytes | None = None,
) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        certificate,
        issuer,
        algorithm or hashes.SHA1(),  # noqa: S303 (RFC 5019 §2.1.1: clients' usual CertID)
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(Encoding.DER)


def request_for_serial(issuer: x509.Certificate, serial: int, algorithm: str = "sha1") -> bytes:
    """A CertID with the issuer's true hashes and a serial of our choosing."""
    name_hash, key_hash = issuer_hashes(issuer, algorithm)
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        name_hash, key_hash, serial, HASHES[algorithm]()
    )
    return builder.build().public_bytes(Encoding.DER)


def get_path(ca_name: str, der: bytes) -> str:
    """RFC 5019 §5: the base64 request, URL-encoded, after the responder's URL."""
    return f"/ocsp/{ca_name}/" + urllib.parse.quote(base64.b64encode(der).decode(), safe="")


def ask(client, ca_name: str, der: bytes, method: str = "GET"):
    """(Django test response, parsed OCSPResponse)."""
    if method == "GET":
        response = client.get(get_path(ca_name, der))
    else:
        response = client.post(f"/ocsp/{ca_name}", der, content_type="application/ocsp-request")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/ocsp-response", response["Content-Type"]
    return response, ocsp.load_der_ocsp_response(response.content)


def random_nonce() -> bytes:
    return os.urandom(16)
