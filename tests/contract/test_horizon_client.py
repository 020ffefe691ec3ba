"""Contract tests: the official EverTrust Horizon client (``evertrust-horizon``) drives a live
server, and every answer deserializes into the client's models."""

import base64
import json

import horizon
import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from horizon.exceptions import ApiException
from horizon.models.request_approve_request import RequestApproveRequest
from horizon.models.request_cancel_request import RequestCancelRequest
from horizon.models.request_deny_request import RequestDenyRequest
from horizon.models.request_submit_request import RequestSubmitRequest
from horizon.models.web_ra_enroll_request_on_approve_response import (
    WebRAEnrollRequestOnApproveResponse,
)
from horizon.models.web_ra_enroll_request_on_get_response import WebRAEnrollRequestOnGetResponse
from horizon.models.web_ra_enroll_request_on_submit_response import (
    WebRAEnrollRequestOnSubmitResponse,
)

from tests.factories import api_key_for, make_csr

PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture
def as_requester(client_for, profile, requester):
    return horizon.RequestApi(client_for(requester))


@pytest.fixture
def as_approver(client_for, profile, approver):
    return horizon.RequestApi(client_for(approver))


def submit(api, **fields):
    body = {"profile": "webra-demo", "module": "webra", "workflow": "enroll", **fields}
    return api.request_submit(RequestSubmitRequest.from_json(json.dumps(body))).actual_instance


def decentralized(api):
    csr, _ = make_csr("ec-secp256r1", [("cn.1", "client.example.com")])
    return submit(
        api,
        template={
            "csr": csr,
            "subject": [{"element": "cn.1", "value": "client.example.com"}],
            "sans": [{"type": "DNSNAME", "value": ["client.example.com"]}],
            "labels": [{"label": "env", "value": "dev"}],
        },
        requesterComment="contract test",
    )


def ids(request, **extra):
    return {"_id": request.id, "module": "webra", "workflow": "enroll", **extra}


def test_client_submits_a_decentralized_enroll_that_completes(as_approver):
    answer = decentralized(as_approver)
    assert isinstance(answer, WebRAEnrollRequestOnSubmitResponse)
    assert answer.status == "completed"
    assert answer.certificate["dn"] == "CN=client.example.com"
    assert answer.template.subject[0].element == "cn.1"
    assert answer.global_holder_id_count == 1
    assert isinstance(answer.registration_date, int)


def test_client_submits_a_centralized_enroll_and_opens_the_pkcs12(as_approver):
    answer = submit(
        as_approver,
        template={"keyType": "rsa-2048", "subject": [{"element": "cn.1", "value": "p12.example"}]},
        password={"value": PASSWORD},
    )
    assert isinstance(answer, WebRAEnrollRequestOnSubmitResponse)
    assert answer.status == "completed"
    key, cert, chain = pkcs12.load_key_and_certificates(
        base64.b64decode(answer.pkcs12["value"]), answer.password["value"].encode()
    )
    assert key.public_key() == cert.public_key() and len(chain) == 2


def test_client_submits_and_an_approver_approves(as_requester, as_approver):
    pending = decentralized(as_requester)
    assert pending.status == "pending" and pending.certificate is None
    approved = as_approver.request_approve(
        RequestApproveRequest.from_json(json.dumps(ids(pending, approverComment="fine")))
    ).actual_instance
    assert isinstance(approved, WebRAEnrollRequestOnApproveResponse)
    assert approved.status == "completed" and approved.approver == "approver"
    assert approved.certificate["serial"]


def test_client_approves_a_pending_centralized_request_and_the_requester_gets_the_pkcs12(
    as_requester, as_approver
):
    pending = submit(
        as_requester,
        template={"keyType": "ec-secp256r1", "subject": [{"element": "cn.1", "value": "c.ex"}]},
        password={"value": PASSWORD},
    )
    as_approver.request_approve(RequestApproveRequest.from_json(json.dumps(ids(pending))))
    fetched = as_requester.request_get(pending.id).actual_instance
    assert isinstance(fetched, WebRAEnrollRequestOnGetResponse)
    assert fetched.password == {"value": PASSWORD}
    pkcs12.load_key_and_certificates(base64.b64decode(fetched.pkcs12["value"]), PASSWORD.encode())


def test_client_denies_a_request(as_requester, as_approver):
    pending = decentralized(as_requester)
    denied = as_approver.request_deny(
        RequestDenyRequest.from_dict(ids(pending, approverComment="no"))
    ).actual_instance
    assert denied.status == "denied" and denied.approver_comment == "no"


def test_client_cancels_a_request(as_requester):
    pending = decentralized(as_requester)
    canceled = as_requester.request_cancel(RequestCancelRequest.from_dict(ids(pending)))
    assert canceled.actual_instance.status == "canceled"


def test_client_gets_a_request(as_requester):
    pending = decentralized(as_requester)
    fetched = as_requester.request_get(pending.id).actual_instance
    assert isinstance(fetched, WebRAEnrollRequestOnGetResponse)
    assert fetched.id == pending.id and fetched.requester_comment == "contract test"


def test_client_sees_contract_errors_as_problem_json(as_requester, as_approver):
    with pytest.raises(ApiException) as error:
        submit(as_requester, template={"keyType": "rsa-4096"}, password={"value": PASSWORD})
    assert error.value.status == 400
    assert json.loads(error.value.body)["error"] == "WEBRA-ENROLL-002"
    with pytest.raises(ApiException) as error:
        as_approver.request_get("00000000-0000-0000-0000-000000000000")
    assert error.value.status == 404 and json.loads(error.value.body)["error"] == "REQ-003"


def test_client_reads_principals_self_and_the_ca_list(client_for, profile, requester, pki):
    api_client = client_for(requester)
    me = horizon.SecurityPrincipalApi(api_client).security_principal_self()
    assert me.identity.identifier == "requester"
    cas = horizon.CaApi(api_client).ca_list()
    assert {ca.name for ca in cas} == {pki["root"].name, pki["issuing"].name}
    assert all(ca.certificate.pem.startswith("-----BEGIN CERTIFICATE-----") for ca in cas)


def test_client_with_a_wrong_key_is_refused_with_sec_auth_002(client_for, profile, requester):
    api_key_for(requester)
    api = horizon.SecurityPrincipalApi(client_for(requester, key="not-the-key"))
    with pytest.raises(ApiException) as error:
        api.security_principal_self()
    assert error.value.status == 401
    assert json.loads(error.value.body)["error"] == "SEC-AUTH-002"
