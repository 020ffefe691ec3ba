"""EST and SCEP enroll: one-time challenges for devices, hashed, approved until used."""

import pytest
from django.contrib.auth.hashers import check_password

from requests_app.models import Request
from tests.factories import ProfileFactory, grant

PASSWORD = "Device-Secret-2026"


@pytest.fixture(params=["est", "scep"])
def device_profile(request, pki, requester, approver):
    profile = ProfileFactory(name=f"{request.param}-demo", module=request.param, ca=pki["issuing"])
    grant(profile, requester, "request")
    grant(profile, approver, "perform")
    return profile


def code(profile, number):
    return f"{profile.module.upper()}-ENROLL-{number:03d}"


def challenge(api, profile, **fields):
    body = {"profile": profile.name, "module": profile.module, "workflow": "enroll", **fields}
    return api.submit(body)


def test_a_random_challenge_is_returned_once_and_stored_hashed(device_profile, approver_api):
    status, body = challenge(approver_api, device_profile)
    assert status == 201 and body["status"] == "approved", body
    password = body["password"]["value"]
    stored = Request.objects.get(pk=body["_id"])
    assert check_password(password, stored.challenge_hash)
    assert password not in stored.challenge_hash and stored.sealed_password is None


def test_a_manual_challenge_keeps_only_the_hash(device_profile, approver_api):
    device_profile.challenge_password_mode = "manual"
    device_profile.save()
    status, body = challenge(approver_api, device_profile, password={"value": PASSWORD})
    assert status == 201 and "password" not in body, body
    assert check_password(PASSWORD, Request.objects.get(pk=body["_id"]).challenge_hash)


def test_a_challenge_bound_to_a_dn_with_the_certificate_template(device_profile, approver_api):
    device_profile.dn_whitelist = True
    device_profile.save()
    status, body = challenge(
        approver_api,
        device_profile,
        dn="CN=printer-42,O=Example",
        template={"labels": [{"label": "env", "value": "prod"}]},
    )
    assert status == 201, body
    assert body["dn"] == "CN=printer-42,O=Example"
    assert body["template"]["subject"] == [
        {"element": "cn.1", "value": "printer-42"},
        {"element": "o.1", "value": "Example"},
    ]
    assert body["holderId"]


def test_a_bound_dn_must_obey_the_subject_rules(device_profile, approver_api):
    device_profile.dn_whitelist = True
    device_profile.save()
    status, body = challenge(approver_api, device_profile, dn="CN=evil,L=Nowhere")
    assert (status, body["error"]) == (400, code(device_profile, 3)), body
    status, body = challenge(
        approver_api,
        device_profile,
        dn="CN=good",
        template={"subject": [{"element": "cn.1", "value": "other"}]},
    )
    assert (status, body["error"]) == (400, code(device_profile, 4)), body


def test_a_requester_challenge_is_approved_then_its_password_delivered_once(
    device_profile, requester_api, approver_api
):
    status, pending = challenge(requester_api, device_profile)
    assert status == 201 and pending["status"] == "pending" and "password" not in pending
    status, approved = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status == 200 and approved["status"] == "approved" and "password" not in approved
    status, fetched = requester_api.get(f"/api/v1/requests/{pending['_id']}")
    password = fetched["password"]["value"]
    assert check_password(password, Request.objects.get(pk=pending["_id"]).challenge_hash)
    status, again = requester_api.get(f"/api/v1/requests/{pending['_id']}")
    assert "password" not in again


def test_a_dn_is_required_when_the_profile_binds_challenges(device_profile, approver_api):
    device_profile.dn_whitelist = True
    device_profile.save()
    status, body = challenge(approver_api, device_profile)
    assert (status, body["error"]) == (400, code(device_profile, 2)), body


@pytest.mark.parametrize("dn", ["not a dn", "CN=", "1.2.3.4.5=x", "C=France"])
def test_an_invalid_dn_is_refused(device_profile, approver_api, dn):
    device_profile.dn_whitelist = True
    device_profile.save()
    status, body = challenge(approver_api, device_profile, dn=dn)
    assert (status, body["error"]) == (400, code(device_profile, 3)), body


def test_a_dn_on_a_profile_without_dn_binding_is_refused(device_profile, approver_api):
    status, body = challenge(approver_api, device_profile, dn="CN=x")
    expected = "EST-ENROLL-001" if device_profile.module == "est" else "SCEP-ENROLL-004"
    assert (status, body["error"]) == (400, expected), body


def test_a_profile_without_challenges_is_refused(device_profile, approver_api):
    device_profile.challenge_enabled = False
    device_profile.save()
    status, body = challenge(approver_api, device_profile)
    expected = "EST-ENROLL-005" if device_profile.module == "est" else "SCEP-ENROLL-001"
    assert (status, body["error"]) == (400, expected), body


def test_a_manual_challenge_needs_a_good_password(device_profile, approver_api):
    device_profile.challenge_password_mode = "manual"
    device_profile.save()
    for password in (None, {"value": "123"}):
        status, body = challenge(approver_api, device_profile, password=password)
        assert (status, body["error"]) == (400, code(device_profile, 4)), body


def test_a_template_that_breaks_the_rules_is_an_invalid_request(device_profile, approver_api):
    status, body = challenge(
        approver_api,
        device_profile,
        template={"sans": [{"type": "DNSNAME", "value": ["not a host"]}]},
    )
    assert (status, body["error"]) == (400, code(device_profile, 4)), body


def test_a_webra_profile_is_not_a_device_profile(profile, device_profile, approver_api):
    status, body = approver_api.submit(
        {"profile": "webra-demo", "module": device_profile.module, "workflow": "enroll"}
    )
    assert (status, body["error"]) == (400, code(device_profile, 5)), body


def test_approving_a_challenge_keeps_the_scep_device_waiting_for_it(
    pki, requester, approver, requester_api, approver_api
):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from requests_app.challenges import hold_for_approval, waiting_transaction
    from tests.factories import make_csr

    profile = ProfileFactory(name="scep-poll", module="scep", ca=pki["issuing"])
    grant(profile, requester, "request")
    grant(profile, approver, "perform")
    profile.challenge_password_mode = "manual"
    profile.save()
    status, body = challenge(requester_api, profile, password={"value": PASSWORD})
    assert status == 201 and body["status"] == "pending", body
    csr = x509.load_pem_x509_csr(make_csr(subject=[("cn.1", "polling")])[0].encode())
    hold_for_approval(Request.objects.get(pk=body["_id"]), csr, transaction_id="TX-POLL-1")
    status, answer = approver_api.post("/api/v1/requests/approve", {"_id": body["_id"]})
    assert status == 200 and answer["status"] == "approved", answer
    # The device's next CertPoll (RFC 8894 §3.3.3) finds its request and the CSR to issue.
    found = waiting_transaction(profile, "scep", "TX-POLL-1")
    assert found is not None, "the approval lost the waiting device"
    request, kept = found
    assert str(request.pk) == body["_id"] and kept is not None
    assert kept.public_bytes(Encoding.DER) == csr.public_bytes(Encoding.DER)
