"""WebRA recover: a new PKCS#12 of an escrowed key, for the requester only."""

import base64

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from certificates.models import Certificate

PASSWORD = "Correct-Horse-9-battery"
OTHER = "Another-Good-Pass-42"


def recover(api, certificate, password=OTHER, **fields):
    body = {"workflow": "recover", "certificateId": certificate["_id"], **fields}
    if password:
        body["password"] = {"value": password}
    return api.submit(body)


def test_a_recovered_pkcs12_holds_the_same_key_as_the_original(issue, approver_api):
    original = issue(centralized=True)
    status, body = recover(approver_api, original)
    assert status == 201 and body["status"] == "completed", body
    key, cert, chain = pkcs12.load_key_and_certificates(
        base64.b64decode(body["pkcs12"]["value"]), OTHER.encode()
    )
    assert cert == x509.load_pem_x509_certificate(original["certificate"].encode())
    assert key.public_key() == cert.public_key() and len(chain) == 2
    assert body["password"] == {"value": OTHER}


def test_a_requester_recovery_is_delivered_to_the_requester_after_approval(
    issue, requester, requester_api, approver_api
):
    original = issue(centralized=True)
    Certificate.objects.filter(pk=original["_id"]).update(owner=requester)  # their own key
    status, pending = recover(requester_api, original)
    assert status == 201 and pending["status"] == "pending" and "pkcs12" not in pending, pending
    status, approved = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status == 200 and "pkcs12" not in approved, approved
    status, fetched = requester_api.get(f"/api/v1/requests/{pending['_id']}")
    key, cert, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(fetched["pkcs12"]["value"]), OTHER.encode()
    )
    assert key.public_key() == cert.public_key()


def test_random_password_mode_generates_the_recovery_password(issue, approver_api, profile):
    original = issue(centralized=True)
    profile.p12_password_mode = "random"
    profile.save()
    status, body = recover(approver_api, original, password=None)
    assert status == 201, body
    pkcs12.load_key_and_certificates(
        base64.b64decode(body["pkcs12"]["value"]), body["password"]["value"].encode()
    )


def test_a_certificate_without_escrowed_key_is_a_clear_400(issue, approver_api):
    certificate = issue()  # from a CSR: the portal never had the key
    status, body = recover(approver_api, certificate)
    assert (status, body["error"]) == (400, "WEBRA-RECOVER-003"), body
    assert body["detail"] == "this key was not kept, so it cannot be recovered", body


def test_recovery_naming_no_certificate_is_refused_with_recover_001(profile, approver_api):
    status, body = approver_api.submit({"workflow": "recover", "password": {"value": OTHER}})
    assert (status, body["error"]) == (400, "WEBRA-RECOVER-001"), body


def test_recovery_of_an_unknown_certificate_is_refused_with_recover_004(profile, approver_api):
    status, body = approver_api.submit(
        {"workflow": "recover", "certificateId": "00000000-0000-0000-0000-000000000000"}
    )
    assert (status, body["error"]) == (400, "WEBRA-RECOVER-004"), body


def test_recovery_with_a_weak_password_is_refused_with_recover_003(issue, approver_api):
    status, body = recover(approver_api, issue(centralized=True), password="weak")
    assert (status, body["error"]) == (400, "WEBRA-RECOVER-003"), body


def test_an_outsider_cannot_recover_someone_elses_key(issue, outsider_api):
    status, body = recover(outsider_api, issue(centralized=True))
    assert (status, body["error"]) == (400, "WEBRA-RECOVER-004"), body
    assert "pkcs12" not in body


def test_recovery_is_audited(issue, approver_api, approver):
    from raportal.models import AuditEvent

    recover(approver_api, issue(centralized=True))
    assert AuditEvent.objects.get(action="certificate.recover").actor == approver


def test_a_requester_may_not_ask_for_a_key_that_is_not_theirs(issue, requester_api):
    original = issue(centralized=True)  # owned by the approver
    status, body = recover(requester_api, original)
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body
    assert "owner" in body["detail"]


def test_a_member_of_the_certificates_team_may_ask_for_its_key(issue, team, requester_api):
    original = issue(centralized=True, team={"value": "demo-team"})
    status, body = recover(requester_api, original)
    assert status == 201 and body["status"] == "pending", body
