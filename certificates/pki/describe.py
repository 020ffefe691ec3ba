"""What a PKI engineer checks in a certificate or a CSR, read from the object itself (never
from the database): validity window, key type and size, key usage and extended key usage,
alternative names, where to find the issuer and the revocation status (AIA, CRL
distribution points), fingerprints. Pure: the certificate page and the approver's decision
page show it as they get it."""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from certificates.pki import names
from certificates.pki.keys import KEY_TYPES, key_type_of

# RFC 5280 §4.2.1.3, in the order of the bit string.
KEY_USAGE_LABELS = (
    ("digital_signature", "Digital signature"),
    ("content_commitment", "Non-repudiation (content commitment)"),
    ("key_encipherment", "Key encipherment"),
    ("data_encipherment", "Data encipherment"),
    ("key_agreement", "Key agreement"),
    ("key_cert_sign", "Certificate signing"),
    ("crl_sign", "CRL signing"),
)
# RFC 5280 §4.2.1.12 and the usual others; an unknown purpose shows as its dotted OID.
EKU_LABELS = {
    ExtendedKeyUsageOID.SERVER_AUTH: "TLS server authentication (serverAuth)",
    ExtendedKeyUsageOID.CLIENT_AUTH: "TLS client authentication (clientAuth)",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "Email protection (emailProtection)",
    ExtendedKeyUsageOID.CODE_SIGNING: "Code signing (codeSigning)",
    ExtendedKeyUsageOID.TIME_STAMPING: "Time stamping (timeStamping)",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSP signing (OCSPSigning)",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "Any purpose (anyExtendedKeyUsage)",
}


@dataclass(frozen=True)
class Key:
    type: str  # Horizon's name: rsa-2048, ec-secp256r1, ed-25519
    label: str  # RSA 2048 bits, ECDSA P-256
    size: int | None  # bits; None where it says nothing (an unknown algorithm)


@dataclass
class TechnicalDetails:
    key: Key
    key_usage: list[str] = field(default_factory=list)
    extended_key_usage: list[str] = field(default_factory=list)
    sans: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    # Certificates only (a CSR has none of these):
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    validity_days: int | None = None
    ocsp_urls: list[str] = field(default_factory=list)
    ca_issuers_urls: list[str] = field(default_factory=list)
    crl_urls: list[str] = field(default_factory=list)
    sha256: str = ""
    sha1: str = ""


def describe_key(public_key) -> Key:
    name = key_type_of(public_key)
    known = KEY_TYPES.get(name)
    size = getattr(public_key, "key_size", None) or (known.size if known else None)
    if known is not None:
        return Key(name, known.label, size)
    return Key(name, f"{name} ({size} bits)" if size else name, size)


def key_usage(extensions: x509.Extensions) -> list[str]:
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return []
    out = [label for attribute, label in KEY_USAGE_LABELS if getattr(usage, attribute)]
    if usage.key_agreement:  # the two bits below mean something only with key agreement
        out += [
            label
            for attribute, label in (
                ("encipher_only", "Encipher only"),
                ("decipher_only", "Decipher only"),
            )
            if getattr(usage, attribute)
        ]
    return out


def extended_key_usage(extensions: x509.Extensions) -> list[str]:
    try:
        usages = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return [EKU_LABELS.get(oid, oid.dotted_string) for oid in usages]


def _sans(extensions: x509.Extensions) -> list[tuple[str, str]]:
    try:
        found = names.sans_of(extensions)
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
        return []
    return [(names.SAN_LABELS.get(kind, kind), value) for kind, value in found]


def _uris(general_names) -> list[str]:
    return [n.value for n in general_names or [] if isinstance(n, x509.UniformResourceIdentifier)]


def _access(extensions: x509.Extensions) -> tuple[list[str], list[str]]:
    """RFC 5280 §4.2.2.1: the OCSP responders and the issuer's certificate (caIssuers)."""
    try:
        descriptions = extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return [], []
    ocsp = [
        url
        for d in descriptions
        if d.access_method == AuthorityInformationAccessOID.OCSP
        for url in _uris([d.access_location])
    ]
    issuers = [
        url
        for d in descriptions
        if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
        for url in _uris([d.access_location])
    ]
    return ocsp, issuers


def _crl_urls(extensions: x509.Extensions) -> list[str]:
    """RFC 5280 §4.2.1.13: the full names of each distribution point."""
    try:
        points = extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [url for point in points for url in _uris(point.full_name)]


def describe_certificate(certificate: x509.Certificate) -> TechnicalDetails:
    extensions = certificate.extensions
    der = certificate.public_bytes(Encoding.DER)
    ocsp, issuers = _access(extensions)
    not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    return TechnicalDetails(
        key=describe_key(certificate.public_key()),
        key_usage=key_usage(extensions),
        extended_key_usage=extended_key_usage(extensions),
        sans=_sans(extensions),
        not_before=not_before,
        not_after=not_after,
        validity_days=(not_after - not_before).days,
        ocsp_urls=ocsp,
        ca_issuers_urls=issuers,
        crl_urls=_crl_urls(extensions),
        sha256=hashlib.sha256(der).hexdigest(),
        sha1=hashlib.sha1(der, usedforsecurity=False).hexdigest(),
    )


def describe_csr(csr: x509.CertificateSigningRequest) -> TechnicalDetails:
    """The same for a CSR: its key, and the usages and names it asks for (the profile, not
    the CSR, decides the certificate's usages)."""
    try:
        extensions = csr.extensions
    except (ValueError, x509.DuplicateExtension):  # stored before a rule that now refuses it
        return TechnicalDetails(key=describe_key(csr.public_key()))
    return TechnicalDetails(
        key=describe_key(csr.public_key()),
        key_usage=key_usage(extensions),
        extended_key_usage=extended_key_usage(extensions),
        sans=_sans(extensions),
    )
