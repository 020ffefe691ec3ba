"""A request's page: what was asked for, and who may withdraw it."""

from certificates.models import Certificate
from requests_app.models import Request
from tests.conftest import enroll_body, revoke_body
from tests.factories import TeamFactory, make_csr


def pending_enroll(requester_api, **template):
    template.setdefault("csr", make_csr()[0])
    status, answer = requester_api.submit(enroll_body(**template))
    assert status == 201 and answer["status"] == "pending", answer
    return answer["_id"]


def test_the_request_page_shows_everything_that_was_asked_for(
    profile, requester, requester_api, client
):
    request_id = pending_enroll(
        requester_api,
        sans=[{"type": "DNSNAME", "value": ["www.example.com", "example.com"]}],
        labels=[{"label": "env", "value": "staging"}],
        contactEmail={"value": "ops@example.com"},
    )
    client.force_login(requester)
    page = client.get(f"/requests/{request_id}/").content.decode()
    for shown in ("DNS name", "www.example.com", "env=staging", "ops@example.com", "CSR given"):
        assert shown in page, (shown, page)


def test_a_revocation_request_shows_its_reason_and_the_certificate(
    issue, requester, requester_api, client
):
    certificate = issue()
    Certificate.objects.filter(pk=certificate["_id"]).update(owner=requester)
    status, answer = requester_api.submit(revoke_body(certificate["_id"], "keycompromise"))
    assert status == 201, answer
    client.force_login(requester)
    page = client.get(f"/requests/{answer['_id']}/").content.decode()
    assert "Key compromise" in page and "Certificate concerned" in page, page


def test_cancelling_needs_the_confirmation_box(profile, requester, requester_api, client):
    request_id = pending_enroll(requester_api)
    client.force_login(requester)
    response = client.post(f"/requests/{request_id}/cancel", follow=True)
    assert "to confirm" in response.content.decode(), response.content.decode()
    assert Request.objects.get(pk=request_id).status == "pending"
    client.post(f"/requests/{request_id}/cancel", {"confirm": "on"})
    assert Request.objects.get(pk=request_id).status == "canceled"


def test_an_outsider_cannot_cancel_and_learns_nothing(profile, requester_api, outsider, client):
    request_id = pending_enroll(requester_api)
    client.force_login(outsider)
    for body in ({}, {"confirm": "on"}):
        response = client.post(f"/requests/{request_id}/cancel", body)
        assert response.status_code == 404, (body, response.status_code)
    assert Request.objects.get(pk=request_id).status == "pending"


def test_a_teammate_of_the_requester_may_cancel_from_the_page(
    profile, team, requester, requester_api, approver, client
):
    request_id = pending_enroll(requester_api, team={"value": "demo-team"})
    client.force_login(approver)
    page = client.get(f"/requests/{request_id}/").content.decode()
    assert "Cancel the request" in page, page
    client.post(f"/requests/{request_id}/cancel", {"confirm": "on"})
    assert Request.objects.get(pk=request_id).status == "canceled"


def test_a_team_the_requester_is_not_in_does_not_get_the_cancel_button(
    profile, requester, requester_api, approver, client
):
    """A certificate's team sees a stranger's request on it, but does not get to withdraw it."""
    other = TeamFactory(name="other-team")
    other.members.add(approver)
    request_id = pending_enroll(requester_api)
    Request.objects.filter(pk=request_id).update(team=other)
    client.force_login(approver)
    page = client.get(f"/requests/{request_id}/").content.decode()
    assert "Cancel the request" not in page, page
    client.post(f"/requests/{request_id}/cancel", {"confirm": "on"})
    assert Request.objects.get(pk=request_id).status == "pending"


def test_a_renewed_certificate_links_to_its_successor_and_back(
    issue, approver, approver_api, client
):
    import datetime as dt

    from django.utils import timezone

    old = issue()
    Certificate.objects.filter(pk=old["_id"]).update(
        owner=approver, not_after=timezone.now() + dt.timedelta(days=5)
    )
    status, answer = approver_api.submit(
        {
            "module": "webra",
            "workflow": "renew",
            "certificateId": old["_id"],
            "template": {"csr": make_csr()[0]},
        }
    )
    assert status == 201 and answer["status"] == "completed", answer
    new = answer["certificate"]
    client.force_login(approver)
    old_page = client.get(f"/certificates/{old['_id']}/").content.decode()
    assert "Renewed by" in old_page and f"/certificates/{new['_id']}/" in old_page, old_page
    new_page = client.get(f"/certificates/{new['_id']}/").content.decode()
    assert "Renews" in new_page and f"/certificates/{old['_id']}/" in new_page, new_page
