"""How certificates are identified in the API: serial and thumbprints, in lower-case hex."""

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def serial_hex(certificate: x509.Certificate) -> str:
    """The serial number as whole octets (even length), as OpenSSL prints it."""
    return hex_serial(certificate.serial_number)


def hex_serial(number: int) -> str:
    """A serial number as ``serial_hex`` writes it (the Certificate rows' ``serial``)."""
    digits = format(number, "x")
    return digits.zfill(len(digits) + len(digits) % 2)


def thumbprint(certificate: x509.Certificate, algorithm: str = "sha256") -> str:
    return hashlib.new(algorithm, certificate.public_bytes(Encoding.DER)).hexdigest()


def public_key_thumbprint(certificate: x509.Certificate) -> str:
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def signing_algorithm(certificate: x509.Certificate) -> str:
    oid = certificate.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string
