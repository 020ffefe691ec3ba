"""Certificates the built-in CA issues verify against its chain with OpenSSL and pass
pkilint's RFC 5280 validator."""

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.conftest import enroll_body
from tests.factories import make_csr

PASSWORD = "Correct-Horse-9-battery"
BIN = Path(sys.executable).parent


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@pytest.fixture
def chain_files(pki, tmp_path):
    root, issuing = tmp_path / "root.pem", tmp_path / "issuing.pem"
    root.write_text(pki["root"].certificate_pem)
    issuing.write_text(pki["issuing"].certificate_pem)
    return root, issuing


def issue(api, tmp_path, name: str, **template) -> tuple[Path, x509.Certificate, dict]:
    status, body = api.submit(enroll_body(**template) | {"password": {"value": PASSWORD}})
    assert status == 201, body
    path = tmp_path / f"{name}.pem"
    path.write_text(body["certificate"]["certificate"])
    return path, x509.load_pem_x509_certificate(path.read_bytes()), body


CASES = {
    "ec-with-dns-and-ip": {
        "keyType": "ec-secp256r1",
        "subject": [
            {"element": "cn.1", "value": "web.example.com"},
            {"element": "o.1", "value": "Example"},
            {"element": "c.1", "value": "FR"},
        ],
        "sans": [
            {"type": "DNSNAME", "value": ["web.example.com"]},
            {"type": "IPADDRESS", "value": ["192.0.2.1", "2001:db8::1"]},
        ],
    },
    "rsa-with-email": {
        "keyType": "rsa-2048",
        "subject": [{"element": "cn.1", "value": "Alice Example"}],
        "sans": [{"type": "RFC822NAME", "value": ["alice@example.com"]}],
    },
    "ed25519": {
        "keyType": "ed-25519",
        "subject": [{"element": "cn.1", "value": "device-42"}],
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_issued_certificate_verifies_against_the_chain_with_openssl(
    profile, approver_api, chain_files, tmp_path, case
):
    root, issuing = chain_files
    leaf, _, _ = issue(approver_api, tmp_path, case, **CASES[case])
    result = run("openssl", "verify", "-CAfile", str(root), "-untrusted", str(issuing), str(leaf))
    assert result.returncode == 0 and ": OK" in result.stdout, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_pkilint_finds_no_rfc5280_error_in_issued_certificates(
    profile, approver_api, tmp_path, case
):
    leaf, _, _ = issue(approver_api, tmp_path, case, **CASES[case])
    result = run(str(BIN / "lint_pkix_cert"), "lint", "-s", "ERROR", str(leaf))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_pkilint_finds_no_error_in_the_ca_certificates(chain_files):
    for path in chain_files:
        result = run(str(BIN / "lint_pkix_cert"), "lint", "-s", "ERROR", str(path))
        assert result.returncode == 0, result.stdout + result.stderr


def test_issued_certificates_carry_the_rfc5280_extensions(
    profile, approver_api, pki, tmp_path, settings
):
    _, cert, body = issue(approver_api, tmp_path, "ext", **CASES["ec-with-dns-and-ip"])
    ext = cert.extensions
    basic = ext.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca is False
    usage = ext.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    eku = ext.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    ski = ext.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    issuing_ski = (
        pki["issuing"]
        .certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        .value
    )
    assert aki.key_identifier == issuing_ski.digest
    san = ext.get_extension_for_class(x509.SubjectAlternativeName)
    assert not san.critical  # the subject is not empty
    crldp = ext.get_extension_for_class(x509.CRLDistributionPoints).value
    crl_url = crldp[0].full_name[0].value
    assert crl_url == f"{settings.RAPORTAL_PKI_BASE_URL}/pki/{pki['issuing'].name}.crl"
    aia = ext.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert aia[0].access_location.value.endswith(f"/pki/{pki['issuing'].name}.crt")
    assert cert.serial_number > 0 and cert.serial_number.bit_length() <= 159
    assert body["certificate"]["signingAlgorithm"] == "ecdsa-with-SHA256"


def test_crls_and_ca_certificates_are_found_at_the_pki_base_url(pki, settings):
    # Plain http for relying parties, while the portal itself is https (settings.py).
    settings.RAPORTAL_BASE_URL = "https://ra.example.com"
    settings.RAPORTAL_PKI_BASE_URL = "http://pki.example.com"
    issuing = pki["issuing"]
    assert issuing.crl_url() == f"http://pki.example.com/pki/{issuing.name}.crl"
    assert issuing.certificate_url() == f"http://pki.example.com/pki/{issuing.name}.crt"


def test_rsa_leaves_may_encipher_keys_ec_leaves_only_sign(profile, approver_api, tmp_path):
    _, rsa_cert, _ = issue(approver_api, tmp_path, "rsa", **CASES["rsa-with-email"])
    _, ec_cert, _ = issue(approver_api, tmp_path, "ec", **CASES["ed25519"])
    assert rsa_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
    assert not ec_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment


@pytest.mark.slow
def test_a_certificate_without_subject_gets_a_critical_san(pki, approver, api_as, tmp_path):
    from tests.factories import ProfileFactory, grant

    profile = ProfileFactory(name="san-only", ca=pki["issuing"])
    profile.subject_rules.filter(element="cn.1").update(mandatory=False)
    grant(profile, approver, "perform")
    csr, _ = make_csr()
    status, body = api_as(approver).submit(
        enroll_body(
            profile="san-only",
            csr=csr,
            subject=[],
            sans=[{"type": "DNSNAME", "value": ["only-san.example.com"]}],
        )
    )
    assert status == 201, body
    cert = x509.load_pem_x509_certificate(body["certificate"]["certificate"].encode())
    assert len(cert.subject) == 0
    assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical
    leaf = tmp_path / "leaf.pem"
    leaf.write_text(body["certificate"]["certificate"])
    result = run(str(BIN / "lint_pkix_cert"), "lint", "-s", "ERROR", str(leaf))
    assert result.returncode == 0, result.stdout


def test_validity_never_outlives_the_issuing_ca(pki, profile, approver_api, tmp_path):
    profile.validity_days = 100 * 365
    profile.save()
    _, cert, _ = issue(approver_api, tmp_path, "long", keyType="ec-secp256r1")
    assert cert.not_valid_after_utc <= pki["issuing"].certificate.not_valid_after_utc


@pytest.mark.slow
def test_pkilint_finds_no_error_across_every_name_form_the_portal_accepts(
    pki, approver, api_as, tmp_path
):
    from profiles.models import SanRule
    from tests.factories import ProfileFactory, grant

    profile = ProfileFactory(name="every-name", ca=pki["issuing"])
    for position, element in enumerate(
        [
            "dc.1",
            "dc.2",
            "st.1",
            "l.1",
            "street.1",
            "organizationIdentifier.1",
            "t.1",
            "surname.1",
            "givenName.1",
            "serialNumber.1",
            "uid.1",
            "e.1",
        ],
        start=10,
    ):
        profile.subject_rules.create(element=element, position=position)
    for san_type in ("URI", "OTHERNAME_UPN", "OTHERNAME_GUID", "REGISTERED_ID"):
        SanRule.objects.create(profile=profile, san_type=san_type, max=2)
    grant(profile, approver, "perform")
    subject = {
        "dc.1": "com",
        "dc.2": "example",
        "c.1": "FR",
        "st.1": "Ile-de-France",
        "l.1": "Paris",
        "street.1": "1 rue de la Paix",
        "o.1": "Example",
        "ou.1": "PKI",
        "organizationIdentifier.1": "VATFR-12345678901",
        "t.1": "Engineer",
        "cn.1": "Alice",
        "surname.1": "Martin",
        "givenName.1": "Alice",
        "serialNumber.1": "A-42",
        "uid.1": "amartin",
        "e.1": "alice@example.com",
    }
    sans = {
        "DNSNAME": ["alice.example.com"],
        "IPADDRESS": ["192.0.2.10", "2001:db8::10"],
        "RFC822NAME": ["alice@example.com"],
        "URI": ["https://alice.example.com/id"],
        "OTHERNAME_UPN": ["alice@corp.example"],
        "OTHERNAME_GUID": ["6e8bc430-9c3a-11d9-9669-0800200c9a66"],
        "REGISTERED_ID": ["1.3.6.1.4.1.311.21.8"],
    }
    csr, _ = make_csr()
    status, body = api_as(approver).submit(
        enroll_body(
            profile="every-name",
            csr=csr,
            subject=[{"element": e, "value": v} for e, v in subject.items()],
            sans=[{"type": t, "value": v} for t, v in sans.items()],
        )
    )
    assert status == 201, body
    leaf = tmp_path / "every.pem"
    leaf.write_text(body["certificate"]["certificate"])
    result = run(str(BIN / "lint_pkix_cert"), "lint", "-s", "ERROR", str(leaf))
    assert result.returncode == 0, result.stdout + result.stderr
    assert {san["sanType"] for san in body["certificate"]["subjectAlternateNames"]} == set(sans)


@pytest.mark.slow
def test_pkilint_finds_no_error_in_the_crl(profile, approver_api, pki, tmp_path):
    from certificates.models import Certificate
    from certificates.services import current_crl, revoke_certificate

    csr, _ = make_csr()
    _, body = approver_api.submit(enroll_body(csr=csr))
    revoke_certificate(Certificate.objects.get(pk=body["certificate"]["_id"]), "keycompromise")
    pki["issuing"].refresh_from_db()
    crl = tmp_path / "issuing.crl"
    crl.write_bytes(current_crl(pki["issuing"]))
    result = run(str(BIN / "lint_crl"), "lint", "-t", "CRL", "-p", "PKIX", "-s", "ERROR", str(crl))
    assert result.returncode == 0, result.stdout + result.stderr
