"""Signing certificates and CRLs with a CA key, with the RFC 5280 extensions they need."""

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from certificates.pki.keys import signing_public_key

EKU_OIDS = {
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "emailProtection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "codeSigning": ExtendedKeyUsageOID.CODE_SIGNING,
    "timeStamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocspSigning": ExtendedKeyUsageOID.OCSP_SIGNING,
}
EKU_CHOICES = [
    ("serverAuth", "TLS server authentication"),
    ("clientAuth", "TLS client authentication"),
    ("emailProtection", "Email protection (S/MIME)"),
    ("codeSigning", "Code signing"),
    ("timeStamping", "Time stamping"),
    ("ocspSigning", "OCSP signing"),
]

# Backdating absorbs clock skew between the CA and relying parties.
BACKDATE = dt.timedelta(minutes=5)


def signature_hash(ca_key):
    """The digest that matches the CA key's strength; Ed25519/Ed448 carry their own."""
    if isinstance(ca_key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return None
    if isinstance(ca_key, ec.EllipticCurvePrivateKey):
        return {384: hashes.SHA384(), 521: hashes.SHA512()}.get(
            ca_key.curve.key_size, hashes.SHA256()
        )
    if isinstance(ca_key, rsa.RSAPrivateKey) and ca_key.key_size >= 4096:
        return hashes.SHA384()
    return hashes.SHA256()


def leaf_key_usage(public_key) -> x509.KeyUsage:
    # RFC 5280 §4.2.1.3; RSA keys may also transport keys (TLS RSA, S/MIME encryption).
    rsa_key = isinstance(public_key, rsa.RSAPublicKey)
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=rsa_key,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def authority_key_id(issuer_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    """RFC 5280 §4.2.1.1: the issuer's subject key identifier; computed from its key (method
    1 of §4.2.1.2) for an imported CA certificate that lacks one."""
    try:
        ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_public_key(issuer_cert))
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def whole_seconds(value: dt.timedelta) -> dt.timedelta:
    """X.509 times have a one-second resolution."""
    return dt.timedelta(seconds=int(value.total_seconds()))


def leaf_validity(
    ca_cert: x509.Certificate, validity: dt.timedelta, backdate: dt.timedelta
) -> tuple[dt.datetime, dt.datetime]:
    """notBefore and notAfter of a certificate signed now, nested in the CA's own validity
    (a certificate must not outlive, nor predate, the CA that vouches for it)."""
    moment = now()
    backdate = max(whole_seconds(backdate), dt.timedelta(0))
    start = max(moment - backdate, ca_cert.not_valid_before_utc)
    start = min(start, moment)  # never after now, whatever the CA's notBefore says
    # The lifetime counts from notBefore: backdating never lengthens a certificate.
    end = min(start + whole_seconds(validity), ca_cert.not_valid_after_utc)
    if end <= start:
        raise ValueError("the certificate would end before it starts (the CA is expired?)")
    return start, end


def sign_leaf(
    *,
    ca_cert: x509.Certificate,
    ca_key,
    public_key,
    subject: x509.Name,
    sans: list[x509.GeneralName],
    validity: dt.timedelta,
    ekus: list[str],
    crl_url: str,
    ca_issuers_url: str,
    backdate: dt.timedelta = BACKDATE,
    ocsp_url: str | None = None,
) -> x509.Certificate:
    """An end-entity certificate valid from ``backdate`` before now (never before the CA's
    own notBefore) until ``validity`` after now (never after the CA's notAfter); its AIA
    names the CA's OCSP responder when ``ocsp_url`` is given."""
    start, end = leaf_validity(ca_cert, validity, backdate)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(leaf_key_usage(public_key), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(authority_key_id(ca_cert), critical=False)
        .add_extension(_crl_distribution_points(crl_url), critical=False)
        .add_extension(authority_info_access(ca_issuers_url, ocsp_url), critical=False)
    )
    if ekus:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([EKU_OIDS[name] for name in ekus]), critical=False
        )
    if sans:
        # RFC 5280 §4.2.1.6: critical when the subject is empty.
        builder = builder.add_extension(
            x509.SubjectAlternativeName(sans), critical=len(subject) == 0
        )
    return builder.sign(ca_key, signature_hash(ca_key))


def sign_ca(
    *,
    subject: x509.Name,
    public_key,
    issuer_cert: x509.Certificate | None,
    issuer_key,
    validity_days: int,
    path_length: int | None,
    crl_url: str | None = None,
    ca_issuers_url: str | None = None,
) -> x509.Certificate:
    """A root (issuer_cert None: self-signed) or a subordinate CA certificate."""
    start = now() - BACKDATE
    end = start + dt.timedelta(days=validity_days)
    if issuer_cert is not None:
        end = min(end, issuer_cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(authority_key_id(issuer_cert), critical=False)
    else:
        ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    if crl_url:
        builder = builder.add_extension(_crl_distribution_points(crl_url), critical=False)
    if ca_issuers_url:
        builder = builder.add_extension(authority_info_access(ca_issuers_url), critical=False)
    return builder.sign(issuer_key, signature_hash(issuer_key))


def sign_crl(
    *,
    ca_cert: x509.Certificate,
    ca_key,
    number: int,
    revoked: list[tuple[int, dt.datetime, x509.ReasonFlags | None]],
    validity: dt.timedelta,
) -> x509.CertificateRevocationList:
    this_update = now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(this_update)
        .next_update(this_update + validity)
        .add_extension(authority_key_id(ca_cert), critical=False)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    for serial, when, reason in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
        if reason is not None and reason != x509.ReasonFlags.unspecified:
            # RFC 5280 §5.3.1: the reasonCode "unspecified" SHOULD be absent.
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca_key, signature_hash(ca_key))


def _crl_distribution_points(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )


def authority_info_access(
    ca_issuers_url: str, ocsp_url: str | None = None
) -> x509.AuthorityInformationAccess:
    """RFC 5280 §4.2.2.1: where the issuer's certificate is (caIssuers) and, when given,
    its OCSP responder (id-ad-ocsp, RFC 6960 §3.1), listed first as is customary."""
    descriptions = [
        x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier(ca_issuers_url),
        )
    ]
    if ocsp_url:
        descriptions.insert(
            0,
            x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier(ocsp_url),
            ),
        )
    return x509.AuthorityInformationAccess(descriptions)
