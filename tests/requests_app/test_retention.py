"""Request retention (issue 15 part 6): pending requests past their expiration date become
expired by the scheduled task (REQ-005 on any action, out of the approvers' queue, "expired"
on the pages), while the API keeps answering a status of the official client's enum; finished
requests are purged at their removeAt, their sealed secrets overwritten before the DELETE."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from horizon.models.request_get200_response import RequestGet200Response
from horizon.models.request_search_results_response import RequestSearchResultsResponse

from raportal.models import AuditEvent
from requests_app import tasks
from requests_app.models import Request, Status
from tests.conftest import enroll_body
from tests.read_side import search_requests

PASSWORD = "Correct-Horse-9-battery"


def submit_centralized(api) -> str:
    status, body = api.submit(
        enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}}
    )
    assert status == 201 and body["status"] == "pending", body
    return body["_id"]


def past(seconds: int = 1) -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=seconds)


@pytest.fixture
def expired(profile, requester_api) -> str:
    """A pending request past its expiration date, closed by the hourly task."""
    request_id = submit_centralized(requester_api)
    Request.objects.filter(pk=request_id).update(expires_at=past())
    assert tasks.expire_requests.delay().get() == 1
    return request_id


def test_the_expiry_task_closes_a_pending_request_past_its_date_and_wipes_its_secrets(
    expired, requester_api
):
    fresh = submit_centralized(requester_api)
    row = Request.objects.get(pk=expired)
    assert row.status == Status.EXPIRED
    assert row.sealed_password is None and row.sealed_pkcs12 is None and row.sealed_key is None
    assert Request.objects.get(pk=fresh).status == Status.PENDING
    assert Request.objects.get(pk=fresh).open_password() == PASSWORD
    event = AuditEvent.objects.get(action="request.expire.enroll")
    assert event.object_id == expired and event.actor is None
    assert tasks.expire_requests.delay().get() == 0, "a second run finds nothing to do"


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("approver", "/api/v1/requests/approve"),
        ("approver", "/api/v1/requests/deny"),
        ("requester", "/api/v1/requests/cancel"),
    ],
)
def test_any_action_on_an_expired_request_answers_req_005(
    expired, who, path, approver_api, requester_api
):
    api = approver_api if who == "approver" else requester_api
    status, body = api.post(path, {"_id": expired, "module": "webra", "workflow": "enroll"})
    assert (status, body.get("error")) == (400, "REQ-005"), body
    assert Request.objects.get(pk=expired).status == Status.EXPIRED


def test_the_api_reports_an_expired_request_as_pending_with_its_past_expiration_date(
    expired, requester_api
):
    """The official client's RequestStatus has no "expired": the answer must parse."""
    status, body = requester_api.get(f"/api/v1/requests/{expired}")
    assert status == 200, body
    assert body["status"] == "pending", body
    assert body["expirationDate"] < timezone.now().timestamp() * 1000
    parsed = RequestGet200Response.from_json(json.dumps(body))
    assert parsed.actual_instance.status.value == "pending"


def test_an_api_search_for_pending_requests_finds_the_expired_ones_too(
    expired, requester_api, approver_api
):
    fresh = submit_centralized(requester_api)
    status, body = search_requests(
        approver_api, query="status equals pending", withCount=True, pageSize=50
    )
    assert status == 200, body
    RequestSearchResultsResponse.from_json(json.dumps(body))  # parses with the client
    found = {result["_id"]: result for result in body["results"]}
    assert set(found) == {expired, fresh}, body
    assert found[expired]["status"] == "pending"
    assert found[expired]["permissions"] == {"approve": False, "cancel": False}
    status, body = search_requests(approver_api, query="request is valid", pageSize=50)
    assert [result["_id"] for result in body["results"]] == [fresh], body


def test_the_pages_show_it_expired_and_filter_on_it(expired, requester, client):
    client.force_login(requester)
    page = client.get(f"/requests/{expired}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert ">expired</span>" in text and "the request expired" in text
    assert "Waiting for approval" not in text
    listed = client.get("/requests/", {"status": "expired"}).content.decode()
    assert f"/requests/{expired}/" in listed
    listed = client.get("/requests/", {"status": "pending"}).content.decode()
    assert f"/requests/{expired}/" not in listed


def test_a_pending_request_past_its_date_shows_expired_before_the_task_runs(
    profile, requester_api, requester, client
):
    request_id = submit_centralized(requester_api)
    Request.objects.filter(pk=request_id).update(expires_at=past())
    client.force_login(requester)
    listed = client.get("/requests/", {"status": "expired"}).content.decode()
    assert f"/requests/{request_id}/" in listed
    assert ">expired</span>" in client.get(f"/requests/{request_id}/").content.decode()


def test_an_expired_request_leaves_the_approvers_queue(expired, approver, client):
    assert not Request.objects.decidable_by(approver).filter(pk=expired).exists()
    assert not Request.objects.pending_for(approver).filter(pk=expired).exists()
    client.force_login(approver)
    assert f"/approvals/{expired}/" not in client.get("/approvals/").content.decode()


# --- purge ------------------------------------------------------------------------------------


def test_the_purge_overwrites_the_sealed_secrets_before_deleting_the_request(
    profile, approver_api, requester_api
):
    """A completed centralized enrollment whose PKCS#12 nobody collected: at removeAt the
    sealed blobs are set to NULL by an UPDATE, then the row is deleted."""
    status, body = approver_api.submit(
        enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}}
    )
    assert status == 201 and body["status"] == "completed", body
    done = body["_id"]
    row = Request.objects.get(pk=done)
    row.seal_pkcs12(b"not collected")
    row.seal_password(PASSWORD)
    row.save(update_fields=["sealed_pkcs12", "sealed_password"])
    kept = submit_centralized(requester_api)  # pending, its removeAt not reached
    Request.objects.filter(pk=done).update(expires_at=past(60), remove_at=past())

    with CaptureQueriesContext(connection) as queries:
        assert tasks.purge_requests.delay().get() == 1
    statements = [q["sql"].upper() for q in queries.captured_queries]
    wipe = next(
        i
        for i, sql in enumerate(statements)
        if sql.startswith("UPDATE") and "SEALED_PKCS12" in sql and "NULL" in sql
    )
    delete = next(
        i for i, sql in enumerate(statements) if sql.startswith('DELETE FROM "REQUESTS_APP')
    )
    assert wipe < delete, statements
    assert not Request.objects.filter(pk=done).exists()
    assert Request.objects.filter(pk=kept).exists()


@pytest.mark.parametrize(
    "status", [Status.COMPLETED, Status.DENIED, Status.CANCELED, Status.EXPIRED, Status.FAILED]
)
def test_every_finished_request_is_purged_at_its_remove_at(status, profile, requester_api):
    request_id = submit_centralized(requester_api)
    Request.objects.filter(pk=request_id).update(
        status=status, expires_at=past(60), remove_at=past()
    )
    assert tasks.purge_requests.delay().get() == 1
    assert not Request.objects.filter(pk=request_id).exists()


def test_a_finished_request_stays_until_its_remove_at(profile, requester_api):
    request_id = submit_centralized(requester_api)
    Request.objects.filter(pk=request_id).update(status=Status.DENIED, expires_at=past())
    assert tasks.purge_requests.delay().get() == 0
    assert Request.objects.filter(pk=request_id).exists()


def test_a_pending_request_past_its_remove_at_is_expired_then_purged(profile, requester_api):
    request_id = submit_centralized(requester_api)
    Request.objects.filter(pk=request_id).update(expires_at=past(60), remove_at=past())
    assert tasks.purge_requests.delay().get() == 1
    assert AuditEvent.objects.filter(action="request.expire.enroll", object_id=request_id)
