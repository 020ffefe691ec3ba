"""POST /api/v1/requests/template: what a caller may ask for, as the client's models."""

import json

import pytest
from horizon.models.request_template200_response import RequestTemplate200Response

from tests.factories import ProfileFactory, grant, make_csr

TEMPLATE = "/api/v1/requests/template"


def template(api, **body):
    body.setdefault("module", "webra")
    status, answer = api.post(TEMPLATE, body)
    if status == 200:  # every answer parses with the official client's model
        RequestTemplate200Response.from_json(json.dumps(answer))
    return status, answer


def test_the_enroll_template_lists_the_rules_as_they_apply_to_the_requester(
    profile, team, requester_api
):
    status, body = template(requester_api, workflow="enroll", profile="webra-demo")
    assert status == 200, body
    described = body["template"]
    cn = next(e for e in described["subject"] if e["element"] == "cn.1")
    assert (cn["mandatory"], cn["editable"], cn["type"]) == (True, True, "CN")
    country = next(e for e in described["subject"] if e["element"] == "c.1")
    assert country["regex"] == "^[A-Z]{2}$"
    assert {(s["type"], s["min"], s["max"]) for s in described["sans"]} == {
        ("DNSNAME", 0, 5),
        ("IPADDRESS", 0, 2),
        ("RFC822NAME", 0, 2),
    }
    assert described["labels"][0]["enum"] == ["dev", "staging", "prod"]
    assert described["owner"] == {"value": "requester", "mandatory": False, "editable": False}
    assert described["team"]["authorized"] == ["demo-team"]
    capabilities = described["capabilities"]
    assert capabilities["authorizedKeyTypes"] == profile.authorized_key_types
    assert (capabilities["p12passwordMode"], capabilities["escrow"]) == ("manual", True)
    assert described["passwordPolicy"]["name"] == "Horizon-Default"


def test_a_csr_prefills_the_enroll_template(profile, requester_api):
    csr, _ = make_csr(subject=[("cn.1", "app.example.com")], sans=[("DNSNAME", "app.example.com")])
    status, body = template(
        requester_api, workflow="enroll", profile="webra-demo", template={"csr": csr}
    )
    assert status == 200, body
    cn = next(e for e in body["template"]["subject"] if e["element"] == "cn.1")
    assert cn["value"] == "app.example.com"
    dns = next(s for s in body["template"]["sans"] if s["type"] == "DNSNAME")
    assert dns["value"] == ["app.example.com"]


@pytest.mark.parametrize("workflow", ["revoke", "update", "recover", "renew", "migrate"])
def test_templates_about_a_certificate_show_its_current_values(
    issue, requester_api, workflow, pki, requester
):
    certificate = issue(labels=[{"label": "env", "value": "dev"}], owned_by=requester)
    extra = {}
    if workflow == "migrate":
        alt = ProfileFactory(name="webra-alt", ca=pki["issuing"])
        grant(alt, requester, "request", "migrate")
        extra = {"profile": "webra-alt"}
    status, body = template(
        requester_api, workflow=workflow, certificateId=certificate["_id"], **extra
    )
    assert status == 200, body
    if workflow == "update":
        assert body["template"]["labels"][0]["value"] == "dev"
        assert body["template"]["owner"]["value"] == "requester"
    if workflow == "recover":
        assert body["template"]["passwordMode"] == "manual"


@pytest.mark.parametrize(("module", "field"), [("est", "dnWhitelist"), ("scep", "dnWhitelist")])
def test_device_templates_say_whether_a_dn_is_required(
    pki, requester, requester_api, module, field
):
    device = ProfileFactory(
        name=f"{module}-demo", module=module, ca=pki["issuing"], dn_whitelist=True
    )
    grant(device, requester, "request")
    status, body = template(requester_api, module=module, workflow="enroll", profile=device.name)
    assert status == 200 and body["template"][field] is True, body


def test_an_outsider_gets_no_template(profile, outsider_api):
    status, body = template(outsider_api, workflow="enroll", profile="webra-demo")
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body


def test_an_unknown_profile_gives_req_010(profile, requester_api):
    status, body = template(requester_api, workflow="enroll", profile="nope")
    assert (status, body["error"]) == (404, "REQ-010"), body


def test_a_template_without_profile_or_certificate_is_refused(profile, requester_api):
    status, body = template(requester_api, workflow="enroll")
    assert (status, body["error"]) == (400, "REQ-002"), body
