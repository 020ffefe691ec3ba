"""WebRA import: registering a certificate issued elsewhere, optionally with its key."""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certificates.models import Certificate, EscrowedKey
from requests_app.models import Request
from tests.factories import UserFactory


def external_certificate(cn="legacy.example.com"):
    """A certificate from a foreign CA, and its key."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Foreign CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key_pem


def import_(api, pem, profile="webra-demo", **template):
    body = {"module": "webra", "workflow": "import", "certificatePem": pem, "template": template}
    if profile:
        body["profile"] = profile
    return api.submit(body)


def test_approver_imports_a_foreign_certificate_with_its_key_escrowed(profile, approver_api):
    pem, key_pem = external_certificate()
    status, body = import_(
        approver_api, pem, privateKey=key_pem, labels=[{"label": "env", "value": "prod"}]
    )
    assert status == 201 and body["status"] == "completed", body
    certificate = body["certificate"]
    assert certificate["dn"] == "CN=legacy.example.com" and certificate["escrowed"] is True
    assert certificate["profile"] == "webra-demo" and certificate["labels"] == [
        {"key": "env", "value": "prod"}
    ]
    assert body["globalHolderIdCount"] == 1 and body["holderId"] == certificate["holderId"]
    assert "privateKey" not in str(body)  # never echoed
    assert Certificate.objects.get(pk=certificate["_id"]).ca is None  # not ours


def test_a_certificate_of_our_own_ca_is_recognised_as_ours(issue, approver_api):
    issued = issue()
    Certificate.objects.filter(pk=issued["_id"]).delete()
    status, body = import_(approver_api, issued["certificate"])
    assert status == 201, body
    assert Certificate.objects.get(pk=body["certificate"]["_id"]).ca is not None


def test_a_requester_import_keeps_the_key_sealed_until_approval(
    profile, requester_api, approver_api
):
    pem, key_pem = external_certificate()
    status, pending = import_(requester_api, pem, privateKey=key_pem)
    assert status == 201 and pending["status"] == "pending", pending
    stored = Request.objects.get(pk=pending["_id"])
    assert stored.sealed_key and b"PRIVATE" not in bytes(stored.sealed_key)
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status == 200 and body["certificate"]["escrowed"] is True, body
    assert Request.objects.get(pk=pending["_id"]).sealed_key is None


def test_an_import_without_certificate_is_refused_with_import_004(profile, approver_api):
    status, body = approver_api.submit(
        {"module": "webra", "workflow": "import", "profile": "webra-demo"}
    )
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-004"), body


@pytest.mark.parametrize(
    "bad", ["not a pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"]
)
def test_an_unreadable_certificate_is_refused_with_import_001(profile, approver_api, bad):
    status, body = import_(approver_api, bad)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body


def test_importing_twice_is_refused(profile, approver_api):
    pem, _ = external_certificate()
    assert import_(approver_api, pem)[0] == 201
    status, body = import_(approver_api, pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body


def test_a_key_that_is_not_the_certificates_is_refused(profile, approver_api):
    pem, _ = external_certificate()
    _, other_key = external_certificate("other.example.com")
    status, body = import_(approver_api, pem, privateKey=other_key)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body


def test_a_key_already_escrowed_is_refused_with_import_003(issue, approver_api):
    # The same key certified twice: the portal escrowed it with the first certificate.
    pem, key_pem = external_certificate()
    assert import_(approver_api, pem, privateKey=key_pem)[0] == 201
    key = serialization.load_pem_private_key(key_pem.encode(), None)
    again = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "again")]))
        .issuer_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Foreign CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC))
        .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    status, body = import_(approver_api, again, privateKey=key_pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-003"), body
    assert EscrowedKey.objects.count() == 1


def test_an_import_on_no_profile_is_for_administrators_only(db, pki, approver_api, api_as):
    pem, _ = external_certificate()
    status, body = import_(approver_api, pem, profile=None)
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    status, body = import_(api_as(admin), pem, profile=None, owner={"value": "root"})
    assert status == 201 and body["profile"] is None, body
    assert body["certificate"]["owner"] == "root"


def test_an_unknown_profile_is_refused_with_req_010(profile, approver_api):
    pem, _ = external_certificate()
    status, body = import_(approver_api, pem, profile="nope")
    assert (status, body["error"]) == (404, "REQ-010"), body
