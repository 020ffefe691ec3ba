"""EST with challenges bound to a DN (the profile's dnWhitelist): the device may name the
challenge by that DN in HTTP Basic, and only a CSR with that subject is issued."""

import base64

import pytest

from certificates.models import Certificate
from requests_app.models import Request
from tests.factories import ProfileFactory, grant, make_csr

pytestmark = pytest.mark.django_db

DN = "CN=printer-42,O=Example"


@pytest.fixture
def bound(pki, approver, api_as):
    profile = ProfileFactory(name="est-bound", module="est", ca=pki["issuing"], dn_whitelist=True)
    grant(profile, approver, "perform")
    status, answer = api_as(approver).submit(
        {"profile": profile.name, "module": "est", "workflow": "enroll", "dn": DN}
    )
    assert status == 201, answer
    return answer["_id"], answer["password"]["value"]


def enroll(client, user: str, password: str, subject):
    csr = make_csr(subject=subject)[0]
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    return client.post(
        "/.well-known/est/est-bound/simpleenroll",
        csr,
        content_type="application/pkcs10",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def test_a_csr_for_another_subject_is_refused_and_the_challenge_kept(client, bound):
    request_id, password = bound
    response = enroll(client, request_id, password, [("cn.1", "printer-43"), ("o.1", "Example")])
    assert response.status_code == 400, response.content
    assert b"bound to" in response.content
    assert Certificate.objects.count() == 0
    assert Request.objects.get(pk=request_id).status == "approved"


def test_the_bound_dn_names_the_challenge_and_its_subject_is_issued(client, bound):
    request_id, password = bound
    response = enroll(client, DN, password, [("cn.1", "printer-42"), ("o.1", "Example")])
    assert response.status_code == 200, response.content
    request = Request.objects.get(pk=request_id)
    assert request.status == "completed" and request.certificate.dn == DN


def test_the_dn_of_another_challenge_with_this_password_authenticates_nothing(client, bound):
    _, password = bound
    response = enroll(client, "CN=other,O=Example", password, [("cn.1", "other")])
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Basic")


def test_a_challenge_awaiting_approval_answers_202_then_issues_once_approved(
    client, pki, requester, approver, api_as
):
    profile = ProfileFactory(
        name="est-approval", module="est", ca=pki["issuing"], challenge_password_mode="manual"
    )
    grant(profile, requester, "request")
    grant(profile, approver, "perform")
    password = "Device-Secret-2026!"
    status, answer = api_as(requester).submit(
        {
            "profile": profile.name,
            "module": "est",
            "workflow": "enroll",
            "password": {"value": password},
        }
    )
    assert status == 201 and answer["status"] == "pending", answer

    def enroll_device():
        basic = base64.b64encode(f"{answer['_id']}:{password}".encode()).decode()
        return client.post(
            "/.well-known/est/est-approval/simpleenroll",
            make_csr(subject=[("cn.1", "device-9")])[0],
            content_type="application/pkcs10",
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )

    waiting = enroll_device()
    assert waiting.status_code == 202 and waiting["Retry-After"], waiting.content
    assert Certificate.objects.count() == 0
    status, decided = api_as(approver).post("/api/v1/requests/approve", {"_id": answer["_id"]})
    assert status == 200 and decided["status"] == "approved", decided
    assert enroll_device().status_code == 200
    assert Request.objects.get(pk=answer["_id"]).status == "completed"
