"""Contract tests: the nine request shapes of the seed, submitted with the official client
against a live server; every 201 body deserializes into the client's model for its shape."""

import base64
import datetime as dt
import json

import horizon
import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils import timezone
from horizon.exceptions import ApiException
from horizon.models.est_enroll_request_on_submit_response import EstEnrollRequestOnSubmitResponse
from horizon.models.request_approve_request import RequestApproveRequest
from horizon.models.request_submit_request import RequestSubmitRequest
from horizon.models.scep_enroll_request_on_submit_response import (
    ScepEnrollRequestOnSubmitResponse,
)
from horizon.models.web_ra_import_request_on_submit_response import (
    WebRAImportRequestOnSubmitResponse,
)
from horizon.models.web_ra_migrate_request_on_submit_response import (
    WebRAMigrateRequestOnSubmitResponse,
)
from horizon.models.web_ra_recover_request_on_submit_response import (
    WebRARecoverRequestOnSubmitResponse,
)
from horizon.models.web_ra_renew_request_on_approve_response import (
    WebRARenewRequestOnApproveResponse,
)
from horizon.models.web_ra_renew_request_on_submit_response import (
    WebRARenewRequestOnSubmitResponse,
)
from horizon.models.web_ra_revoke_request_on_approve_response import (
    WebRARevokeRequestOnApproveResponse,
)
from horizon.models.web_ra_revoke_request_on_submit_response import (
    WebRARevokeRequestOnSubmitResponse,
)
from horizon.models.web_ra_update_request_on_submit_response import (
    WebRAUpdateRequestOnSubmitResponse,
)

from certificates.models import Certificate
from tests.factories import ProfileFactory, grant
from tests.requests_app.test_import import external_certificate

PASSWORD = "Correct-Horse-9-battery"


def submit(api, body: dict):
    return api.request_submit(RequestSubmitRequest.from_json(json.dumps(body))).actual_instance


@pytest.fixture
def as_approver(client_for, profile, approver):
    return horizon.RequestApi(client_for(approver))


@pytest.fixture
def as_requester(client_for, profile, requester):
    return horizon.RequestApi(client_for(requester))


@pytest.fixture
def escrowed(issue):
    return issue("escrowed.example.com", centralized=True)


def test_revoke_shape(as_approver, issue):
    certificate = issue()
    answer = submit(
        as_approver,
        {
            "workflow": "revoke",
            "certificateId": certificate["_id"],
            "template": {"revocationReason": "superseded"},
        },
    )
    assert isinstance(answer, WebRARevokeRequestOnSubmitResponse)
    assert answer.status == "completed" and answer.certificate["revoked"] is True
    assert answer.template.revocation_reason == "superseded"


def test_update_shape(as_approver, issue):
    certificate = issue()
    answer = submit(
        as_approver,
        {
            "workflow": "update",
            "certificateId": certificate["_id"],
            "template": {"labels": [{"label": "env", "value": "prod"}]},
        },
    )
    assert isinstance(answer, WebRAUpdateRequestOnSubmitResponse)
    assert answer.certificate["labels"] == [{"key": "env", "value": "prod"}]


def test_recover_shape(as_approver, escrowed):
    answer = submit(
        as_approver,
        {"workflow": "recover", "certificateId": escrowed["_id"], "password": {"value": PASSWORD}},
    )
    assert isinstance(answer, WebRARecoverRequestOnSubmitResponse)
    key, cert, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(answer.pkcs12["value"]), PASSWORD.encode()
    )
    assert key.public_key() == cert.public_key()


def test_migrate_shape(as_approver, issue, pki, approver):
    alt = ProfileFactory(name="webra-alt", ca=pki["issuing"])
    grant(alt, approver, "perform", "migrate")
    certificate = issue()
    answer = submit(
        as_approver,
        {
            "module": "webra",
            "workflow": "migrate",
            "profile": "webra-alt",
            "certificateId": certificate["_id"],
            "template": {},
        },
    )
    assert isinstance(answer, WebRAMigrateRequestOnSubmitResponse)
    assert answer.profile == "webra-alt" and answer.certificate["profile"] == "webra-alt"


def test_renew_shape(as_approver, issue):
    certificate = issue()
    Certificate.objects.filter(pk=certificate["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=5)
    )
    answer = submit(
        as_approver,
        {
            "module": "webra",
            "workflow": "renew",
            "certificateId": certificate["_id"],
            "template": {"keyType": "ec-secp256r1"},
            "password": {"value": PASSWORD},
        },
    )
    assert isinstance(answer, WebRARenewRequestOnSubmitResponse)
    assert answer.certificate["_id"] != certificate["_id"] and answer.pkcs12["value"]


def test_import_shape(as_approver):
    pem, key_pem = external_certificate()
    answer = submit(
        as_approver,
        {
            "module": "webra",
            "workflow": "import",
            "profile": "webra-demo",
            "certificatePem": pem,
            "template": {"privateKey": key_pem},
        },
    )
    assert isinstance(answer, WebRAImportRequestOnSubmitResponse)
    assert answer.certificate["escrowed"] is True


@pytest.mark.parametrize(
    ("module", "model"),
    [("est", EstEnrollRequestOnSubmitResponse), ("scep", ScepEnrollRequestOnSubmitResponse)],
)
def test_est_and_scep_enroll_shapes(client_for, pki, approver, module, model):
    device = ProfileFactory(
        name=f"{module}-demo", module=module, ca=pki["issuing"], dn_whitelist=True
    )
    grant(device, approver, "perform")
    api = horizon.RequestApi(client_for(approver))
    answer = submit(
        api,
        {
            "profile": device.name,
            "module": module,
            "workflow": "enroll",
            "dn": "CN=device-1",
            "template": {"subject": [{"element": "cn.1", "value": "device-1"}]},
        },
    )
    assert isinstance(answer, model)
    assert answer.status == "approved" and answer.password["value"]


def test_pending_revoke_and_renew_are_approved_through_the_client(
    as_requester, as_approver, issue, requester
):
    certificate = issue(owned_by=requester)  # request acts on one's own certificates
    pending = submit(
        as_requester,
        {
            "workflow": "revoke",
            "certificateId": certificate["_id"],
            "template": {"revocationReason": "keycompromise"},
        },
    )
    approved = as_approver.request_approve(
        RequestApproveRequest.from_dict(
            {"_id": pending.id, "module": "webra", "workflow": "revoke"}
        )
    ).actual_instance
    assert isinstance(approved, WebRARevokeRequestOnApproveResponse)
    assert approved.certificate["revoked"] is True
    fetched = as_requester.request_get(pending.id).actual_instance
    assert fetched.status == "completed"
    other = issue("other.example.com")
    Certificate.objects.filter(pk=other["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=5), owner=requester
    )
    pending = submit(
        as_requester,
        {
            "module": "webra",
            "workflow": "renew",
            "certificateId": other["_id"],
            "template": {"keyType": "ec-secp256r1"},
            "password": {"value": PASSWORD},
        },
    )
    approved = as_approver.request_approve(
        RequestApproveRequest.from_dict({"_id": pending.id, "module": "webra", "workflow": "renew"})
    ).actual_instance
    assert isinstance(approved, WebRARenewRequestOnApproveResponse)


def test_workflow_errors_reach_the_client_as_problems(as_approver, profile):
    with pytest.raises(ApiException) as error:
        submit(as_approver, {"workflow": "revoke", "template": {"revocationReason": "superseded"}})
    assert error.value.status == 400
    assert json.loads(error.value.body)["error"] == "WEBRA-REVOKE-001"


def test_client_reads_the_enroll_and_revoke_templates(as_requester, issue, requester):
    from horizon.models.request_template_request import RequestTemplateRequest
    from horizon.models.web_ra_enroll_request_on_template_response import (
        WebRAEnrollRequestOnTemplateResponse,
    )
    from horizon.models.web_ra_revoke_request_on_template_response import (
        WebRARevokeRequestOnTemplateResponse,
    )

    enroll = as_requester.request_template(
        RequestTemplateRequest.from_json(
            json.dumps({"module": "webra", "workflow": "enroll", "profile": "webra-demo"})
        )
    ).actual_instance
    assert isinstance(enroll, WebRAEnrollRequestOnTemplateResponse)
    assert enroll.template.capabilities.default_key_type == "ec-secp256r1"
    certificate = issue(owned_by=requester)
    revoke = as_requester.request_template(
        RequestTemplateRequest.from_json(
            json.dumps(
                {"module": "webra", "workflow": "revoke", "certificateId": certificate["_id"]}
            )
        )
    ).actual_instance
    assert isinstance(revoke, WebRARevokeRequestOnTemplateResponse)
