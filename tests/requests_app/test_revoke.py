"""WebRA revoke: by id or PEM, with a reason; the serial lands in the CA's next CRL."""

import subprocess

import pytest
from cryptography import x509

from certificates.models import Certificate
from certificates.services import current_crl
from requests_app.models import Request
from tests.factories import ProfileFactory, grant


def revoke(api, certificate=None, reason="keycompromise", **fields):
    body = {"workflow": "revoke", "template": {"revocationReason": reason}, **fields}
    if certificate is not None:
        body.setdefault("certificateId", certificate["_id"])
    return api.submit(body)


@pytest.mark.slow
def test_approver_revokes_by_id_and_the_serial_is_in_the_next_crl(
    issue, approver_api, pki, tmp_path
):
    certificate = issue()
    status, body = revoke(approver_api, certificate, module="webra")
    assert status == 201 and body["status"] == "completed", body
    assert body["certificate"]["revoked"] is True
    assert body["certificate"]["revocationReason"] == "keycompromise"
    assert body["template"] == {"revocationReason": "keycompromise"}
    assert body["globalHolderIdCount"] == 0
    pki["issuing"].refresh_from_db()
    der = current_crl(pki["issuing"])
    entry = x509.load_der_x509_crl(der).get_revoked_certificate_by_serial_number(
        int(certificate["serial"], 16)
    )
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise
    )
    (tmp_path / "crl.der").write_bytes(der)
    (tmp_path / "ca.pem").write_text(pki["issuing"].certificate_pem)
    result = subprocess.run(
        [
            "openssl",
            "crl",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "crl.der"),
            "-CAfile",
            str(tmp_path / "ca.pem"),
            "-noout",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "verify OK" in result.stderr + result.stdout, result


def test_a_body_without_module_revokes_by_pem(issue, approver_api):
    certificate = issue()
    status, body = approver_api.submit(
        {
            "workflow": "revoke",
            "certificatePem": certificate["certificate"],
            "template": {"revocationReason": "superseded"},
        }
    )
    assert status == 201 and body["module"] == "webra", body
    assert Certificate.objects.get(pk=certificate["_id"]).revocation_reason == "superseded"


def test_a_requester_revocation_waits_for_approval_then_revokes(
    issue, requester, requester_api, approver_api
):
    certificate = issue(owned_by=requester)
    status, pending = revoke(requester_api, certificate)
    assert status == 201 and pending["status"] == "pending", pending
    assert pending["certificate"]["revoked"] is False  # shows what will be revoked
    assert not Certificate.objects.get(pk=certificate["_id"]).revoked
    status, approved = approver_api.post(
        "/api/v1/requests/approve",
        {"_id": pending["_id"], "template": {"revocationReason": "cessationofoperation"}},
    )
    assert status == 200 and approved["status"] == "completed", approved
    assert Certificate.objects.get(pk=certificate["_id"]).revocation_reason == (
        "cessationofoperation"
    )


def test_revoke_dry_run_revokes_nothing(issue, approver_api):
    certificate = issue()
    status, body = revoke(approver_api, certificate, dryRun=True)
    assert status == 201 and body["dryRun"] is True, body
    assert not Certificate.objects.get(pk=certificate["_id"]).revoked
    assert not Request.objects.filter(workflow="revoke").exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"workflow": "revoke", "template": {"revocationReason": "keycompromise"}},
            "WEBRA-REVOKE-001",
        ),
        (
            {
                "workflow": "revoke",
                "certificateId": "00000000-0000-0000-0000-000000000000",
                "template": {},
            },
            "WEBRA-REVOKE-004",
        ),
        ({"workflow": "revoke", "certificateId": "not-a-uuid", "template": {}}, "WEBRA-REVOKE-004"),
        (
            {
                "workflow": "revoke",
                "certificatePem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                "template": {},
            },
            "WEBRA-REVOKE-005",
        ),
    ],
    ids=["no-certificate", "unknown-id", "malformed-id", "garbage-pem"],
)
def test_revocation_errors_without_a_usable_certificate(profile, approver_api, body, code):
    status, answer = approver_api.submit(body)
    assert (status, answer["error"]) == (400, code), answer


def test_an_unknown_reason_is_refused_with_revoke_003(issue, approver_api):
    certificate = issue()
    status, body = revoke(approver_api, certificate, reason="lost-it")
    assert (status, body["error"]) == (400, "WEBRA-REVOKE-003"), body
    assert "keycompromise" in body["detail"]


def test_a_revocation_without_template_is_refused_with_revoke_006(issue, approver_api):
    certificate = issue()
    status, body = approver_api.submit({"workflow": "revoke", "certificateId": certificate["_id"]})
    assert (status, body["error"]) == (400, "WEBRA-REVOKE-006"), body


def test_revoking_twice_is_refused_with_revoke_005(issue, approver_api):
    certificate = issue()
    assert revoke(approver_api, certificate)[0] == 201
    status, body = revoke(approver_api, certificate)
    assert (status, body["error"]) == (400, "WEBRA-REVOKE-005"), body
    assert "Certificate is already revoked" in body["detail"], body  # Horizon's words


def test_a_certificate_revoked_while_its_revocation_was_pending_cannot_be_approved(
    issue, requester, requester_api, approver_api
):
    certificate = issue(owned_by=requester)
    _, pending = revoke(requester_api, certificate)
    assert revoke(approver_api, certificate)[0] == 201
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert (status, body["error"]) == (400, "WEBRA-REVOKE-005"), body


def test_an_outsider_cannot_even_learn_the_certificate_exists(issue, outsider_api):
    certificate = issue()
    status, body = revoke(outsider_api, certificate)
    assert (status, body["error"]) == (400, "WEBRA-REVOKE-004"), body


def test_seeing_a_certificate_without_the_revoke_grant_is_forbidden(pki, issue, outsider, api_as):
    certificate = issue()
    profile = Certificate.objects.get(pk=certificate["_id"]).profile
    grant(profile, outsider, "perform", workflow="update")  # sees it, may not revoke it
    status, body = revoke(api_as(outsider), certificate)
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body


def test_an_id_and_a_pem_that_disagree_are_refused(issue, approver_api):
    first, second = issue("a.example.com"), issue("b.example.com")
    status, body = revoke(approver_api, first, certificatePem=second["certificate"])
    assert (status, body["error"]) == (400, "WEBRA-REVOKE-005"), body


def test_a_certificate_of_a_disabled_profile_cannot_be_revoked_here(issue, approver_api, profile):
    certificate = issue()
    profile.enabled = False
    profile.save()
    status, body = revoke(approver_api, certificate)
    assert (status, body["error"]) == (404, "REQ-010"), body


def test_a_team_grant_allows_revoking_the_teams_certificates(pki, approver, outsider, api_as):
    from tests.conftest import enroll_body
    from tests.factories import TeamFactory, make_csr

    other = ProfileFactory(name="ops-profile", ca=pki["issuing"])
    ops = TeamFactory(name="ops")
    ops.members.add(outsider)
    grant(other, ops, "perform", workflow="revoke")
    grant(other, approver, "perform")
    status, issued = api_as(approver).submit(enroll_body(profile="ops-profile", csr=make_csr()[0]))
    assert status == 201, issued
    status, body = revoke(api_as(outsider), issued["certificate"])
    assert status == 201 and body["status"] == "completed", body
