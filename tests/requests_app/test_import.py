"""WebRA import: registering a certificate issued elsewhere, optionally with its key."""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certificates.models import Certificate, EscrowedKey
from requests_app.models import Request
from tests.factories import UserFactory


def external_certificate(cn="legacy.example.com", *, sans=None, key=None, ca=False):
    """A certificate from a foreign CA, and its key."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Foreign CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName(sans or [x509.DNSName(cn)]), critical=False)
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    cert = builder.sign(ca_key, hashes.SHA256())
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


@pytest.fixture
def no_escrow(profile):
    profile.escrow = False
    profile.save()
    return profile


def test_approver_imports_a_foreign_certificate_with_its_key_escrowed(profile, approver_api):
    pem, key_pem = external_certificate()
    status, body = import_(
        approver_api, pem, privateKey=key_pem, labels=[{"label": "env", "value": "prod"}]
    )
    assert status == 201 and body["status"] == "completed", body
    certificate = body["certificate"]
    assert certificate["dn"] == "CN=legacy.example.com" and certificate["escrowed"] is True
    assert certificate["profile"] == "webra-demo"
    assert certificate["labels"] == [{"key": "env", "value": "prod"}]
    assert body["globalHolderIdCount"] == 1 and body["holderId"] == certificate["holderId"]
    assert "PRIVATE KEY" not in str(body)  # never echoed
    assert Certificate.objects.get(pk=certificate["_id"]).ca is None  # not ours


def test_an_escrow_profile_needs_the_key_and_another_profile_refuses_it(profile, approver_api):
    pem, key_pem = external_certificate()
    status, body = import_(approver_api, pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    assert "escrows keys" in body["detail"]
    profile.escrow = False
    profile.save()
    status, body = import_(approver_api, pem, privateKey=key_pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    status, body = import_(approver_api, pem)
    assert status == 201 and body["certificate"]["escrowed"] is False, body


def test_a_certificate_of_our_own_ca_is_recognised_as_ours(issue, approver_api, pki, no_escrow):
    issued = issue()
    Certificate.objects.filter(pk=issued["_id"]).delete()
    status, body = import_(approver_api, issued["certificate"])
    assert status == 201, body
    assert Certificate.objects.get(pk=body["certificate"]["_id"]).ca == pki["issuing"]


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


@pytest.mark.parametrize("decision", ["deny", "cancel"])
def test_a_refused_import_forgets_its_key(profile, requester_api, approver_api, decision):
    pem, key_pem = external_certificate()
    _, pending = import_(requester_api, pem, privateKey=key_pem)
    api = approver_api if decision == "deny" else requester_api
    status, body = api.post(
        f"/api/v1/requests/{decision}",
        {"_id": pending["_id"], "module": "webra", "workflow": "import"},
    )
    assert status == 200, body
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


def test_a_certificate_with_a_name_form_the_portal_cannot_read_is_refused(no_escrow, approver_api):
    pem, _ = external_certificate(
        sans=[x509.DirectoryName(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "d")]))]
    )
    status, body = import_(approver_api, pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body


def test_importing_twice_is_refused(no_escrow, approver_api):
    pem, _ = external_certificate()
    assert import_(approver_api, pem)[0] == 201
    status, body = import_(approver_api, pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body


def test_a_key_that_is_not_the_certificates_is_refused(profile, approver_api):
    pem, _ = external_certificate()
    _, other_key = external_certificate("other.example.com")
    status, body = import_(approver_api, pem, privateKey=other_key)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body


def test_a_key_already_escrowed_is_refused_with_import_003(profile, approver_api):
    # The same key certified twice: the portal escrowed it with the first certificate.
    pem, key_pem = external_certificate()
    assert import_(approver_api, pem, privateKey=key_pem)[0] == 201
    key = serialization.load_pem_private_key(key_pem.encode(), None)
    again, _ = external_certificate("again.example.com", key=key)
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


def test_a_certificate_that_does_not_fit_the_profile_is_refused(no_escrow, approver_api):
    # Renewal signs an imported certificate's names again: they must be the profile's.
    pem, _ = external_certificate(
        sans=[x509.DNSName(f"h{i}.example.com") for i in range(8)]  # the profile allows 5
        + [x509.UniformResourceIdentifier("https://x.example.com")]  # and no URI
    )
    status, body = import_(approver_api, pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    assert "does not fit" in body["detail"]


@pytest.mark.parametrize("which", ["issuing", "root"])
def test_the_portals_own_ca_certificates_cannot_be_imported(pki, no_escrow, approver_api, which):
    status, body = import_(approver_api, pki[which].certificate_pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    assert not Certificate.objects.exists()


def test_a_foreign_ca_certificate_cannot_be_imported(no_escrow, approver_api):
    pem, _ = external_certificate(ca=True)
    status, body = import_(approver_api, pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    assert "CA certificate" in body["detail"]


def test_an_import_dry_run_stores_nothing(profile, approver_api):
    pem, key_pem = external_certificate()
    body = {
        "module": "webra",
        "workflow": "import",
        "profile": "webra-demo",
        "certificatePem": pem,
        "template": {"privateKey": key_pem},
        "dryRun": True,
    }
    status, answer = approver_api.submit(body)
    assert status == 201 and answer["dryRun"] is True, answer
    assert not Certificate.objects.exists() and not Request.objects.exists()
