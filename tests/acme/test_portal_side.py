"""An ACME order is a portal request and its certificate a portal certificate: approvers see
and decide it on their pages, the API reads it, the portal revokes it."""

import pytest

from certificates.models import Certificate
from requests_app.models import Request
from tests.acme.client import AcmeClient
from tests.acme.conftest import acme_profile
from tests.acme.test_protocol import csr_for, ready
from tests.factories import grant

NAME = "app.acme.test"


@pytest.fixture
def waiting(client, pki, approver, requester):
    """An order an unbound account finalized on a profile where such orders need approval."""
    profile = acme_profile(pki, "acme-review", acme_unbound_level="request")
    grant(profile, approver, "perform")
    grant(profile, approver, "perform", "revoke")
    acme = AcmeClient(client, profile.name)
    acme.register()
    created = acme.order(NAME)
    ready(created["Location"])
    acme.post(created.json()["finalize"], {"csr": csr_for(NAME)})
    return acme, created["Location"], Request.objects.get()


def test_the_approver_sees_the_acme_request_in_the_queue_and_approves_it_there(
    client, waiting, approver
):
    acme, order_url, request = waiting
    client.force_login(approver)
    queue = client.get("/approvals/")
    assert queue.status_code == 200 and str(request.pk) in queue.content.decode()
    page = client.get(f"/approvals/{request.pk}/")
    assert page.status_code == 200 and NAME in page.content.decode()
    decided = client.post(f"/approvals/{request.pk}/", {"decision": "approve"})
    assert decided.status_code in (200, 302), decided.content[:500]
    request.refresh_from_db()
    assert request.status == "completed", request.error
    client.logout()
    assert acme.post(order_url).json()["status"] == "valid"


def test_the_api_reads_an_acme_request_as_the_contract_shapes_it(waiting, approver_api):
    _, _, request = waiting
    status, body = approver_api.get(f"/api/v1/requests/{request.pk}")
    assert status == 200, body
    assert (body["module"], body["workflow"], body["status"]) == ("acme", "enroll", "pending")
    assert {"type": "DNSNAME", "value": [NAME]} in body["template"]["sans"]


def test_an_acme_certificate_is_revoked_through_the_request_api_like_any_other(
    waiting, approver, approver_api
):
    from requests_app.services import request_approve

    _, _, request = waiting
    request_approve(approver, request.pk)
    certificate = Certificate.objects.get()
    status, body = approver_api.submit(
        {"module": "webra", "workflow": "revoke", "certificateId": str(certificate.pk),
         "template": {"revocationReason": "superseded"}}
    )  # fmt: skip
    assert status == 201 and body["status"] == "completed", body
    certificate.refresh_from_db()
    assert certificate.revoked
