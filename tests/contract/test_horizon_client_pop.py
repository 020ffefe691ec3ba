"""Proof of possession through the official client, as Horizon's own tooling uses it: no API
credentials at all, the token in the ``X-JWT-CERT-POP`` header the client lets a caller add,
and one retry with the ``Replay-Nonce`` of a refusal. Every answer parses with the client's
models, ``requester`` included (a string: the certificate's DN)."""

import base64
import datetime as dt
import gc
import threading
import time

import horizon
import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from horizon.exceptions import ApiException
from horizon.models.request_submit_request import RequestSubmitRequest
from horizon.models.web_ra_renew_request_on_submit import WebRARenewRequestOnSubmit
from horizon.models.web_ra_renew_request_on_submit_response import (
    WebRARenewRequestOnSubmitResponse,
)
from horizon.models.web_ra_revoke_request_on_submit import WebRARevokeRequestOnSubmit
from horizon.models.web_ra_revoke_request_on_submit_response import (
    WebRARevokeRequestOnSubmitResponse,
)
from horizon.models.web_ra_update_request_on_submit import WebRAUpdateRequestOnSubmit
from horizon.models.web_ra_update_request_on_submit_response import (
    WebRAUpdateRequestOnSubmitResponse,
)

from certificates.models import Certificate
from profiles.models import Profile
from tests import pop_tokens
from tests.pop_tokens import pop_token

HEADER = "X-JWT-CERT-POP"

pop_profile = pop_tokens.pop_profile
held = pop_tokens.held


@pytest.fixture
def unauthenticated(live_server):
    """The official client with no credentials configured: nothing but what a call adds."""
    client = horizon.ApiClient(horizon.Configuration(host=live_server.url))
    yield client
    client.close()
    gc.collect()  # see client_for (conftest.py): sockets close once collected
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


def submit_with_proof(client, model, payload: dict, certificate: dict, key, *, now=None):
    """Submits with a proof of possession, and retries once with the nonce of a refusal that
    offers one — what a Horizon client does."""
    request = RequestSubmitRequest(model.model_validate(payload))
    api = horizon.RequestApi(client)
    token = pop_token(certificate["certificate"], key, now=now)
    try:
        return api.request_submit(request, _headers={HEADER: token}).actual_instance, None
    except ApiException as refused:
        headers = {name.lower(): value for name, value in (refused.headers or {}).items()}
        nonce = headers.get("replay-nonce")
        if nonce is None:
            raise
        token = pop_token(certificate["certificate"], key, now=now, nonce=nonce)
        answer = api.request_submit(request, _headers={HEADER: token}).actual_instance
        return answer, refused


@pytest.mark.parametrize("key_type", ["rsa-2048", "ec-secp384r1"])
def test_the_client_revokes_by_proof_of_possession_alone(unauthenticated, held, key_type):
    certificate, key = held(key_type)
    answer, refused = submit_with_proof(
        unauthenticated,
        WebRARevokeRequestOnSubmit,
        {
            "workflow": "revoke",
            "certificatePem": certificate["certificate"],
            "template": {"revocationReason": "unspecified"},
        },
        certificate,
        key,
    )
    assert refused is None
    assert isinstance(answer, WebRARevokeRequestOnSubmitResponse)
    assert answer.status == "completed" and answer.certificate["revoked"] is True
    assert answer.requester == certificate["dn"]


def test_the_client_renews_by_proof_and_receives_the_pkcs12_at_once(
    unauthenticated, held, pop_profile
):
    Profile.objects.filter(pk=pop_profile.pk).update(p12_password_mode="random")
    certificate, key = held("rsa-2048")
    answer, _ = submit_with_proof(
        unauthenticated,
        WebRARenewRequestOnSubmit,
        {
            "module": "webra",
            "workflow": "renew",
            "certificatePem": certificate["certificate"],
            "template": {},
        },
        certificate,
        key,
    )
    assert isinstance(answer, WebRARenewRequestOnSubmitResponse)
    assert answer.requester == certificate["dn"] and answer.status == "completed"
    new_key, new_certificate, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(answer.pkcs12["value"]), answer.password["value"].encode()
    )
    assert new_key.public_key() == new_certificate.public_key()
    # The client reads the chain next, still without credentials.
    chain = horizon.Rfc5280Api(unauthenticated).rfc5280_tc_pem(answer.certificate["certificate"])
    assert len(chain) == 3


def test_the_client_updates_by_proof(unauthenticated, held):
    certificate, key = held("ec-secp256r1")
    answer, _ = submit_with_proof(
        unauthenticated,
        WebRAUpdateRequestOnSubmit,
        {
            "workflow": "update",
            "certificatePem": certificate["certificate"],
            "template": {"labels": [{"label": "env", "value": "prod"}]},
        },
        certificate,
        key,
    )
    assert isinstance(answer, WebRAUpdateRequestOnSubmitResponse)
    assert answer.certificate["labels"] == [{"key": "env", "value": "prod"}]
    assert answer.requester == certificate["dn"]


def test_a_client_with_a_late_clock_succeeds_on_its_retry_with_the_nonce(unauthenticated, held):
    certificate, key = held("ec-secp384r1")
    answer, refused = submit_with_proof(
        unauthenticated,
        WebRARevokeRequestOnSubmit,
        {
            "workflow": "revoke",
            "certificatePem": certificate["certificate"],
            "template": {"revocationReason": "superseded"},
        },
        certificate,
        key,
        now=time.time() - 3600,
    )
    assert refused is not None and refused.status == 400
    assert isinstance(answer, WebRARevokeRequestOnSubmitResponse), answer
    assert answer.certificate["revoked"] is True


def test_an_expired_certificate_is_refused_with_its_code_and_no_nonce(unauthenticated, held):
    certificate, key = held()
    Certificate.objects.filter(pk=certificate["_id"]).update(
        not_after=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    )
    with pytest.raises(ApiException) as refused:
        submit_with_proof(
            unauthenticated,
            WebRARevokeRequestOnSubmit,
            {"workflow": "revoke", "certificatePem": certificate["certificate"]},
            certificate,
            key,
        )
    assert refused.value.status == 403 and "SEC-AUTH-004" in refused.value.body


def test_an_approver_reads_a_proof_request_through_the_client(
    unauthenticated, held, client_for, approver
):
    certificate, key = held()
    answer, _ = submit_with_proof(
        unauthenticated,
        WebRARevokeRequestOnSubmit,
        {
            "workflow": "revoke",
            "certificatePem": certificate["certificate"],
            "template": {"revocationReason": "cessationofoperation"},
        },
        certificate,
        key,
    )
    read = horizon.RequestApi(client_for(approver)).request_get(answer.id).actual_instance
    assert read.requester == certificate["dn"] and read.workflow == "revoke"
