"""Garbage on every ACME endpoint — random bytes, mutated JWS, headers and payloads of the
wrong types — never answers 500: a problem document with the RFC's type, and nothing is
created."""

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acme_server.models import AcmeAccount, AcmeOrder
from acme_server.problems import STATUS
from tests.abuse.test_input_fuzz import FUZZ, mutated_bytes
from tests.acme.client import AcmeClient

pytestmark = pytest.mark.django_db

ENDPOINTS = ["new-account", "new-order", "revoke-cert", "key-change"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def assert_problem(response) -> None:
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"] == "application/problem+json", response.content[:300]
    kind = response.json()["type"].removeprefix("urn:ietf:params:acme:error:")
    assert kind in STATUS, response.content[:300]
    assert response["Replay-Nonce"]


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_random_bytes_on_any_endpoint_are_a_problem(client, acme_demo, data):
    endpoint = data.draw(st.sampled_from(ENDPOINTS))
    body = data.draw(st.binary(max_size=300))
    response = client.generic(
        "POST", f"/acme/acme-demo/{endpoint}", body,
        content_type="application/jose+json",
    )  # fmt: skip
    assert_problem(response)
    assert not AcmeAccount.objects.exists()


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_a_mutated_signed_request_is_a_problem_and_creates_nothing(client, acme_demo, data):
    acme = AcmeClient(client, acme_demo.name)
    body = acme.jws(acme.url("newAccount"), {"termsOfServiceAgreed": True}, kid=False)
    before = AcmeAccount.objects.count()  # examples share the test's transaction
    response = client.generic(
        "POST",
        "/acme/acme-demo/new-account",
        data.draw(mutated_bytes(body)),
        content_type="application/jose+json",
    )
    if response.status_code in (200, 201):
        return  # a mutation JSON ignores (whitespace) leaves a valid request
    assert_problem(response)
    assert AcmeAccount.objects.count() == before


@pytest.mark.slow
@FUZZ
@given(
    payload=JSON_VALUES,
    header=st.dictionaries(
        st.sampled_from(["alg", "kid", "jwk", "url", "nonce"]), JSON_VALUES, max_size=3
    ),
)
def test_payloads_and_headers_of_the_wrong_shape_are_a_problem(client, acme_demo, payload, header):
    acme = AcmeClient(client, acme_demo.name)
    if acme.kid is None:
        acme.register()
    signed = json.loads(acme.jws(acme.url("newOrder"), payload))
    before = AcmeOrder.objects.count()
    if header:
        protected = json.loads(base64.urlsafe_b64decode(signed["protected"] + "=="))
        protected |= header
        encoded = base64.urlsafe_b64encode(json.dumps(protected).encode()).rstrip(b"=")
        signed["protected"] = encoded.decode()
    response = client.generic(
        "POST",
        "/acme/acme-demo/new-order",
        json.dumps(signed),
        content_type="application/jose+json",
    )
    if response.status_code == 201:
        return
    assert_problem(response)
    assert AcmeOrder.objects.count() == before


@pytest.mark.slow
@FUZZ
@given(
    endpoint=st.sampled_from(["newAccount", "revokeCert", "keyChange", "newOrder"]),
    payload=st.dictionaries(
        st.sampled_from(
            ["contact", "externalAccountBinding", "onlyReturnExisting", "termsOfServiceAgreed",
             "certificate", "reason", "account", "oldKey", "identifiers", "notBefore",
             "protected", "payload", "signature"]
        ),
        JSON_VALUES,
        max_size=4,
    ),
)  # fmt: skip
def test_payload_members_of_any_type_are_a_problem_or_an_answer(
    client, acme_demo, endpoint, payload
):
    acme = AcmeClient(client, acme_demo.name)
    acme.register()
    response = acme.post(acme.url(endpoint), payload, kid=endpoint != "newAccount")
    if response.status_code < 300:
        return
    assert_problem(response)
