"""One pending request of a kind per certificate holds when many submit at once: the
database refuses a second pending revoke, update, renew, recover, migrate or import of one
certificate (a partial unique index), and the loser hears what the duplicate check says
(REQ-002), never a 500 (PostgreSQL: real concurrent connections)."""

import datetime as dt

import pytest
from django.utils import timezone

from certificates.models import Certificate
from requests_app.models import Request
from tests.abuse.test_races import all_at_once, submitting
from tests.factories import make_csr


def owned_by(issue, user) -> dict:
    certificate = issue()
    Certificate.objects.filter(pk=certificate["_id"]).update(owner=user)
    return certificate


def revoke_body(certificate: dict) -> dict:
    return {
        "workflow": "revoke",
        "certificateId": certificate["_id"],
        "template": {"revocationReason": "keycompromise"},
    }


def update_body(certificate: dict, number: int) -> dict:
    return {
        "workflow": "update",
        "certificateId": certificate["_id"],
        "template": {"contactEmail": {"value": f"ops{number}@example.com"}},
    }


def renew_body(certificate: dict) -> dict:
    return {
        "workflow": "renew",
        "certificateId": certificate["_id"],
        "template": {"csr": make_csr()[0]},
    }


def assert_exactly_one_pending(results, workflow: str, certificate: dict):
    crashed = [result for result in results if not isinstance(result, tuple)]
    assert crashed == [], crashed
    accepted = [body for status, body in results if status == 201]
    refused = [(status, body) for status, body in results if status != 201]
    assert len(accepted) == 1 and accepted[0]["status"] == "pending", results
    assert all(
        status == 400
        and body.get("error") == "REQ-002"
        and "already waiting for approval" in body.get("detail", "")
        for status, body in refused
    ), refused
    pending = Request.objects.pending().filter(workflow=workflow, certificate=certificate["_id"])
    assert pending.count() == 1, list(pending.values("id", "created_at"))


@pytest.mark.django_db(transaction=True)
def test_twelve_simultaneous_revocations_leave_one_pending_and_refuse_the_others(
    postgres_only, issue, requester
):
    certificate = owned_by(issue, requester)
    results = all_at_once([submitting(requester, revoke_body(certificate))] * 12)
    assert_exactly_one_pending(results, "revoke", certificate)


@pytest.mark.django_db(transaction=True)
def test_nine_simultaneous_updates_leave_one_pending_and_refuse_the_others(
    postgres_only, issue, requester
):
    certificate = owned_by(issue, requester)
    calls = [submitting(requester, update_body(certificate, number)) for number in range(9)]
    results = all_at_once(calls)
    assert_exactly_one_pending(results, "update", certificate)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_renewals_by_csr_leave_one_pending_and_refuse_the_others(
    postgres_only, issue, requester
):
    certificate = owned_by(issue, requester)
    in_renewal_period = timezone.now() + dt.timedelta(days=10)
    Certificate.objects.filter(pk=certificate["_id"]).update(not_after=in_renewal_period)
    bodies = [renew_body(certificate) for _ in range(8)]
    results = all_at_once([submitting(requester, body) for body in bodies])
    assert_exactly_one_pending(results, "renew", certificate)


def test_a_submission_that_raced_past_the_check_is_refused_like_a_duplicate(
    issue, requester, requester_api, monkeypatch
):
    """The loser of a race passed check_not_duplicate before the winner committed: the
    database refuses its row, and it hears what the check would have said."""
    from requests_app.workflows.on_certificate import CertificateWorkflow

    certificate = owned_by(issue, requester)
    assert requester_api.submit(revoke_body(certificate))[0] == 201
    real_check = CertificateWorkflow.check_not_duplicate
    calls = []

    def first_check_misses_the_winner(self, target):
        calls.append(target)
        if len(calls) > 1:
            real_check(self, target)

    monkeypatch.setattr(CertificateWorkflow, "check_not_duplicate", first_check_misses_the_winner)
    status, body = requester_api.submit(revoke_body(certificate))
    assert (status, body.get("error")) == (400, "REQ-002"), body
    assert "already waiting for approval" in body["detail"], body
    assert Request.objects.pending().filter(workflow="revoke").count() == 1


@pytest.mark.parametrize("workflow", ["revoke", "update", "renew", "recover", "migrate", "import"])
def test_the_database_keeps_one_pending_request_of_a_kind_per_certificate(
    issue, requester, workflow
):
    from django.db import IntegrityError, transaction

    certificate = Certificate.objects.get(pk=issue()["_id"])
    new_request = _pending_request(certificate, requester, workflow)
    new_request().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        new_request().save()
    new_request(status="completed").save()  # decided ones are history, not waiting


def test_enrollments_may_wait_side_by_side(profile, requester):
    for _ in range(2):
        _pending_request(None, requester, "enroll", profile=profile)().save()
    assert Request.objects.pending().filter(workflow="enroll").count() == 2


def _pending_request(certificate, requester, workflow, profile=None):
    def make(status="pending"):
        return Request(
            module="webra",
            workflow=workflow,
            status=status,
            profile=profile or certificate.profile,
            certificate=certificate,
            requester=requester,
            expires_at=timezone.now() + dt.timedelta(days=1),
            remove_at=timezone.now() + dt.timedelta(days=2),
        )

    return make
