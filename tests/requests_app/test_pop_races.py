"""A proof-of-possession token, and a nonce, are spent once even when every worker sees them
at the same moment (PostgreSQL: the insert-or-fail of raportal.models.SpentToken)."""

import pytest

from certificates import pop
from certificates.models import Certificate
from requests_app.models import Request
from tests import pop_tokens
from tests.pop_tokens import PopApi, pop_token
from tests.requests_app.test_concurrency import THREADS, race

pop_profile = pop_tokens.pop_profile
held = pop_tokens.held


def update(certificate: dict, value: str) -> dict:
    return {
        "workflow": "update",
        "certificatePem": certificate["certificate"],
        "template": {"labels": [{"label": "env", "value": value}]},
    }


def submit(body: dict, token: str):
    """201, or the refusal's error code."""
    status, answer, _ = PopApi().submit(body, token)
    return status if status == 201 else answer.get("error")


@pytest.mark.django_db(transaction=True)
def test_twenty_workers_given_one_token_act_once(postgres_only, held):
    certificate, key = held()
    token = pop_token(certificate["certificate"], key)
    results = race(lambda: submit(update(certificate, "dev"), token))
    assert results.count(201) == 1, results
    assert results.count("SEC-AUTH-010") == THREADS - 1, results
    assert Request.objects.filter(workflow="update").count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_tokens_sharing_one_nonce_act_once(postgres_only, held):
    certificate, key = held()
    nonce = pop.new_nonce()
    tokens = [  # one per worker (a jti each), all with the same nonce
        pop_token(certificate["certificate"], key, nonce=nonce, jti=str(n)) for n in range(THREADS)
    ]
    results = race(lambda: submit(update(certificate, "prod"), tokens.pop()))
    assert results.count(201) == 1, results
    assert results.count("SEC-AUTH-010") == THREADS - 1, results
    assert Certificate.objects.get(pk=certificate["_id"]).labels == [
        {"key": "env", "value": "prod"}
    ]
