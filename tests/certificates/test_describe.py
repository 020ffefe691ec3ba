"""The technical details read from a certificate or CSR (certificates/pki/describe.py) and the
download file names (certificates/pki/filenames.py): pure functions, no database."""

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from certificates.pki import names, signing
from certificates.pki.describe import describe_certificate, describe_csr
from certificates.pki.filenames import download_name, safe_part
from certificates.pki.keys import generate_private_key
from tests.factories import make_csr

CRL = "http://pki.example.com/ca/issuing/crl"
ISSUERS = "http://pki.example.com/ca/issuing/certificate"
OCSP = "http://pki.example.com/ocsp/issuing"


def a_ca() -> tuple[x509.Certificate, object]:
    key = generate_private_key("ec-secp256r1")
    certificate = signing.sign_ca(
        subject=names.build_name([("cn.1", "Unit Issuing CA")]),
        public_key=key.public_key(),
        issuer_cert=None,
        issuer_key=key,
        validity_days=3650,
        path_length=0,
    )
    return certificate, key


def a_leaf(key_type: str = "rsa-2048", cn: str = "web.example.com", **kwargs):
    ca_cert, ca_key = a_ca()
    key = generate_private_key(key_type)
    return signing.sign_leaf(
        ca_cert=ca_cert,
        ca_key=ca_key,
        public_key=key.public_key(),
        subject=names.build_name([("cn.1", cn)]),
        sans=[names.general_name("DNSNAME", cn), names.general_name("IPADDRESS", "192.0.2.7")],
        validity=dt.timedelta(days=90),
        ekus=["serverAuth", "clientAuth"],
        crl_url=CRL,
        ca_issuers_url=ISSUERS,
        ocsp_url=OCSP,
        **kwargs,
    )


def test_a_certificate_is_described_with_its_key_usages_names_urls_and_fingerprints():
    certificate = a_leaf("rsa-2048")
    details = describe_certificate(certificate)
    assert (details.key.type, details.key.label, details.key.size) == (
        "rsa-2048",
        "RSA 2048 bits",
        2048,
    )
    assert details.key_usage == ["Digital signature", "Key encipherment"]
    assert details.extended_key_usage == [
        "TLS server authentication (serverAuth)",
        "TLS client authentication (clientAuth)",
    ]
    assert details.sans == [("DNS name", "web.example.com"), ("IP address", "192.0.2.7")]
    assert (details.ocsp_urls, details.ca_issuers_urls, details.crl_urls) == (
        [OCSP],
        [ISSUERS],
        [CRL],
    )
    assert details.sha256 == certificate.fingerprint(hashes.SHA256()).hex()
    assert details.sha1 == certificate.fingerprint(hashes.SHA1()).hex()  # noqa: S303
    assert details.not_before == certificate.not_valid_before_utc
    assert details.not_after == certificate.not_valid_after_utc
    assert details.validity_days == 90


def test_an_ec_key_is_named_by_its_curve_and_without_key_encipherment():
    details = describe_certificate(a_leaf("ec-secp384r1"))
    assert (details.key.label, details.key.size) == ("ECDSA P-384", 384)
    assert details.key_usage == ["Digital signature"]


def test_a_certificate_without_aia_says_it_has_no_ocsp_url():
    ca_cert, _ = a_ca()
    details = describe_certificate(ca_cert)
    assert details.ocsp_urls == [] and details.crl_urls == [] and details.extended_key_usage == []
    assert details.key_usage == ["Digital signature", "Certificate signing", "CRL signing"]


def test_a_csr_is_described_by_its_key_and_the_names_it_asks_for():
    pem, _ = make_csr(
        "rsa-3072", subject=[("cn.1", "app.example.com")], sans=[("DNSNAME", "app.example.com")]
    )
    details = describe_csr(x509.load_pem_x509_csr(pem.encode()))
    assert (details.key.type, details.key.size) == ("rsa-3072", 3072)
    assert details.sans == [("DNS name", "app.example.com")]
    assert details.sha256 == "" and details.not_after is None  # a CSR has neither


def test_a_download_is_named_after_the_common_name_and_the_short_serial():
    certificate = a_leaf(cn="short.example.com")
    serial = format(certificate.serial_number, "x")
    assert download_name(certificate, serial, "pem") == f"short.example.com_{serial[:8]}.pem"


def test_a_download_name_keeps_only_portable_characters():
    assert safe_part("*.example.com") == "example.com"
    assert safe_part("Jane Doe / ACME, Inc.") == "Jane_Doe_ACME_Inc"
    assert safe_part("../../etc/passwd") == "etc_passwd"
    certificate = a_leaf(cn="Jane Doe/ACME")
    assert download_name(certificate, "0a1b2c3d4e5f", "cer") == "Jane_Doe_ACME_0a1b2c3d.cer"
