"""PKCS#10 certificate signing requests (RFC 2986): parse and prove possession of the key."""

import base64
import binascii
import re

from cryptography import x509

from certificates.pki.names import check_names_visible

PEM_CSR = re.compile(
    r"-----BEGIN (NEW )?CERTIFICATE REQUEST-----(.+?)-----END (NEW )?CERTIFICATE REQUEST-----",
    re.S,
)
MAX_CSR_BYTES = 64 * 1024


def load_csr(text: str | None) -> x509.CertificateSigningRequest:
    """PEM text (or the bare base64 of its DER) → a CSR whose self-signature is valid.

    Raises ValueError with a message a requester can act on."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the CSR is empty")
    if len(text) > MAX_CSR_BYTES:
        raise ValueError("the CSR is too large")
    match = PEM_CSR.search(text)
    if not match and "-----BEGIN CERTIFICATE-----" in text:
        raise ValueError(
            "this is a certificate, not a certificate request (CSR): give the CSR, "
            "which starts with -----BEGIN CERTIFICATE REQUEST-----"
        )
    if not match and "PRIVATE KEY-----" in text:
        raise ValueError(
            "this is a private key, not a certificate request (CSR): keep the key to "
            "yourself and give the CSR made from it"
        )
    body = match.group(2) if match else text
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        # Horizon's words first (its clients match them), then what to do.
        raise ValueError(
            "Could not parse provided PEM: expected -----BEGIN CERTIFICATE REQUEST----- and base64"
        ) from None
    try:
        csr = x509.load_der_x509_csr(der)
    except ValueError:
        raise ValueError(
            "Could not parse provided PEM: not a valid PKCS#10 certificate request"
        ) from None
    try:
        valid = csr.is_signature_valid
    except Exception:  # unsupported key or signature algorithm
        valid = False
    if not valid:
        raise ValueError("the CSR's signature does not verify with its public key")
    try:
        csr.extensions  # noqa: B018 - parsed now, so that a malformed one is refused here
    except Exception:  # duplicate or undecodable extensions
        raise ValueError("the CSR's extensions are malformed") from None
    check_names_visible(csr.subject, csr.extensions, whose="the CSR's")
    return csr


def csr_pem(csr: x509.CertificateSigningRequest) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return csr.public_bytes(Encoding.PEM).decode()
