"""GET /api/v1/requests/profiles: the profiles a caller may use, with their workflows."""

import json

from horizon.models.requestable_certificate_profile_response import (
    RequestableCertificateProfileResponse,
)

from profiles.models import PasswordPolicy
from tests.factories import ProfileFactory, TeamFactory, UserFactory, grant

PATH = "/api/v1/requests/profiles"
# The client's RequestableWorkflow knows no "import".
LISTED = ["enroll", "revoke", "update", "renew", "recover", "migrate"]


def profiles(api, query: str = "") -> list[dict]:
    status, body = api.get(PATH + query)
    assert status == 200, body
    for item in body:
        RequestableCertificateProfileResponse.from_json(json.dumps(item))
    return body


def workflows_of(body: list[dict], name: str) -> dict:
    item = next(p for p in body if p["name"] == name)
    return {w["workflow"]: (w["request"], w["perform"]) for w in item["workflows"]}


def test_requester_may_request_every_workflow_but_perform_none(requester_api, profile):
    body = profiles(requester_api)
    assert [p["name"] for p in body] == ["webra-demo"], body
    assert workflows_of(body, "webra-demo") == dict.fromkeys(LISTED, (True, False)), body


def test_approver_may_perform_every_workflow(approver_api, profile):
    body = profiles(approver_api)
    assert workflows_of(body, "webra-demo") == dict.fromkeys(LISTED, (True, True)), body


def test_only_the_workflows_granted_are_listed(api_as, profile):
    clerk = UserFactory(username="clerk")
    grant(profile, clerk, "request", workflow="enroll")
    grant(profile, clerk, "perform", workflow="revoke")
    body = profiles(api_as(clerk))
    assert workflows_of(body, "webra-demo") == {
        "enroll": (True, False),
        "revoke": (True, True),
    }, body


def test_outsider_gets_an_empty_list(outsider_api, profile):
    assert profiles(outsider_api) == []


def test_the_answer_parses_with_the_clients_model_and_describes_the_profile(approver_api, profile):
    PasswordPolicy.default()  # a data migration's row, which live-server tests flush
    profile.display_name = "Web servers"
    profile.save(update_fields=["display_name"])
    status, body = approver_api.get(PATH)
    assert status == 200, body
    parsed = RequestableCertificateProfileResponse.from_json(json.dumps(body[0]))
    assert parsed.display_name[0].value == "Web servers", body
    assert parsed.capabilities.centralized is True and parsed.capabilities.decentralized is True
    assert parsed.capabilities.default_key_type == "ec-secp256r1"
    assert parsed.capabilities.password_policy.name == "Horizon-Default", body
    assert parsed.capabilities.p12password_mode == "manual"


def test_grants_held_through_a_team_count(outsider_api, outsider, profile):
    team = TeamFactory(name="auditors")
    team.members.add(outsider)
    grant(profile, team, "request", workflow="revoke")
    body = profiles(outsider_api)
    assert workflows_of(body, "webra-demo") == {"revoke": (True, False)}, body


def test_a_disabled_profile_is_not_listed(requester_api, profile):
    profile.enabled = False
    profile.save(update_fields=["enabled"])
    assert profiles(requester_api) == []


def test_module_and_workflow_filter_the_profiles(approver_api, approver, profile):
    est = ProfileFactory(name="est-devices", module="est", ca=profile.ca)
    grant(est, approver, "perform", workflow="enroll")

    def names(query):
        return [p["name"] for p in profiles(approver_api, query)]

    assert names("?module=est") == ["est-devices"]
    assert names("?workflow=revoke") == ["webra-demo"]
    assert names("?module=est&workflow=revoke") == []
    assert names("?module=webra&workflow=enroll") == ["webra-demo"]
    assert names("") == ["est-devices", "webra-demo"]


def test_a_profile_granted_for_import_only_lists_no_workflow(api_as, profile):
    importer = UserFactory(username="importer")
    grant(profile, importer, "perform", workflow="import")
    body = profiles(api_as(importer))
    assert workflows_of(body, "webra-demo") == {}, body


def test_profiles_need_credentials(api_as, profile):
    status, body = api_as().get(PATH)
    assert status == 401 and body["error"] == "SEC-AUTH-009", body
