"""A PKI made outside the portal, with ``cryptography`` alone: the CA certificates and keys that
admins bring to the portal as trust entries (``/api/v1/cas``) and integrated connectors
(``/api/v1/pki/connectors``)."""

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_ca(
    common_name: str,
    key=None,
    *,
    issuer: x509.Certificate | None = None,
    issuer_key=None,
    ca: bool = True,
    days: int = 3650,
) -> tuple[x509.Certificate, object]:
    """A CA certificate with the extensions RFC 5280 asks of one (root when no issuer), or with
    ``ca=False`` an end-entity certificate; and its key."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Outside PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(
            x509.BasicConstraints(ca=ca, path_length=0 if ca and issuer else None), critical=True
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    signer = issuer_key or key
    aki_source = issuer.public_key() if issuer else key.public_key()
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_source), critical=False
    )
    return builder.sign(signer, hashes.SHA384()), key


def make_pki(prefix: str = "Outside") -> dict:
    """A root CA (P-384) and an issuing CA (P-256) under it, named "<prefix> Root CA" and
    "<prefix> Issuing CA": {"root", "root_key", "issuing", "issuing_key"}."""
    root, root_key = make_ca(f"{prefix} Root CA", ec.generate_private_key(ec.SECP384R1()))
    issuing, issuing_key = make_ca(f"{prefix} Issuing CA", issuer=root, issuer_key=root_key)
    return {"root": root, "root_key": root_key, "issuing": issuing, "issuing_key": issuing_key}


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
