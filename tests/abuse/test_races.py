"""Races through the API, many callers at once, each thread with its own database connection
(PostgreSQL: real row and advisory locks). tests/requests_app/test_concurrency.py races the
services (approvers on one request, 8 enrollments against a limit of 1); here the whole HTTP
path answers, so "no 500" means something.

What must hold:

- the holder limit (``max_per_holder``, behavior ``reject``) is binding at issuance: 50
  simultaneous enrollments of one holder leave exactly the limit of valid certificates, and
  every other caller gets the documented WEBRA-ENROLL-012;
- a revocation racing a renewal of the same certificate serializes on the certificate's row
  lock (both workflows lock it in ``execute``), so the end state is one of two:

  * revoke first — the old certificate is revoked, the renewal answers WEBRA-RENEW-006, there is
    no successor, no ``renewed_certificate_id`` on the old one and no renew request;
  * renew first — the successor is valid and names its predecessor
    (``previous_certificate_id``), the old one names the successor
    (``renewed_certificate_id``) and is revoked by the revocation that waited.

  Never a link to a successor that does not exist (a renewal refused half-way), never two
  successors, never a revocation answered twice.
"""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from certificates.models import Certificate
from certificates.renewal import PREVIOUS, RENEWED
from requests_app.models import Request
from tests.conftest import Api, enroll_body, revoke_body
from tests.factories import api_key_for, make_csr


def all_at_once(calls, timeout=180):
    """Runs each callable in its own thread, released together by a barrier; returns their
    results in order (an unexpected exception becomes its repr, so the assertion shows it)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the assertion message shows it
            results[index] = repr(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a racing caller hung"
    return results


def submitting(user, body: dict):
    """A call submitting ``body`` as ``user`` through the API, with its own client (the
    user's key is set up front: api_key_for in every thread would race to create it)."""
    key = api_key_for(user)
    return lambda: Api(user, key).submit(body)


def meta(certificate: Certificate, key: str) -> str | None:
    return next((m["value"] for m in certificate.metadata if m["key"] == key), None)


# --- holder limit --------------------------------------------------------------------------

CALLERS = 50
LIMIT = 3
HOLDER = {
    "subject": [{"element": "cn.1", "value": "holder.example.com"}],
    "sans": [{"type": "DNSNAME", "value": ["holder.example.com", "www.holder.example.com"]}],
}


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_enrollments_of_one_holder_never_exceed_the_holder_limit(
    postgres_only, profile, approver
):
    profile.max_per_holder, profile.max_per_holder_behavior = LIMIT, "reject"
    profile.save()
    # Different keys, same holder (same subject and SANs): decentralized, one CSR each.
    bodies = [enroll_body(csr=make_csr()[0], **HOLDER) for _ in range(CALLERS)]

    results = all_at_once([submitting(approver, body) for body in bodies])
    crashed = [result for result in results if not isinstance(result, tuple)]
    assert crashed == [], crashed

    issued = [body for status, body in results if status == 201]
    refused = [body for status, body in results if status != 201]
    assert len(issued) == LIMIT, results
    assert all(body["status"] == "completed" for body in issued), issued
    assert all(
        (body.get("status"), body.get("error")) == (400, "WEBRA-ENROLL-012") for body in refused
    ), refused
    valid = Certificate.objects.valid().filter(profile=profile)
    assert valid.count() == LIMIT, list(valid.values("serial", "dn", "holder_id"))
    assert len(set(valid.values_list("holder_id", flat=True))) == 1
    assert Certificate.objects.count() == LIMIT  # the refused ones left nothing behind
    assert Request.objects.count() == LIMIT
    assert set(Request.objects.values_list("certificate", flat=True)) == set(
        valid.values_list("pk", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_simultaneous_enrollments_under_the_revoke_behavior_leave_exactly_the_limit_valid(
    postgres_only, profile, approver
):
    """Behavior ``revoke``: every enrollment succeeds and supersedes the oldest; however they
    interleave, the holder ends with exactly the limit of valid certificates."""
    profile.max_per_holder, profile.max_per_holder_behavior = LIMIT, "revoke"
    profile.save()
    callers = 20
    bodies = [enroll_body(csr=make_csr()[0], **HOLDER) for _ in range(callers)]
    results = all_at_once([submitting(approver, body) for body in bodies])
    assert [result[0] for result in results] == [201] * callers, results
    valid = Certificate.objects.valid().filter(profile=profile)
    assert valid.count() == LIMIT, list(valid.values("serial", "not_before"))
    superseded = Certificate.objects.filter(revocation_reason="superseded")
    assert superseded.count() == callers - LIMIT
    assert Request.objects.filter(status="completed").count() == callers


# --- revoke against renew ------------------------------------------------------------------

ROUNDS = 6


def renewable_certificate(approver, cn: str) -> Certificate:
    """A fresh certificate moved inside the profile's renewal period (30 days)."""
    status, body = Api(approver).submit(
        enroll_body(csr=make_csr()[0], subject=[{"element": "cn.1", "value": cn}])
    )
    assert status == 201, body
    Certificate.objects.filter(pk=body["certificate"]["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=10)
    )
    return Certificate.objects.get(pk=body["certificate"]["_id"])


def renew_body(certificate: Certificate) -> dict:
    return {
        "module": "webra",
        "workflow": "renew",
        "certificateId": str(certificate.pk),
        "template": {"csr": make_csr()[0]},
    }


def assert_consistent_after_race(old: Certificate, renewals, revocations, results):
    """The end state after N renewals and M revocations of ``old`` raced; ``renewals`` and
    ``revocations`` are the (status, body) answers of each."""
    old.refresh_from_db()
    assert all(isinstance(result, tuple) for result in results), results  # no exception
    assert all(status in (201, 400) for status, _ in renewals + revocations), results

    # Exactly one revocation wins; the others find the certificate already revoked.
    revoked_ok = [body for status, body in revocations if status == 201]
    assert len(revoked_ok) == 1, results
    assert all(body["status"] == "completed" for body in revoked_ok), results
    assert all(
        body.get("error") == "WEBRA-REVOKE-005" for status, body in revocations if status == 400
    ), results
    assert old.revoked, results

    renewed_ok = [body for status, body in renewals if status == 201]
    assert len(renewed_ok) <= 1, results
    assert all(
        body.get("error") == "WEBRA-RENEW-006" for status, body in renewals if status == 400
    ), results
    successors = [c for c in Certificate.objects.all() if meta(c, PREVIOUS) == str(old.pk)]
    renew_requests = Request.objects.filter(workflow="renew")
    if renewed_ok:
        # Renewed, then revoked: the successor is valid and both are linked both ways.
        (body,) = renewed_ok
        assert body["status"] == "completed", results
        (successor,) = successors
        assert str(successor.pk) == body["certificate"]["_id"], results
        assert not successor.revoked, results
        assert meta(successor, PREVIOUS) == str(old.pk), successor.metadata
        assert meta(old, RENEWED) == str(successor.pk), old.metadata
        (request,) = renew_requests
        assert (request.status, request.certificate_id) == ("completed", successor.pk)
    else:
        # Revoked first: the renewal was refused whole — no successor, no link, no request.
        assert successors == [], results
        assert meta(old, RENEWED) is None, old.metadata
        assert not renew_requests.exists(), list(renew_requests.values())
    (revocation,) = Request.objects.filter(workflow="revoke", status="completed")
    assert revocation.certificate_id == old.pk


@pytest.mark.django_db(transaction=True)
def test_a_revocation_racing_a_renewal_ends_revoked_and_either_renewed_whole_or_not_at_all(
    postgres_only, profile, approver
):
    outcomes = []
    for round_ in range(ROUNDS):
        old = renewable_certificate(approver, f"pair-{round_}.example.com")
        renew, revoke = renew_body(old), revoke_body(str(old.pk), "keycompromise")
        # Alternate who starts first, to give both orders a chance.
        calls = [submitting(approver, renew), submitting(approver, revoke)]
        if round_ % 2:
            calls.reverse()
        results = all_at_once(calls)
        if round_ % 2:
            results.reverse()
        renewal, revocation = results
        assert_consistent_after_race(old, [renewal], [revocation], results)
        outcomes.append("renewed-then-revoked" if renewal[0] == 201 else "revoked-only")
        Request.objects.all().delete()  # each round counts its own requests
    assert set(outcomes) <= {"renewed-then-revoked", "revoked-only"}, outcomes


@pytest.mark.django_db(transaction=True)
def test_two_renewals_racing_two_revocations_give_at_most_one_successor_and_one_revocation(
    postgres_only, profile, approver
):
    for round_ in range(3):
        old = renewable_certificate(approver, f"crowd-{round_}.example.com")
        renewals = [renew_body(old) for _ in range(2)]
        revocations = [revoke_body(str(old.pk), "superseded") for _ in range(2)]
        results = all_at_once([submitting(approver, body) for body in renewals + revocations])
        assert_consistent_after_race(old, results[:2], results[2:], results)
        Request.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_renewals_of_a_valid_certificate_produce_exactly_one_successor(
    postgres_only, profile, approver
):
    old = renewable_certificate(approver, "twice.example.com")
    results = all_at_once([submitting(approver, renew_body(old)) for _ in range(5)])
    assert [result[0] for result in results].count(201) == 1, results
    assert all(
        body.get("error") == "WEBRA-RENEW-006" for status, body in results if status != 201
    ), results
    old.refresh_from_db()
    successors = [c for c in Certificate.objects.exclude(pk=old.pk) if meta(c, PREVIOUS)]
    assert len(successors) == 1 and meta(old, RENEWED) == str(successors[0].pk), old.metadata
    assert not old.revoked
