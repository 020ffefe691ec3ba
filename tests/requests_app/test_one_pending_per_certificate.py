"""A certificate waits on one request of a kind at a time, and an update must change
something: otherwise approving an old request would undo a newer one."""

from certificates.models import Certificate
from requests_app.models import Request
from tests.requests_app.test_revoke import revoke
from tests.requests_app.test_update import update


def owned_by(issue, user):
    certificate = issue()
    Certificate.objects.filter(pk=certificate["_id"]).update(owner=user)
    return certificate


def test_a_second_pending_revocation_of_one_certificate_is_refused(issue, requester, requester_api):
    certificate = owned_by(issue, requester)
    assert revoke(requester_api, certificate)[0] == 201
    status, body = revoke(requester_api, certificate)
    assert (status, body["error"]) == (400, "REQ-002"), body
    assert "already waiting for approval" in body["detail"], body
    assert Request.objects.filter(workflow="revoke").count() == 1


def test_once_the_first_is_canceled_a_new_one_may_be_filed(issue, requester, requester_api):
    certificate = owned_by(issue, requester)
    _, first = revoke(requester_api, certificate)
    requester_api.post("/api/v1/requests/cancel", {"_id": first["_id"]})
    assert revoke(requester_api, certificate)[0] == 201


def test_someone_who_may_act_at_once_is_not_held_up_by_a_pending_request(
    issue, requester, requester_api, approver_api
):
    certificate = owned_by(issue, requester)
    revoke(requester_api, certificate)
    status, body = revoke(approver_api, certificate)
    assert status == 201 and body["status"] == "completed", body


def test_different_kinds_of_request_may_wait_side_by_side(issue, requester, requester_api):
    certificate = owned_by(issue, requester)
    assert update(requester_api, certificate, contactEmail={"value": "a@example.com"})[0] == 201
    assert revoke(requester_api, certificate)[0] == 201


def test_an_update_that_changes_nothing_is_refused(issue, requester, requester_api):
    certificate = owned_by(issue, requester)
    stored = Certificate.objects.get(pk=certificate["_id"])
    status, body = update(
        requester_api,
        certificate,
        contactEmail={"value": stored.contact_email},
        labels=[{"label": item["key"], "value": item["value"]} for item in stored.labels],
    )
    assert (status, body["error"]) == (400, "REQ-002"), body
    assert "nothing to change" in body["detail"], body
    assert not Request.objects.filter(workflow="update").exists()
