"""Races that must resolve to exactly one outcome (PostgreSQL: real row locks)."""

import threading

import pytest
from django.db import connection

from certificates.models import Certificate
from raportal.errors import DomainError
from requests_app import services
from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import make_csr

THREADS = 20


def race(target, count=THREADS):
    barrier = threading.Barrier(count)
    results, lock = [], threading.Lock()

    def run():
        try:
            barrier.wait()
            outcome = target()
        except DomainError as exc:
            outcome = exc.code
        except Exception as exc:
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_approvers_racing_on_one_request_produce_exactly_one_certificate(
    postgres_only, profile, requester_api, approver
):
    csr, _ = make_csr()
    status, pending = requester_api.submit(enroll_body(csr=csr))
    assert status == 201, pending
    results = race(lambda: services.request_approve(approver, pending["_id"]).request.status)
    assert results.count("completed") == 1, results
    assert results.count("REQ-004") == THREADS - 1, results
    assert Certificate.objects.count() == 1
    assert Request.objects.get(pk=pending["_id"]).certificate_id is not None


@pytest.mark.django_db(transaction=True)
def test_concurrent_enrollments_never_exceed_the_holder_limit(postgres_only, profile, approver):
    from requests_app.workflows import handler_for

    profile.max_per_holder, profile.max_per_holder_behavior = 1, "reject"
    profile.save()
    handler = handler_for("webra", "enroll")
    csrs = [make_csr()[0] for _ in range(8)]
    bodies = iter(csrs)
    lock = threading.Lock()

    def enroll():
        with lock:
            csr = next(bodies)
        data = {
            "profile": profile.name,
            "template": {"csr": csr, "subject": [{"element": "cn.1", "value": "same.example.com"}]},
        }
        return services.request_submit(approver, handler, data).request.status

    results = race(enroll, count=8)
    assert results.count("completed") == 1, results
    assert results.count("WEBRA-ENROLL-012") == 7, results
    assert Certificate.objects.count() == 1
