"""The reproductions of issue 13 about who may act, as a user meets them: a self permission
that only the API knew, a profile open to every account missing from the lists, and
security finding 4.1 (someone else's certificate renewed with one's own CSR)."""

import pytest

from certificates.models import Certificate
from requests_app.models import Request
from tests.conftest import Api, enroll_body, revoke_body
from tests.factories import ProfileFactory, TeamFactory, UserFactory, grant, make_csr


@pytest.fixture
def self_revocable(profile, issue):
    """A certificate on a profile with selfRevoke, owned by an account with no grant."""
    owner = UserFactory(username="owner")
    profile.self_revoke = True
    profile.save(update_fields=["self_revoke"])
    certificate = issue(owned_by=owner)
    return owner, certificate["_id"]


def test_the_owner_sees_a_self_revocation_offered_where_the_api_performs_it(self_revocable, client):
    owner, certificate_id = self_revocable
    client.force_login(owner)
    page = client.get(f"/certificates/{certificate_id}/")
    offered = [action.workflow for action in page.context["actions"]]
    assert offered == ["revoke"], offered
    assert f"/certificates/{certificate_id}/revoke/" in page.content.decode()
    form = client.get(f"/certificates/{certificate_id}/revoke/")
    assert form.status_code == 200, form.status_code


def test_the_owner_is_told_by_the_api_that_they_may_self_revoke(self_revocable):
    owner, certificate_id = self_revocable
    status, body = Api(owner).get(f"/api/v1/certificates/{certificate_id}")
    assert status == 200, body
    allowed = {key for key, value in body["permissions"].items() if value}
    assert allowed == {"revoke", "requestRevoke"}, body


def test_the_owner_self_revokes_from_the_page_and_the_api_alike(self_revocable, client):
    owner, certificate_id = self_revocable
    client.force_login(owner)
    response = client.post(
        f"/certificates/{certificate_id}/revoke/", {"reason": "superseded", "confirm": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Certificate.objects.get(pk=certificate_id).revoked
    status, body = Api(owner).submit(revoke_body(certificate_id))
    assert (status, body["error"]) == (400, "WEBRA-REVOKE-005"), body  # already revoked


@pytest.fixture
def open_profile(pki):
    """A profile whose enroll every signed-in account may request, and an account without
    any grant."""
    ProfileFactory(name="open", ca=pki["issuing"], authenticated_levels={"enroll": "request"})
    return UserFactory(username="anyone")


def test_a_profile_open_to_every_account_is_listed_where_one_enrolls(open_profile, client):
    client.force_login(open_profile)
    page = client.get("/enroll/")
    assert [p.name for p in page.context["profiles"]] == ["open"], page.content.decode()
    assert page.context["nav"]["enroll"] is True
    status, body = Api(open_profile).submit(enroll_body("open", csr=make_csr()[0]))
    assert status == 201 and body["status"] == "pending", body


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_profile_open_to_every_account_is_requestable_through_the_api(open_profile, method):
    api = Api(open_profile)
    if method == "GET":
        status, body = api.get("/api/v1/requests/profiles?workflow=enroll")
    else:
        status, body = api.post("/api/v1/requests/profiles", {"workflow": "enroll"})
    assert status == 200, body
    assert [(p["name"], p["workflows"]) for p in body] == [
        ("open", [{"workflow": "enroll", "request": True, "perform": False}])
    ], body


def test_the_post_form_of_requestable_profiles_refuses_a_body_that_is_not_an_object(
    open_profile,
):
    status, body = Api(open_profile).post("/api/v1/requests/profiles", ["enroll"])
    assert (status, body["error"]) == (400, "REQ-002"), body


# --- security review 4.1 -------------------------------------------------------------------


@pytest.fixture
def renewable_by_approver(issue, profile):
    """The approver's certificate, inside its renewal period; the requester holds ``request``
    on every workflow, owns nothing and shares no team with it."""
    profile.renewal_period_days = 400
    profile.save(update_fields=["renewal_period_days"])
    return issue()


@pytest.mark.parametrize(
    ("workflow", "extra"),
    [
        ("renew", {"template": {"csr": "own"}}),
        ("revoke", {"template": {"revocationReason": "superseded"}}),
        ("update", {"template": {"labels": [{"label": "env", "value": "prod"}]}}),
        ("recover", {"password": {"value": "Correct-Horse-9-battery"}}),
        ("migrate", {"profile": "webra-alt"}),
    ],
)
def test_a_request_holder_may_not_act_on_a_certificate_neither_theirs_nor_their_teams(
    renewable_by_approver, requester, requester_api, pki, workflow, extra
):
    alt = ProfileFactory(name="webra-alt", ca=pki["issuing"])
    grant(alt, requester, "request", "migrate")
    if workflow == "renew":
        extra = {"template": {"csr": make_csr()[0]}}  # their own key
    body = {"module": "webra", "workflow": workflow, "certificateId": renewable_by_approver["_id"]}
    status, answer = requester_api.submit(body | extra)
    assert (status, answer["error"]) == (403, "SEC-PERM-001"), answer
    assert "owner" in answer["detail"], answer
    assert not Request.objects.filter(workflow=workflow).exists()


def test_a_member_of_the_certificates_team_may_still_ask_to_renew_it(
    renewable_by_approver, requester, requester_api
):
    team = TeamFactory(name="web")
    team.members.add(requester)
    Certificate.objects.filter(pk=renewable_by_approver["_id"]).update(team=team)
    status, answer = requester_api.submit(
        {
            "module": "webra",
            "workflow": "renew",
            "certificateId": renewable_by_approver["_id"],
            "template": {"csr": make_csr()[0]},
        }
    )
    assert status == 201 and answer["status"] == "pending", answer


def test_the_decision_page_shows_the_certificates_owner_and_team_beside_the_requester(
    renewable_by_approver, requester, requester_api, approver, client
):
    team = TeamFactory(name="web")
    team.members.add(requester)
    Certificate.objects.filter(pk=renewable_by_approver["_id"]).update(team=team)
    _, pending = requester_api.submit(revoke_body(renewable_by_approver["_id"]))
    client.force_login(approver)
    page = client.get(f"/approvals/{pending['_id']}/").content.decode()
    holder = page[page.index('id="certificate-holder"') :][:600]
    assert "Owner: approver" in holder and "Team: web" in holder, holder
    assert "The requester is its team member." in holder, holder


def test_a_migration_template_naming_only_the_target_profile_answers_for_that_profile(
    profile, requester_api
):
    status, body = requester_api.post(
        "/api/v1/requests/template",
        {"module": "webra", "workflow": "migrate", "profile": "webra-demo"},
    )
    assert status == 200 and body["profile"] == "webra-demo", body
