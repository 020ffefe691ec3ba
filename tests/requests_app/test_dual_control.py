"""Dual control: a profile may require N distinct approvals of a workflow. An approver counts
once, the requester never, any denial ends the request, and the Nth approval executes it —
exactly once, however many approvers race for it (PostgreSQL)."""

import threading

import pytest
from django.core import mail

from certificates.models import Certificate
from raportal.models import AuditEvent
from requests_app import services
from requests_app.models import Request, RequestApproval
from tests.factories import UserFactory, grant
from tests.requests_app.test_concurrency import THREADS, race
from tests.requests_app.test_recover import recover


@pytest.fixture
def dual_recover(profile):
    """The demo profile with two approvals required on recover."""
    profile.recover_approvals_required = 2
    profile.save()
    return profile


@pytest.fixture
def second_approver(profile):
    user = UserFactory(username="second")
    grant(profile, user, "perform", "recover")
    return user


@pytest.fixture
def pending_recovery(dual_recover, issue, requester, requester_api):
    """A recovery of the requester's own escrowed key, waiting for its approvals."""
    original = issue(centralized=True)
    Certificate.objects.filter(pk=original["_id"]).update(owner=requester)
    status, pending = recover(requester_api, original)
    assert status == 201 and pending["status"] == "pending", pending
    return pending["_id"]


def approve(api, request_id, **fields):
    return api.post("/api/v1/requests/approve", {"_id": request_id, **fields})


def test_one_approval_of_two_leaves_the_recovery_pending_recorded_and_audited(
    pending_recovery, approver, approver_api, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        status, body = approve(approver_api, pending_recovery, approverComment="checked the ID")
    assert status == 200 and body["status"] == "pending", body
    assert "pkcs12" not in body and "password" not in body, body
    stored = Request.objects.get(pk=pending_recovery)
    assert stored.status == "pending" and stored.approver is None
    assert [(a.approver, a.comment) for a in stored.approvals.all()] == [
        (approver, "checked the ID")
    ]
    event = AuditEvent.objects.get(action="request.approval_recorded.recover")
    assert event.actor == approver and event.detail["approvals"] == "1/2", event.detail
    assert not AuditEvent.objects.filter(action="certificate.recover").exists()
    assert mail.outbox == [], [m.subject for m in mail.outbox]  # the requester hears the end


def test_the_same_approver_again_is_refused_and_nothing_changes(pending_recovery, approver_api):
    approve(approver_api, pending_recovery)
    before = Request.objects.get(pk=pending_recovery)
    status, body = approve(approver_api, pending_recovery)
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body
    assert "already approved" in body["detail"], body
    after = Request.objects.get(pk=pending_recovery)
    assert after.status == "pending" and after.updated_at == before.updated_at
    assert RequestApproval.objects.filter(request_id=pending_recovery).count() == 1


def test_a_second_approver_completes_the_recovery_and_the_requester_gets_the_key(
    pending_recovery, approver, approver_api, second_approver, api_as, requester_api
):
    approve(approver_api, pending_recovery)
    status, body = approve(api_as(second_approver), pending_recovery)
    assert status == 200 and body["status"] == "completed", body
    stored = Request.objects.get(pk=pending_recovery)
    assert stored.approver == second_approver
    assert [a.approver for a in stored.approvals.all()] == [approver, second_approver]
    final = AuditEvent.objects.get(action="request.approve.recover")
    assert final.detail["approvals"] == "2/2", final.detail
    assert AuditEvent.objects.filter(action="certificate.recover").count() == 1
    status, fetched = requester_api.get(f"/api/v1/requests/{pending_recovery}")
    assert status == 200 and fetched["pkcs12"]["value"], fetched


def test_a_denial_after_one_approval_ends_the_request(
    pending_recovery, approver_api, second_approver, api_as
):
    approve(approver_api, pending_recovery)
    status, body = api_as(second_approver).post(
        "/api/v1/requests/deny", {"_id": pending_recovery, "approverComment": "no"}
    )
    assert status == 200 and body["status"] == "denied", body
    status, body = approve(approver_api, pending_recovery)
    assert (status, body["error"]) == (400, "REQ-004"), body


def test_an_approver_who_approved_may_still_deny(pending_recovery, approver_api):
    approve(approver_api, pending_recovery)
    status, body = approver_api.post("/api/v1/requests/deny", {"_id": pending_recovery})
    assert status == 200 and body["status"] == "denied", body


def test_the_requester_never_counts_even_with_perform(
    dual_recover, issue, approver, approver_api, second_approver, api_as
):
    """With two approvals required, nobody recovers alone: a perform holder's own recovery
    waits too, and needs two approvers other than them."""
    original = issue(centralized=True)  # the approver's own
    status, pending = recover(approver_api, original)
    assert status == 201 and pending["status"] == "pending" and "pkcs12" not in pending, pending
    status, body = approve(approver_api, pending["_id"])
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body
    status, body = approve(api_as(second_approver), pending["_id"])
    assert status == 200 and body["status"] == "pending", body
    third = UserFactory(username="third")
    grant(dual_recover, third, "perform", "recover")
    status, body = approve(api_as(third), pending["_id"])
    assert status == 200 and body["status"] == "completed", body


def test_an_approval_keeps_counting_after_its_approver_loses_the_right(
    pending_recovery, approver, approver_api, second_approver, api_as, dual_recover
):
    approve(approver_api, pending_recovery)
    dual_recover.grants.filter(user=approver, workflow="recover").delete()
    status, body = approve(api_as(second_approver), pending_recovery)
    assert status == 200 and body["status"] == "completed", body


def test_an_approval_short_of_the_last_may_not_edit_the_request(
    profile, requester_api, approver_api, api_as
):
    from tests.conftest import enroll_body
    from tests.factories import make_csr

    profile.enroll_approvals_required = 2
    profile.save()
    status, pending = requester_api.submit(enroll_body(csr=make_csr()[0]))
    assert status == 201 and pending["status"] == "pending", pending
    status, body = approve(
        approver_api, pending["_id"], template={"labels": [{"label": "env", "value": "prod"}]}
    )
    assert (status, body["error"]) == (400, "REQ-002"), body
    assert "only the last one may edit" in body["detail"], body
    assert not RequestApproval.objects.exists()
    status, body = approve(approver_api, pending["_id"])
    assert status == 200 and body["status"] == "pending", body


def test_one_approval_still_executes_at_once_by_default(
    profile, issue, requester, requester_api, approver_api
):
    original = issue(centralized=True)
    Certificate.objects.filter(pk=original["_id"]).update(owner=requester)
    status, pending = recover(requester_api, original)
    status, body = approve(approver_api, pending["_id"])
    assert status == 200 and body["status"] == "completed", body
    assert RequestApproval.objects.filter(request_id=pending["_id"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_second_approvals_produce_one_recovery(
    postgres_only, pending_recovery, approver, dual_recover
):
    services.request_approve(approver, pending_recovery)
    racers = []
    for index in range(THREADS):
        user = UserFactory(username=f"racer{index}")
        grant(dual_recover, user, "perform", "recover")
        racers.append(user)
    queue, lock = iter(racers), threading.Lock()

    def second_approval():
        with lock:
            user = next(queue)
        return services.request_approve(user, pending_recovery).request.status

    results = race(second_approval)
    assert results.count("completed") == 1, results
    assert results.count("REQ-004") == THREADS - 1, results
    stored = Request.objects.get(pk=pending_recovery)
    assert stored.status == "completed" and stored.sealed_pkcs12 is not None
    assert stored.approvals.count() == 2
    assert AuditEvent.objects.filter(action="certificate.recover").count() == 1
    assert AuditEvent.objects.filter(action="request.approve.recover").count() == 1
    assert Certificate.objects.count() == 1  # recovery issues nothing new


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_first_approvals_give_one_pending_one_completed(
    postgres_only, pending_recovery, dual_recover
):
    racers = []
    for index in range(THREADS):
        user = UserFactory(username=f"racer{index}")
        grant(dual_recover, user, "perform", "recover")
        racers.append(user)
    queue, lock = iter(racers), threading.Lock()

    def approval():
        with lock:
            user = next(queue)
        return services.request_approve(user, pending_recovery).request.status

    results = race(approval)
    assert sorted(set(results)) == ["REQ-004", "completed", "pending"], results
    assert (results.count("pending"), results.count("completed")) == (1, 1), results
    assert AuditEvent.objects.filter(action="certificate.recover").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_approver_racing_with_itself_counts_once(postgres_only, pending_recovery, approver):
    results = race(lambda: services.request_approve(approver, pending_recovery).request.status)
    assert results.count("pending") == 1, results
    assert results.count("SEC-PERM-001") == THREADS - 1, results
    assert RequestApproval.objects.filter(request_id=pending_recovery).count() == 1
