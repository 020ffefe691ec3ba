"""WebRA renew: same holder, new key, inside the renewal period, linked by metadata."""

import base64
import datetime as dt
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils import timezone

from certificates.models import Certificate
from requests_app.models import Request
from tests.factories import make_csr

PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture
def renewable(issue, profile):
    """A certificate 10 days from expiry: inside the profile's 30-day renewal period."""

    def make(**kwargs):
        certificate = issue(**kwargs)
        Certificate.objects.filter(pk=certificate["_id"]).update(
            not_after=timezone.now() + dt.timedelta(days=10)
        )
        return certificate

    return make


def renew(api, certificate, password=PASSWORD, **template):
    body = {"module": "webra", "workflow": "renew", "certificateId": certificate["_id"]}
    if template:
        body["template"] = template
    if password and "csr" not in template:
        body["password"] = {"value": password}
    return api.submit(body)


@pytest.mark.slow
def test_a_centralized_renewal_keeps_the_names_links_both_and_chains_to_the_same_ca(
    renewable, approver_api, pki, tmp_path
):
    old = renewable(
        sans=[{"type": "DNSNAME", "value": ["web.example.com"]}],
        labels=[{"label": "env", "value": "prod"}],
    )
    status, body = renew(approver_api, old, keyType="ec-secp384r1")
    assert status == 201 and body["status"] == "completed", body
    new = body["certificate"]
    assert new["_id"] != old["_id"] and new["serial"] != old["serial"]
    assert (new["dn"], new["subjectAlternateNames"], new["labels"], new["owner"]) == (
        old["dn"],
        old["subjectAlternateNames"],
        old["labels"],
        old["owner"],
    )
    assert new["keyType"] == "ec-secp384r1"
    assert {"key": "previous_certificate_id", "value": old["_id"]} in new["metadata"]
    assert {"key": "renewed_certificate_id", "value": new["_id"]} in Certificate.objects.get(
        pk=old["_id"]
    ).metadata
    key, cert, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(body["pkcs12"]["value"]), PASSWORD.encode()
    )
    assert cert.serial_number == int(new["serial"], 16) and key.public_key() == cert.public_key()
    (tmp_path / "root.pem").write_text(pki["root"].certificate_pem)
    (tmp_path / "issuing.pem").write_text(pki["issuing"].certificate_pem)
    (tmp_path / "new.pem").write_text(new["certificate"])
    result = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(tmp_path / "root.pem"),
            "-untrusted",
            str(tmp_path / "issuing.pem"),
            str(tmp_path / "new.pem"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert x509.load_pem_x509_certificate(new["certificate"].encode()).issuer == (
        x509.load_pem_x509_certificate(old["certificate"].encode()).issuer
    )


def test_a_decentralized_renewal_certifies_the_new_csrs_key(renewable, approver_api):
    old = renewable()
    csr, key = make_csr("rsa-2048")
    status, body = renew(approver_api, old, csr=csr)
    assert status == 201, body
    cert = x509.load_pem_x509_certificate(body["certificate"]["certificate"].encode())
    assert cert.public_key() == key.public_key() and "pkcs12" not in body


def test_the_old_certificate_counts_once_toward_the_holder_limit(renewable, approver_api, profile):
    profile.max_per_holder = 1
    profile.save()
    old = renewable()
    status, body = renew(approver_api, old)
    assert status == 201, body
    assert not Certificate.objects.get(pk=old["_id"]).revoked  # it simply expires
    assert body["profileHolderIdCount"] == 2


def test_a_requester_renewal_is_issued_at_approval_and_handed_over_once(
    renewable, requester, requester_api, approver_api
):
    old = renewable()
    Certificate.objects.filter(pk=old["_id"]).update(owner=requester)  # their certificate
    status, pending = renew(requester_api, old)
    assert status == 201 and pending["status"] == "pending", pending
    status, approved = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status == 200 and approved["certificate"]["_id"] != old["_id"], approved
    status, fetched = requester_api.get(f"/api/v1/requests/{pending['_id']}")
    assert fetched["password"] == {"value": PASSWORD} and fetched["pkcs12"]["value"], fetched


def test_renewal_before_the_renewal_period_is_refused_with_renew_005(issue, approver_api):
    certificate = issue()  # valid 365 days, renewal opens 30 days before expiry
    status, body = renew(approver_api, certificate)
    assert (status, body["error"]) == (400, "WEBRA-RENEW-005"), body
    assert "opens" in body["detail"]


def test_renewal_on_a_profile_without_renewal_is_refused_with_renew_004(
    renewable, approver_api, profile
):
    certificate = renewable()
    profile.renewal_enabled = False
    profile.save()
    status, body = renew(approver_api, certificate)
    assert (status, body["error"]) == (400, "WEBRA-RENEW-004"), body


def test_a_revoked_certificate_cannot_be_renewed_renew_006(renewable, approver_api):
    certificate = renewable()
    approver_api.submit(
        {
            "workflow": "revoke",
            "certificateId": certificate["_id"],
            "template": {"revocationReason": "superseded"},
        }
    )
    status, body = renew(approver_api, certificate)
    assert (status, body["error"]) == (400, "WEBRA-RENEW-006"), body


def test_a_certificate_is_renewed_once(renewable, approver_api):
    certificate = renewable()
    assert renew(approver_api, certificate)[0] == 201
    status, body = renew(approver_api, certificate)
    assert (status, body["error"]) == (400, "WEBRA-RENEW-006"), body


def test_renewal_naming_no_certificate_is_refused_with_renew_001(profile, approver_api):
    status, body = approver_api.submit({"module": "webra", "workflow": "renew"})
    assert (status, body["error"]) == (400, "WEBRA-RENEW-001"), body


def test_renewal_of_an_unprofiled_certificate_is_refused_with_renew_003(renewable, approver_api):
    certificate = renewable()
    Certificate.objects.filter(pk=certificate["_id"]).update(profile=None)
    status, body = renew(approver_api, certificate)
    # An unprofiled certificate is only visible through its owner: approver owns it.
    assert (status, body["error"]) == (400, "WEBRA-RENEW-003"), body


def test_a_weak_password_is_refused(renewable, approver_api):
    status, body = renew(approver_api, renewable(), password="short")
    assert (status, body["error"]) == (400, "WEBRA-RENEW-001"), body


def test_a_requester_cannot_have_someone_elses_certificate_rekeyed_for_them(
    renewable, requester_api
):
    old = renewable()  # the approver's
    status, body = renew(requester_api, old)
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body
    # Security review 4.1: with their own key either — once approved, the owner's subject
    # would be bound to the other party's key, and the owner's own renewal refused.
    csr, _ = make_csr()
    status, body = renew(requester_api, old, csr=csr)
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body
    assert "owner" in body["detail"], body
    assert not Request.objects.filter(workflow="renew").exists()


def test_renewal_signs_again_only_names_the_profile_allows_now(renewable, approver_api, profile):
    old = renewable(sans=[{"type": "DNSNAME", "value": ["web.example.com"]}])
    profile.san_rules.filter(san_type="DNSNAME").update(max=0)  # the rules changed since
    status, body = renew(approver_api, old)
    assert (status, body["error"]) == (400, "WEBRA-RENEW-003"), body
    assert "does not fit" in body["detail"]
