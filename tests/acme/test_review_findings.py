"""What a review of the ACME server found, each kept from coming back: a disabled or deleted
portal principal stops its ACME account, keyChange checks the account it names and answers a
taken key with 409 and its Location, a deactivated account gets 401 and its open orders end,
odd digits in a kid are no account, validation outcomes are audited, a bug answers in ACME's
form."""

import json

import pytest
from django.db import connection

from acme_server import validation_jobs
from acme_server.eab import create_eab_key
from acme_server.models import AcmeAccount, AcmeOrder, AuthorizationStatus
from acme_server.validation import ValidationResult
from certificates.models import Certificate
from raportal.models import AuditEvent
from tests.acme.client import AcmeClient, new_key, problem_type
from tests.factories import grant

NAME = "review.acme.test"


@pytest.fixture
def bound(client, acme_eab, requester, approver):
    """An account bound by an EAB key to the requester, who may perform on acme-eab."""
    grant(acme_eab, requester, "perform")
    key, hmac_key = create_eab_key(profile=acme_eab, user=requester, actor=approver)
    acme = AcmeClient(client, acme_eab.name)
    from acme.messages import Directory, ExternalAccountBinding

    binding = ExternalAccountBinding.from_data(
        acme.key.public_key(), key.kid, hmac_key, Directory.from_json(acme.directory())
    )
    assert acme.register(externalAccountBinding=binding).status_code == 201
    return acme


def test_a_disabled_user_s_account_can_no_longer_order(bound, requester):
    requester.is_active = False
    requester.save()
    response = bound.order(NAME)
    assert response.status_code == 403 and problem_type(response) == "unauthorized"
    assert not AcmeOrder.objects.exists()


def test_an_eab_key_of_a_disabled_user_binds_nothing(client, acme_eab, requester, approver):
    from acme.messages import Directory, ExternalAccountBinding

    key, hmac_key = create_eab_key(profile=acme_eab, user=requester, actor=approver)
    requester.is_active = False
    requester.save()
    acme = AcmeClient(client, acme_eab.name)
    binding = ExternalAccountBinding.from_data(
        acme.key.public_key(), key.kid, hmac_key, Directory.from_json(acme.directory())
    )
    response = acme.register(externalAccountBinding=binding)
    assert problem_type(response) == "unauthorized"
    assert not AcmeAccount.objects.exists()


def test_deleting_the_user_deletes_the_account_instead_of_unbinding_it(bound, requester):
    requester.delete()
    assert not AcmeAccount.objects.exists()
    response = bound.order(NAME)
    assert problem_type(response) == "accountDoesNotExist"


def test_key_change_must_name_this_account(client, acme_demo):
    acme = AcmeClient(client, acme_demo.name)
    acme.register()
    url = acme.url("keyChange")
    inner = acme.jws(url, {"account": "http://evil.example/account/999",
                           "oldKey": acme.key.public_key().to_json()},
                     kid=False, key=new_key(), nonce="")  # fmt: skip
    response = acme.post(url, json.loads(inner))
    assert response.status_code == 400 and problem_type(response) == "malformed"


def test_key_change_to_a_key_another_account_holds_is_409_with_its_location(client, acme_demo):
    first, second = AcmeClient(client, acme_demo.name), AcmeClient(client, acme_demo.name)
    first.register()
    second.register()
    url = second.url("keyChange")
    inner = second.jws(url, {"account": second.kid, "oldKey": second.key.public_key().to_json()},
                       kid=False, key=first.key, nonce="")  # fmt: skip
    response = second.post(url, json.loads(inner))
    assert response.status_code == 409, response.content
    assert response["Location"] == first.kid


def test_a_deactivated_account_gets_401_and_its_open_orders_end(client, acme_demo):
    acme = AcmeClient(client, acme_demo.name)
    acme.register()
    created = acme.order(NAME)
    assert acme.post(acme.kid, {"status": "deactivated"}).status_code == 200
    response = acme.post(created["Location"])
    assert response.status_code == 401 and problem_type(response) == "unauthorized"
    order = AcmeOrder.objects.get()
    assert order.status == "invalid"
    assert set(order.authorizations.values_list("status", flat=True)) == {
        AuthorizationStatus.DEACTIVATED
    }


def test_a_kid_with_other_digits_than_ascii_is_no_account(client, acme_demo):
    acme = AcmeClient(client, acme_demo.name)
    acme.register()
    for tail in ("\u00b2", "\u0661"):  # superscript two, Arabic-Indic digit one
        forged = acme.kid.rsplit("/", 1)[0] + "/" + tail
        response = acme.post(acme.url("newOrder"), {"identifiers": []}, kid=forged)
        assert response.status_code == 400, response.content
        assert problem_type(response) == "accountDoesNotExist"


def test_a_validation_outcome_is_audited_with_the_method_and_the_name(
    client, acme_demo, monkeypatch
):
    monkeypatch.setattr("acme_server.orders.schedule_validation", lambda *a: None)
    monkeypatch.setattr(validation_jobs.validation, "validate", lambda *a: ValidationResult(True))
    acme = AcmeClient(client, acme_demo.name)
    acme.register()
    authz = acme.post(acme.order(NAME).json()["authorizations"][0]).json()
    http01 = next(c for c in authz["challenges"] if c["type"] == "http-01")
    acme.post(http01["url"], {})
    assert validation_jobs.attempt(http01["url"].rsplit("/", 1)[1]) == "valid"
    event = AuditEvent.objects.get(action="acme.challenge.verify")
    assert event.detail["outcome"] == "valid" and event.detail["type"] == "http-01"
    assert event.detail["identifier"] == NAME
    assert AuditEvent.objects.filter(action="acme.challenge.respond").count() == 1


def test_an_unexpected_failure_answers_server_internal_with_a_nonce(client, acme_demo, monkeypatch):
    acme = AcmeClient(client, acme_demo.name)
    acme.register()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("acme_server.orders.new_order", broken)
    response = acme.order(NAME)
    assert response.status_code == 500 and problem_type(response) == "serverInternal"
    assert response["Replay-Nonce"]


@pytest.mark.django_db(transaction=True)
def test_racing_key_changes_to_one_new_key_give_one_change_and_409s(
    postgres_only, client, acme_demo
):
    from tests.requests_app.test_concurrency import race

    shared = new_key()
    clients = []
    for _ in range(6):
        acme = AcmeClient(client, acme_demo.name)
        acme.register()
        url = acme.url("keyChange")
        inner = acme.jws(url, {"account": acme.kid, "oldKey": acme.key.public_key().to_json()},
                         kid=False, key=shared, nonce="")  # fmt: skip
        clients.append((acme, url, json.loads(inner), acme.jws(url, json.loads(inner))))
    queue = iter(clients)

    def change():
        from django.test import Client

        _, url, _, body = next(queue)
        try:
            return Client().generic(
                "POST", url.removeprefix("http://testserver"), body,
                content_type="application/jose+json",
            ).status_code  # fmt: skip
        finally:
            connection.close()

    results = race(change, count=len(clients))
    assert sorted(results) == [200] + [409] * (len(clients) - 1), results
    assert Certificate.objects.count() == 0
