"""Certificates from outside (imports, trust-chain queries) are decoded in full on arrival:
a part the portal cannot read is refused there, instead of failing later mid-request."""

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from certificates.pki import names
from certificates.pki.keys import key_type_of


def readable_certificate(certificate: x509.Certificate) -> x509.Certificate:
    """The certificate once its key, extensions and SANs decode; ValueError otherwise (for
    example a SAN type the portal does not handle, or an unknown key algorithm)."""
    try:
        key_type_of(certificate.public_key())
        names.sans_of(certificate.extensions)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None
    return certificate
