"""A certificate given as text (a URL path segment), and its trust chain among this portal's CAs.

The chain is built the way RFC 5280 §6.1 paths are: each next certificate is a CA whose subject
is the current certificate's issuer (§4.1.2.4) AND whose key verifies its signature — a name
alone proves nothing, since anyone can create a CA with the same name.
"""

import base64
import binascii
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from django.db.models import Q

from certificates.models import CertificateAuthority
from certificates.pki.readable import readable_certificate
from raportal.callers import is_administrator
from raportal.control_characters import problem_with

PEM_BODY = re.compile(
    r"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----(?P<body>.*?)-----END (?:X509 |TRUSTED )?"
    r"CERTIFICATE-----",
    re.DOTALL,
)
MAX_CHAIN = 10  # deeper than any real hierarchy; stops a loop of cross-signed CAs


def load_certificate_text(text: str) -> x509.Certificate:
    """A certificate from PEM, or from bare base64 DER. Whitespace inside the base64 may be
    spaces, tabs or line breaks (newlines lost to URL handling become spaces); any other
    control character is refused. ValueError when it is none."""
    problem = problem_with(text, multiline=True)
    if problem:
        raise ValueError(f"the certificate text {problem}")
    match = PEM_BODY.search(text)
    body = match["body"] if match else text
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a PEM or base64 encoded X.509 certificate") from None
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        raise ValueError("not an X.509 certificate (the DER does not parse)") from None
    return readable_certificate(certificate)


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def published_authorities(user):
    """The CAs whose certificates ``user`` may be given: all for an administrator; else those
    that sign here (their certificates are served at /pki/<ca>.crt, in the AIA of what they
    signed) and those a public or downloadable entry of the list of CAs names."""
    if is_administrator(user):
        return CertificateAuthority.objects.all()
    return CertificateAuthority.objects.filter(
        Q(sealed_key__isnull=False) | Q(entries__public=True) | Q(entries__downloadable=True)
    ).distinct()


def trust_chain(certificate: x509.Certificate, user=None) -> list[x509.Certificate]:
    """The certificate, then the portal CAs that issued it, up to a self-signed root (or as
    far as the CAs ``user`` may be given go: ``published_authorities``)."""
    cas = [ca.certificate for ca in published_authorities(user).only("certificate_pem")]
    chain = [certificate]
    current = certificate
    while len(chain) < MAX_CHAIN and not (
        current.subject == current.issuer and issued_by(current, current)
    ):
        issuer = next(
            (ca for ca in cas if ca.subject == current.issuer and issued_by(current, ca)),
            None,
        )
        if issuer is None or issuer in chain:
            break
        chain.append(issuer)
        current = issuer
    return chain
