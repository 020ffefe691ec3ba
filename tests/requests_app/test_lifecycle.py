"""approve, deny, cancel and get for enroll requests, with the three principals."""

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils import timezone

from certificates.models import Certificate
from raportal.models import AuditEvent
from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import make_csr

PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture
def pending(profile, requester_api):
    csr, _ = make_csr()
    status, body = requester_api.submit(
        enroll_body(
            csr=csr,
            subject=[{"element": "cn.1", "value": "app.example.com"}],
            sans=[{"type": "DNSNAME", "value": ["app.example.com"]}],
        )
    )
    assert status == 201 and body["status"] == "pending", body
    return body


@pytest.fixture
def pending_centralized(profile, requester_api):
    status, body = requester_api.submit(
        enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}}
    )
    assert status == 201 and body["status"] == "pending", body
    return body


def approve(api, request_id, **extra):
    return api.post("/api/v1/requests/approve", {"_id": request_id, **extra})


# --- approve --------------------------------------------------------------------------------


def test_approver_approves_and_the_certificate_is_issued_in_the_same_step(pending, approver_api):
    status, body = approve(
        approver_api, pending["_id"], module="webra", workflow="enroll", approverComment="ok"
    )
    assert status == 200, body
    assert body["status"] == "completed" and body["approver"] == "approver"
    assert body["approverComment"] == "ok"
    assert body["certificate"]["dn"] == "CN=app.example.com"
    assert Certificate.objects.count() == 1
    assert AuditEvent.objects.filter(action="request.approve.enroll").count() == 1


def test_requester_cannot_approve_own_request(pending, requester_api):
    status, body = approve(requester_api, pending["_id"])
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body
    assert Request.objects.get(pk=pending["_id"]).status == "pending"


def test_requester_cannot_approve_own_request_even_with_perform(
    pending, requester, profile, requester_api
):
    profile.grants.filter(user=requester).update(level="perform")
    status, body = approve(requester_api, pending["_id"])
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body


def test_outsider_gets_404_for_a_request_they_cannot_see(pending, outsider_api):
    for path, extra in [
        ("/api/v1/requests/approve", {}),
        ("/api/v1/requests/deny", {"module": "webra", "workflow": "enroll"}),
        ("/api/v1/requests/cancel", {"module": "webra", "workflow": "enroll"}),
    ]:
        status, body = outsider_api.post(path, {"_id": pending["_id"], **extra})
        assert (status, body["error"]) == (404, "REQ-003"), (path, body)
    status, body = outsider_api.get(f"/api/v1/requests/{pending['_id']}")
    assert (status, body["error"]) == (404, "REQ-003"), body


def test_a_team_member_without_perform_sees_but_cannot_approve(
    profile, team, requester_api, outsider, api_as
):
    csr, _ = make_csr()
    _, submitted = requester_api.submit(enroll_body(csr=csr, team={"value": "demo-team"}))
    team.members.add(outsider)
    member = api_as(outsider)
    status, seen = member.get(f"/api/v1/requests/{submitted['_id']}")
    assert status == 200 and seen["team"] == "demo-team", seen
    status, body = approve(member, submitted["_id"])
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body


def test_unknown_or_malformed_ids_give_404_req_003(profile, approver_api):
    for request_id in ["00000000-0000-0000-0000-000000000000", "not-an-id", "'; drop table"]:
        status, body = approve(approver_api, request_id)
        assert (status, body["error"]) == (404, "REQ-003"), body
        status, body = approver_api.get(f"/api/v1/requests/{request_id}")
        assert (status, body["error"]) == (404, "REQ-003"), body


def test_only_pending_requests_can_be_approved(pending, approver_api):
    assert approve(approver_api, pending["_id"])[0] == 200
    status, body = approve(approver_api, pending["_id"])
    assert (status, body["error"]) == (400, "REQ-004"), body
    assert Certificate.objects.count() == 1


def test_an_expired_request_cannot_be_approved_denied_or_canceled(
    pending, approver_api, requester_api
):
    Request.objects.filter(pk=pending["_id"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert approve(approver_api, pending["_id"])[1]["error"] == "REQ-005"
    ids = {"_id": pending["_id"], "module": "webra", "workflow": "enroll"}
    assert approver_api.post("/api/v1/requests/deny", ids)[1]["error"] == "REQ-005"
    assert requester_api.post("/api/v1/requests/cancel", ids)[1]["error"] == "REQ-005"
    assert not Certificate.objects.exists()


def test_approver_may_change_what_the_profile_lets_approvers_edit(pending, approver_api):
    status, body = approve(
        approver_api,
        pending["_id"],
        template={
            "subject": [
                {"element": "cn.1", "value": "app.example.com"},
                {"element": "o.1", "value": "Example"},
            ],
            "labels": [{"label": "env", "value": "staging"}],
        },
    )
    assert status == 200, body
    assert body["certificate"]["dn"] == "CN=app.example.com,O=Example"
    assert body["certificate"]["labels"] == [{"key": "env", "value": "staging"}]
    assert body["certificate"]["subjectAlternateNames"] == [
        {"sanType": "DNSNAME", "value": "app.example.com"}
    ]


def test_approver_may_not_change_what_the_profile_locks(profile, pending, approver_api):
    profile.subject_rules.filter(element="cn.1").update(editable_by_approver=False)
    status, body = approve(
        approver_api,
        pending["_id"],
        template={"subject": [{"element": "cn.1", "value": "evil.example.com"}]},
    )
    assert (status, body["error"]) == (400, "WEBRA-ENROLL-004"), body
    assert Request.objects.get(pk=pending["_id"]).status == "pending"
    assert not Certificate.objects.exists()


def test_approver_may_not_swap_the_key(pending, approver_api):
    other_csr, _ = make_csr()
    status, body = approve(approver_api, pending["_id"], template={"csr": other_csr})
    assert (status, body["error"]) == (400, "WEBRA-ENROLL-012"), body


def test_approve_dry_run_changes_nothing(pending, approver_api):
    status, body = approve(approver_api, pending["_id"], dryRun=True)
    assert status == 200 and body["dryRun"] is True, body
    assert Request.objects.get(pk=pending["_id"]).status == "pending"
    assert not Certificate.objects.exists()


# --- centralized: one-time secrets ---------------------------------------------------------


def test_approved_centralized_request_hands_the_pkcs12_to_the_requester_once(
    pending_centralized, approver_api, requester_api
):
    status, approved = approve(approver_api, pending_centralized["_id"])
    assert status == 200, approved
    assert "pkcs12" not in approved and "password" not in approved  # not for the approver
    status, first = requester_api.get(f"/api/v1/requests/{pending_centralized['_id']}")
    assert status == 200 and first["password"] == {"value": PASSWORD}, first
    key, cert, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(first["pkcs12"]["value"]), PASSWORD.encode()
    )
    assert key.public_key() == cert.public_key()
    assert cert.serial_number == int(first["certificate"]["serial"], 16)
    status, second = requester_api.get(f"/api/v1/requests/{pending_centralized['_id']}")
    assert status == 200 and "pkcs12" not in second and "password" not in second, second
    stored = Request.objects.get(pk=pending_centralized["_id"])
    assert stored.sealed_pkcs12 is None and stored.sealed_password is None


def test_the_approver_reading_the_request_never_gets_the_secrets(pending_centralized, approver_api):
    approve(approver_api, pending_centralized["_id"])
    status, body = approver_api.get(f"/api/v1/requests/{pending_centralized['_id']}")
    assert status == 200 and "pkcs12" not in body, body


# --- deny, cancel ----------------------------------------------------------------------------


def test_approver_denies_with_a_comment(pending, approver_api):
    status, body = approver_api.post(
        "/api/v1/requests/deny",
        {
            "_id": pending["_id"],
            "module": "webra",
            "workflow": "enroll",
            "approverComment": "use the internal CA",
        },
    )
    assert status == 200, body
    assert (body["status"], body["approverComment"]) == ("denied", "use the internal CA")
    assert not Certificate.objects.exists()


def test_requester_cannot_deny_own_request(pending, requester_api):
    status, body = requester_api.post(
        "/api/v1/requests/deny", {"_id": pending["_id"], "module": "webra", "workflow": "enroll"}
    )
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body


def test_requester_cancels_own_pending_request_and_its_password_is_wiped(
    pending_centralized, requester_api
):
    status, body = requester_api.post(
        "/api/v1/requests/cancel",
        {"_id": pending_centralized["_id"], "module": "webra", "workflow": "enroll"},
    )
    assert status == 200 and body["status"] == "canceled", body
    assert Request.objects.get(pk=pending_centralized["_id"]).sealed_password is None


def test_a_team_member_may_cancel_a_request_of_their_team(
    profile, team, requester_api, outsider, api_as
):
    csr, _ = make_csr()
    _, submitted = requester_api.submit(enroll_body(csr=csr, team={"value": "demo-team"}))
    team.members.add(outsider)
    status, body = api_as(outsider).post(
        "/api/v1/requests/cancel",
        {"_id": submitted["_id"], "module": "webra", "workflow": "enroll"},
    )
    assert status == 200 and body["status"] == "canceled", body


def test_an_approver_cannot_cancel_someone_elses_request(pending, approver_api):
    status, body = approver_api.post(
        "/api/v1/requests/cancel", {"_id": pending["_id"], "module": "webra", "workflow": "enroll"}
    )
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body


def test_a_denied_request_cannot_be_canceled_or_approved(pending, approver_api, requester_api):
    ids = {"_id": pending["_id"], "module": "webra", "workflow": "enroll"}
    assert approver_api.post("/api/v1/requests/deny", ids)[0] == 200
    assert requester_api.post("/api/v1/requests/cancel", ids)[1]["error"] == "REQ-004"
    assert approve(approver_api, pending["_id"])[1]["error"] == "REQ-004"


# --- get -------------------------------------------------------------------------------------


def test_requester_and_approver_can_read_the_request(pending, requester_api, approver_api):
    for api in (requester_api, approver_api):
        status, body = api.get(f"/api/v1/requests/{pending['_id']}")
        assert status == 200 and body["_id"] == pending["_id"], body
        assert body["template"]["csr"].startswith("-----BEGIN CERTIFICATE REQUEST-----")


def test_a_head_request_or_a_cross_site_navigation_does_not_consume_the_pkcs12(
    pending_centralized, approver_api, requester, requester_api, client
):
    approve(approver_api, pending_centralized["_id"])
    path = f"/api/v1/requests/{pending_centralized['_id']}"
    head = requester_api.client.head(path, **requester_api.headers)
    assert head.status_code == 200
    client.force_login(requester)
    cross = client.get(path, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 200 and "pkcs12" not in cross.json()
    status, body = requester_api.get(path)
    assert status == 200 and "pkcs12" in body, body


def test_a_team_member_never_receives_the_requesters_pkcs12(
    profile, team, requester_api, approver_api, outsider, api_as
):
    _, pending = requester_api.submit(
        enroll_body(keyType="ec-secp256r1", team={"value": "demo-team"})
        | {"password": {"value": PASSWORD}}
    )
    approve(approver_api, pending["_id"])
    team.members.add(outsider)
    status, body = api_as(outsider).get(f"/api/v1/requests/{pending['_id']}")
    assert status == 200 and "pkcs12" not in body, body
    assert Request.objects.get(pk=pending["_id"]).sealed_pkcs12 is not None


def test_approval_follows_the_profile_as_it_is_now(profile, pending, approver_api):
    profile.decentralized = False
    profile.save()
    status, body = approve(approver_api, pending["_id"])
    assert (status, body["error"]) == (400, "WEBRA-ENROLL-001"), body
    profile.decentralized, profile.enabled = True, False
    profile.save()
    status, body = approve(approver_api, pending["_id"])
    assert (status, body["error"]) == (404, "REQ-010"), body
    assert not Certificate.objects.exists()


def test_a_decision_naming_another_workflow_is_refused(pending, approver_api):
    status, body = approve(approver_api, pending["_id"], module="webra", workflow="revoke")
    assert (status, body["error"]) == (400, "REQ-002"), body
    assert Request.objects.get(pk=pending["_id"]).status == "pending"


def test_approver_may_edit_the_sans_and_the_change_is_audited(pending, approver_api):
    status, body = approve(
        approver_api,
        pending["_id"],
        template={"sans": [{"type": "DNSNAME", "value": ["app.example.com", "api.example.com"]}]},
    )
    assert status == 200, body
    assert [san["value"] for san in body["certificate"]["subjectAlternateNames"]] == [
        "app.example.com",
        "api.example.com",
    ]
    event = AuditEvent.objects.get(action="request.approve.enroll")
    assert event.detail["changed"] == ["template"] and event.detail["edited"] == ["sans"], (
        event.detail
    )


def test_pending_for_lists_what_an_approver_may_decide_never_their_own(
    profile, pending, approver, requester, outsider
):
    decidable = [
        str(pk) for pk in Request.objects.pending_for(approver).values_list("pk", flat=True)
    ]
    assert decidable == [pending["_id"]]
    assert not Request.objects.pending_for(requester).exists()
    assert not Request.objects.pending_for(outsider).exists()
    assert Request.objects.visible_to(requester).count() == 1
    assert not Request.objects.visible_to(outsider).exists()
