"""ACME races that must resolve to one outcome (PostgreSQL: real row locks)."""

import pytest
from django.db import connection

from acme_server import orders, validation_jobs
from acme_server.models import AcmeAccount, AcmeChallenge, AcmeNonce, AcmeOrder
from acme_server.nonces import new_nonce, spend_nonce
from acme_server.principal import acting_principal
from acme_server.problems import AcmeProblem
from acme_server.validation import ValidationResult
from certificates.models import Certificate
from requests_app.models import Request
from tests.acme.client import AcmeClient
from tests.acme.test_protocol import csr_for, ready
from tests.requests_app.test_concurrency import race

NAME = "race.acme.test"


def outcome_of(call):
    def run():
        try:
            return call()
        except AcmeProblem as problem:
            return problem.kind
        finally:
            connection.close()

    return run


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_finalizations_of_one_order_issue_one_certificate(
    postgres_only, client, acme_demo
):
    acme = AcmeClient(client, acme_demo.name)
    acme.register()
    created = acme.order(NAME)
    order = ready(created["Location"])
    account = AcmeAccount.objects.get()
    csr = {"csr": csr_for(NAME)}

    def finalize():
        principal = acting_principal(AcmeAccount.objects.get(pk=account.pk), "127.0.0.1")
        fresh = AcmeOrder.objects.select_related("account__profile").get(pk=order.pk)
        return orders.finalize_order(fresh, csr, principal).status

    results = race(outcome_of(finalize))
    assert results.count("valid") == 1, results
    assert results.count("orderNotReady") == len(results) - 1, results
    assert Certificate.objects.count() == 1 and Request.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_nonce_raced_by_twenty_requests_is_spent_once(postgres_only):
    nonce = new_nonce()
    results = race(outcome_of(lambda: spend_nonce(nonce)))
    assert results.count(True) == 1 and results.count(False) == len(results) - 1, results
    assert not AcmeNonce.objects.filter(value=nonce).exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_workers_racing_on_one_due_attempt_validate_it_once(
    postgres_only, client, acme_demo, monkeypatch
):
    monkeypatch.setattr("acme_server.orders.schedule_validation", lambda *a: None)
    acme = AcmeClient(client, acme_demo.name)
    acme.register()
    authz = acme.post(acme.order(NAME).json()["authorizations"][0]).json()
    http01 = next(c for c in authz["challenges"] if c["type"] == "http-01")
    acme.post(http01["url"], {})
    checks = []
    monkeypatch.setattr(
        validation_jobs.validation,
        "validate",
        lambda *args: checks.append(args) or ValidationResult(True),
    )
    challenge_id = http01["url"].rsplit("/", 1)[1]
    results = race(outcome_of(lambda: validation_jobs.attempt(challenge_id)))
    assert results.count("valid") == 1 and results.count(None) == len(results) - 1, results
    assert len(checks) == 1
    assert AcmeChallenge.objects.get(pk=challenge_id).attempts == 1
