"""What a decision says names the certificate it made, as a link (issue 17: identifiers are
links everywhere), in the message after one decision and in the bulk result."""

import re

from raportal.events import verify_events
from raportal.models import AuditEvent
from requests_app.models import Request
from tests.approvals.test_queue import submit


def certificate_link(request_id: str) -> str:
    certificate = Request.objects.get(pk=request_id).certificate
    assert certificate is not None
    return (
        f'<a href="/certificates/{certificate.pk}/">web.example.com '
        f'<code class="serial" title="serial {certificate.serial}">{certificate.serial[:8]}…'
        "</code></a>"
    )


def test_the_approval_message_links_the_certificate_it_issued(
    profile, requester_api, approver, client
):
    request_id = submit(requester_api, "web.example.com")
    client.force_login(approver)
    response = client.post(f"/approvals/{request_id}/", {"decision": "approve", "comment": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"]).content.decode()
    expected = f"Approved: certificate {certificate_link(request_id)} issued."
    assert expected in page, page


def test_the_bulk_result_links_each_certificate_it_issued(profile, requester_api, approver, client):
    ids = [submit(requester_api, "web.example.com") for _ in range(2)]
    client.force_login(approver)
    page = client.post(
        "/approvals/bulk", {"ids": ids, "decision": "approve", "comment": "batch"}
    ).content.decode()
    for request_id in ids:
        assert f"Approved: certificate {certificate_link(request_id)} issued." in page, page
    assert len(re.findall(r'href="/certificates/[0-9a-f-]+/"', page)) == 2, page


def test_an_approvers_edit_is_audited_as_before_and_after(profile, requester_api, approver, client):
    request_id = submit(requester_api, "web.example.com")
    client.force_login(approver)
    response = client.post(
        f"/approvals/{request_id}/",
        {
            "decision": "approve",
            "comment": "",
            "label:env": "prod",
            "contactEmail": "web@example.com",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="request.approve.enroll", object_id=request_id)
    assert event.detail["changes"]["labels"] == [[], ["env=prod"]], event.detail
    assert event.detail["changes"]["contact"] == [
        Request.objects.get(pk=request_id).requester.email,
        "web@example.com",
    ], event.detail
    assert "subject" not in event.detail["changes"], event.detail
    assert verify_events().ok
