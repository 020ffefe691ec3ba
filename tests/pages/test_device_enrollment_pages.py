"""How a device enrolled over EST or SCEP, as the request page and the certificate page show
it: the protocol, the challenge spent, the client's address and the date — never the
device's CSR nor a secret. The API keeps to the contract's shapes, which have no place for
it."""

import datetime as dt

import pytest
from cryptography import x509

from requests_app.challenges import hold_for_approval, redeem_challenge
from requests_app.models import Request
from requests_app.reenrollment import reenroll
from tests.factories import ProfileFactory, grant, make_csr

ADDRESS = "192.0.2.17"
TRANSACTION = "5F0C1E2D-TX-42"


@pytest.fixture(params=["est", "scep"])
def device_profile(request, pki, requester, approver):
    profile = ProfileFactory(
        name=f"{request.param}-devices", module=request.param, ca=pki["issuing"]
    )
    profile.renewal_period_days = 400  # a fresh certificate may be re-enrolled at once
    profile.save()
    for workflow in ("enroll", "renew"):
        grant(profile, requester, "request", workflow)
        grant(profile, approver, "perform", workflow)
    return profile


def open_challenge(api, profile) -> Request:
    status, body = api.submit(
        {"profile": profile.name, "module": profile.module, "workflow": "enroll"}
    )
    assert status == 201, body
    return Request.objects.get(pk=body["_id"])


def device_csr(cn: str = "device-7", key=None):
    pem, key = make_csr(subject=[("cn.1", cn)], key=key)
    return x509.load_pem_x509_csr(pem.encode()), pem, key


def enrolled(approver_api, profile):
    csr, _, key = device_csr()
    enrollment = redeem_challenge(
        open_challenge(approver_api, profile), csr, protocol=profile.module, address=ADDRESS
    )
    return enrollment, key


def shown_date(req: Request) -> str:
    used = dt.datetime.fromisoformat(req.template["enrollment"]["date"])
    return used.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def page(client, user, path: str) -> str:
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def test_the_request_page_shows_how_a_device_spent_its_challenge(
    device_profile, approver, approver_api, client
):
    enrollment, _ = enrolled(approver_api, device_profile)
    req = Request.objects.get(pk=enrollment.request.pk)
    html = page(client, approver, f"/requests/{req.pk}/")
    protocol = device_profile.module.upper()
    for shown in (f"Device enrollment ({protocol})", str(req.pk), ADDRESS, shown_date(req)):
        assert shown in html, (shown, html)
    assert "not used yet" not in html


def test_an_approved_challenge_is_not_used_yet(device_profile, approver, approver_api, client):
    req = open_challenge(approver_api, device_profile)
    html = page(client, approver, f"/requests/{req.pk}/")
    assert "not used yet" in html and str(req.pk) in html, html
    assert ADDRESS not in html


def test_a_pending_challenge_shows_the_waiting_scep_device_but_never_its_csr(
    pki, requester, approver, requester_api, client
):
    profile = ProfileFactory(name="scep-waiting", module="scep", ca=pki["issuing"])
    grant(profile, requester, "request")
    grant(profile, approver, "perform")
    profile.challenge_password_mode = "manual"
    profile.save()
    status, body = requester_api.submit(
        {
            "profile": profile.name,
            "module": "scep",
            "workflow": "enroll",
            "password": {"value": "Device-Secret-2026"},
        }
    )
    assert status == 201 and body["status"] == "pending", body
    req = Request.objects.get(pk=body["_id"])
    csr, pem, _ = device_csr()
    hold_for_approval(req, csr, transaction_id=TRANSACTION)
    for viewer in (requester, approver):
        html = page(client, viewer, f"/requests/{req.pk}/")
        assert f"a device is waiting (SCEP transaction <code>{TRANSACTION}</code>)" in html, html
        body_lines = [line for line in pem.splitlines() if line and "-----" not in line]
        assert "CERTIFICATE REQUEST" not in html
        assert not any(line in html for line in body_lines), "the CSR is on the page"
        assert "Device-Secret-2026" not in html


def test_a_waiting_transaction_id_is_escaped(pki, requester, approver, requester_api, client):
    profile = ProfileFactory(name="scep-escape", module="scep", ca=pki["issuing"])
    grant(profile, requester, "request")
    profile.challenge_password_mode = "manual"
    profile.save()
    status, body = requester_api.submit(
        {
            "profile": profile.name,
            "module": "scep",
            "workflow": "enroll",
            "password": {"value": "Device-Secret-2026"},
        }
    )
    assert status == 201, body
    req = Request.objects.get(pk=body["_id"])
    hold_for_approval(req, device_csr()[0], transaction_id="<script>alert(1)</script>")
    html = page(client, requester, f"/requests/{req.pk}/")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_device_reenrollment_request_shows_the_protocol_and_the_certificate_it_renews(
    device_profile, approver, approver_api, client
):
    first, key = enrolled(approver_api, device_profile)
    csr, _, _ = device_csr(key=key)
    renewal = reenroll(
        first.certificate,
        csr,
        profile=device_profile,
        protocol=device_profile.module,
        address="198.51.100.9",
    )
    req = Request.objects.get(pk=renewal.request.pk)
    html = page(client, approver, f"/requests/{req.pk}/")
    for shown in ("198.51.100.9", shown_date(req), f"/certificates/{first.row.pk}/"):
        assert shown in html, (shown, html)


def test_an_outsider_cannot_see_a_device_request(device_profile, outsider, approver_api, client):
    enrollment, _ = enrolled(approver_api, device_profile)
    client.force_login(outsider)
    response = client.get(f"/requests/{enrollment.request.pk}/")
    assert response.status_code == 404
    assert ADDRESS not in response.content.decode()


def test_the_certificate_page_says_it_was_enrolled_over_the_protocol_from_the_device(
    device_profile, approver, approver_api, client
):
    enrollment, _ = enrolled(approver_api, device_profile)
    req = Request.objects.get(pk=enrollment.request.pk)
    html = page(client, approver, f"/certificates/{enrollment.row.pk}/")
    expected = f"Enrolled over {device_profile.module.upper()} from <code>{ADDRESS}</code> on"
    assert expected in html and shown_date(req) in html, html


def test_a_reenrolled_certificate_page_gives_the_reenrollment_address(
    device_profile, approver, approver_api, client
):
    first, key = enrolled(approver_api, device_profile)
    renewal = reenroll(
        first.certificate,
        device_csr(key=key)[0],
        profile=device_profile,
        protocol=device_profile.module,
        address="198.51.100.9",
    )
    html = page(client, approver, f"/certificates/{renewal.row.pk}/")
    assert "from <code>198.51.100.9</code>" in html and "re-enrollment" in html, html
    html = page(client, approver, f"/certificates/{first.row.pk}/")
    assert f"from <code>{ADDRESS}</code>" in html, html  # the first one keeps its own


def test_a_certificate_requested_on_the_web_says_nothing_about_devices(issue, approver, client):
    certificate = issue()
    html = page(client, approver, f"/certificates/{certificate['_id']}/")
    assert "Enrolled over" not in html


def test_the_api_keeps_the_device_enrollment_out_of_the_contract_shapes(
    device_profile, approver_api
):
    enrollment, key = enrolled(approver_api, device_profile)
    status, body = approver_api.get(f"/api/v1/requests/{enrollment.request.pk}")
    assert status == 200, body
    assert "enrollment" not in body["template"] and ADDRESS not in str(body), body
    renewal = reenroll(
        enrollment.certificate,
        device_csr(key=key)[0],
        profile=device_profile,
        protocol=device_profile.module,
        address="198.51.100.9",
    )
    status, body = approver_api.get(f"/api/v1/requests/{renewal.request.pk}")
    # Horizon has no shape for a device's re-enrollment: the request, without a template
    # (before, a 400 REQ-002 "not a request this portal handles").
    assert status == 200, body
    assert (body["module"], body["workflow"], body["status"]) == (
        device_profile.module,
        "renew",
        "completed",
    )
    assert body["template"] is None, body
    # The device is its requester ("est device (address)", as its audit events name it);
    # nothing else carries the enrollment record.
    others = {field: value for field, value in body.items() if field != "requester"}
    assert "198.51.100.9" not in str(others), body
    assert body["certificate"]["_id"] == str(renewal.row.pk)


def test_the_official_client_reads_a_spent_device_challenge(device_profile, approver_api):
    from horizon.models.request_get200_response import RequestGet200Response

    enrollment, _ = enrolled(approver_api, device_profile)
    response = approver_api.client.get(
        f"/api/v1/requests/{enrollment.request.pk}", **approver_api.headers
    )
    assert response.status_code == 200
    parsed = RequestGet200Response.from_json(response.content.decode()).actual_instance
    assert type(parsed).__name__.lower().startswith(device_profile.module), parsed


def test_a_device_that_waited_for_the_approval_keeps_its_transaction_on_the_page(
    pki, requester, approver, requester_api, approver_api, client
):
    profile = ProfileFactory(name="scep-waited", module="scep", ca=pki["issuing"])
    grant(profile, requester, "request")
    grant(profile, approver, "perform")
    profile.challenge_password_mode = "manual"
    profile.save()
    status, body = requester_api.submit(
        {
            "profile": profile.name,
            "module": "scep",
            "workflow": "enroll",
            "password": {"value": "Device-Secret-2026"},
        }
    )
    assert status == 201, body
    req = Request.objects.get(pk=body["_id"])
    csr, pem, _ = device_csr()
    hold_for_approval(req, csr, transaction_id=TRANSACTION)
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": str(req.pk)})
    assert status == 200 and body["status"] == "approved", body
    html = page(client, requester, f"/requests/{req.pk}/")
    assert "it receives its certificate at its next poll" in html, html
    redeem_challenge(Request.objects.get(pk=req.pk), csr, protocol="scep", address=ADDRESS)
    html = page(client, requester, f"/requests/{req.pk}/")
    assert TRANSACTION in html and ADDRESS in html and "the device waited" in html, html
    body_lines = [line for line in pem.splitlines() if line and "-----" not in line]
    assert not any(line in html for line in body_lines), "the CSR is on the page"
