"""init_pki, the CA listing, the public CA and CRL downloads."""

import subprocess

import pytest
from cryptography import x509
from django.core.management import call_command

from certificates.ca_keys import ca_private_key
from certificates.models import Certificate, CertificateAuthority
from certificates.services import current_crl, revoke_certificate
from tests.conftest import Api, enroll_body
from tests.factories import make_csr


def test_init_pki_creates_a_p384_root_and_a_p256_issuing_ca_by_default(db):
    call_command("init_pki")
    root, issuing = CertificateAuthority.objects.order_by("created_at")
    assert (root.key_type, issuing.key_type) == ("ec-secp384r1", "ec-secp256r1")
    assert issuing.parent == root and root.parent is None
    assert root.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert (
        issuing.certificate.extensions.get_extension_for_class(
            x509.BasicConstraints
        ).value.path_length
        == 0
    )
    issuing.certificate.verify_directly_issued_by(root.certificate)


def test_init_pki_takes_names_and_key_types_as_options(db):
    call_command(
        "init_pki",
        "--root-name",
        "Acme Root",
        "--root-key-type",
        "rsa-3072",
        "--issuing-name",
        "Acme Issuing",
        "--issuing-key-type",
        "rsa-2048",
        "--country",
        "FR",
    )
    root, issuing = CertificateAuthority.objects.order_by("created_at")
    assert (root.name, root.key_type) == ("acme-root", "rsa-3072")
    assert issuing.certificate.subject.rfc4514_string() == "CN=Acme Issuing,O=RA Portal,C=FR"


def test_init_pki_refuses_a_second_pki_unless_asked_to_skip(db):
    call_command("init_pki")
    with pytest.raises(Exception, match="already exists"):
        call_command("init_pki")
    call_command("init_pki", "--if-absent")
    assert CertificateAuthority.objects.count() == 2


def test_init_pki_refuses_a_country_that_is_not_two_capitals(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="two-letter"):
        call_command("init_pki", "--country", "fra")
    assert not CertificateAuthority.objects.exists()


def test_serials_are_written_as_whole_octets(profile, approver_api):
    for _ in range(8):  # about one serial in 8 starts with a zero nibble
        csr, _ = make_csr()
        _, body = approver_api.submit(enroll_body(csr=csr))
        assert len(body["certificate"]["serial"]) % 2 == 0, body["certificate"]["serial"]


def test_ca_private_keys_are_sealed_at_rest(pki):
    for ca in pki.values():
        sealed = bytes(CertificateAuthority.objects.get(pk=ca.pk).sealed_key)
        assert b"PRIVATE KEY" not in sealed and sealed.startswith(b"v1")
        assert ca_private_key(ca).public_key() == ca.certificate.public_key()


def test_api_lists_the_cas_with_their_pem(pki, requester):
    status, body = Api(requester).get("/api/v1/cas")
    assert status == 200, body
    by_name = {ca["name"]: ca for ca in body}
    issuing = by_name[pki["issuing"].name]
    assert issuing["certificate"]["pem"] == pki["issuing"].certificate_pem
    assert issuing["certificate"]["basicConstraints"] == {"isCa": True, "pathLen": 0}
    assert issuing["crlUrl"].endswith(f"/pki/{pki['issuing'].name}.crl")


def test_api_ca_listing_needs_authentication(pki, client):
    response = client.get("/api/v1/cas")
    assert (response.status_code, response.json()["error"]) == (401, "SEC-AUTH-009")


def test_the_ca_certificate_is_downloadable_in_der_without_login(pki, client):
    response = client.get(f"/pki/{pki['issuing'].name}.crt")
    assert response.status_code == 200 and response["Content-Type"] == "application/pkix-cert"
    assert x509.load_der_x509_certificate(response.content) == pki["issuing"].certificate


@pytest.mark.slow
def test_the_crl_lists_a_revoked_serial_with_its_reason_and_verifies(
    profile, approver_api, pki, client, tmp_path
):
    csr, _ = make_csr()
    status, body = approver_api.submit(enroll_body(csr=csr))
    assert status == 201, body
    first = client.get(f"/pki/{pki['issuing'].name}.crl")
    assert first.status_code == 200 and first["Content-Type"] == "application/pkix-crl"
    assert len(x509.load_der_x509_crl(first.content)) == 0
    revoke_certificate(Certificate.objects.get(pk=body["certificate"]["_id"]), "keycompromise")
    crl_file = tmp_path / "crl.der"
    crl_file.write_bytes(client.get(f"/pki/{pki['issuing'].name}.crl").content)
    issuing_file = tmp_path / "issuing.pem"
    issuing_file.write_text(pki["issuing"].certificate_pem)
    result = subprocess.run(
        [
            "openssl",
            "crl",
            "-inform",
            "DER",
            "-in",
            str(crl_file),
            "-CAfile",
            str(issuing_file),
            "-noout",
            "-text",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0 and "verify OK" in result.stderr + result.stdout, result
    assert body["certificate"]["serial"].upper() in result.stdout.replace(":", "").upper()
    assert "Key Compromise" in result.stdout


def test_the_crl_number_grows_with_each_new_crl(pki, profile, approver_api):
    number = lambda: x509.load_der_x509_crl(current_crl(pki["issuing"])).extensions  # noqa: E731
    first = number().get_extension_for_class(x509.CRLNumber).value.crl_number
    csr, _ = make_csr()
    _, body = approver_api.submit(enroll_body(csr=csr))
    revoke_certificate(Certificate.objects.get(pk=body["certificate"]["_id"]), "superseded")
    pki["issuing"].refresh_from_db()
    second = number().get_extension_for_class(x509.CRLNumber).value.crl_number
    assert second == first + 1


def test_an_unchanged_crl_is_served_from_cache(pki):
    first = current_crl(pki["issuing"])
    pki["issuing"].refresh_from_db()
    assert current_crl(pki["issuing"]) == first


def test_a_certificate_is_revoked_once_its_date_and_reason_never_change(profile, approver_api):
    from raportal.errors import DomainError

    csr, _ = make_csr()
    _, body = approver_api.submit(enroll_body(csr=csr))
    cert = Certificate.objects.get(pk=body["certificate"]["_id"])
    revoke_certificate(cert, "keycompromise")
    with pytest.raises(DomainError) as error:
        revoke_certificate(cert, "superseded")
    assert error.value.code == "WEBRA-REVOKE-005"
    cert.refresh_from_db()
    assert cert.revocation_reason == "keycompromise"


@pytest.mark.slow
def test_a_profile_may_issue_from_a_root_ca_and_its_certificates_chain_to_it(
    pki, profile, approver_api, tmp_path
):
    # Horizon issues from a self-signed integrated connector; the profile editor warns.
    profile.ca = pki["root"]
    profile.full_clean()
    profile.save()
    status, body = approver_api.submit(enroll_body(csr=make_csr()[0]))
    assert status == 201 and body["status"] == "completed", body
    leaf, root = tmp_path / "leaf.pem", tmp_path / "root.pem"
    leaf.write_text(body["certificate"]["certificate"])
    root.write_text(pki["root"].certificate_pem)
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(root), str(leaf)], capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
