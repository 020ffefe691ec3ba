"""``/api/v1/security/teams`` through the official client: teams, their managers and members,
for staff only."""

import pytest
from horizon.exceptions import ApiException
from horizon.models.security_team_update_request import SecurityTeamUpdateRequest
from horizon.models.team import Team as TeamBody
from horizon.models.team_response import TeamResponse
from rest_framework.test import APIClient

from profiles.models import Grant, Team
from tests.administration.api_calls import IGNORED, PROBLEM, code_of, problem, send
from tests.factories import ProfileFactory, TeamFactory, UserFactory, grant

TEAMS = "/api/v1/security/teams"


def team_body(name: str = "web", model=TeamBody, **fields):
    return model.from_dict({"name": name, **fields})


def test_a_staff_client_adds_gets_lists_updates_and_deletes_a_team(teams_api, db):
    UserFactory(username="alice")
    UserFactory(username="bob")
    added = teams_api.security_team_add(
        team_body(
            displayName=[{"lang": "en", "value": "Web team"}],
            description=[{"lang": "fr", "value": "L'équipe web"}],
            contact="web@example.com",
            managers=["alice"],
        )
    )
    assert isinstance(added, TeamResponse)
    team = Team.objects.get(name="web")
    assert added.id == str(team.pk) and added.managers == ["alice"]
    assert (team.display_name, team.description, team.contact_email) == (
        "Web team",
        "L'équipe web",
        "web@example.com",
    )
    assert teams_api.security_team_get("web").contact == "web@example.com"
    assert [t.name for t in teams_api.security_team_list()] == ["web"]

    updated = teams_api.security_team_update(
        team_body(model=SecurityTeamUpdateRequest, managers=["bob"], contact="ops@example.com")
    )
    assert updated.managers == ["bob"] and updated.contact == "ops@example.com"
    assert updated.display_name is None, "PUT replaces the team: a left-out field is cleared"
    assert list(Team.objects.get(name="web").managers.values_list("username", flat=True)) == ["bob"]

    assert teams_api.security_team_delete("web") is None
    assert not Team.objects.filter(name="web").exists()


def test_no_teams_answer_204_which_the_client_reads_as_nothing(teams_api):
    response = teams_api.security_team_list_with_http_info()
    assert response.status_code == 204 and not response.data


def test_a_webhook_is_accepted_and_reported_as_ignored(teams_api):
    response = teams_api.security_team_add_with_http_info(
        team_body(webhook={"type": "slack", "url": "https://hooks.example.com/x"})
    )
    assert response.status_code == 201, response.raw_data
    assert response.headers[IGNORED] == "webhook", response.headers
    assert response.data.webhook is None


def test_unknown_managers_are_refused_naming_them(teams_api):
    with pytest.raises(ApiException) as error:
        teams_api.security_team_add(team_body(managers=["ghost", "nobody"]))
    assert error.value.status == 400, error.value.body
    detail = problem(error.value)["detail"]
    assert "'ghost'" in detail and "'nobody'" in detail, error.value.body
    assert not Team.objects.filter(name="web").exists()


def test_a_contact_that_is_not_an_email_address_is_refused(teams_api):
    with pytest.raises(ApiException) as error:
        teams_api.security_team_add(team_body(contact="not an address"))
    assert error.value.status == 400 and "contact" in problem(error.value)["detail"], (
        error.value.body
    )


def test_adding_a_team_that_exists_answers_team_004(teams_api):
    teams_api.security_team_add(team_body())
    with pytest.raises(ApiException) as error:
        teams_api.security_team_add(team_body())
    assert code_of(error.value) == (400, "TEAM-004"), error.value.body


@pytest.mark.parametrize("call", ["get", "delete", "update", "members_get", "members_add"])
def test_an_unknown_team_answers_404(teams_api, call):
    with pytest.raises(ApiException) as error:
        if call == "update":
            teams_api.security_team_update(team_body("missing", model=SecurityTeamUpdateRequest))
        elif call == "members_add":
            teams_api.security_team_members_add("missing", [])
        else:
            getattr(teams_api, f"security_team_{call}")("missing")
    assert error.value.status == 404, error.value.body
    assert problem(error.value)["error"] == "TEAM-003", error.value.body


def test_an_update_with_another_teams_id_is_refused(teams_api):
    teams_api.security_team_add(team_body())
    other = teams_api.security_team_add(team_body("ops"))
    with pytest.raises(ApiException) as error:
        teams_api.security_team_update(team_body(model=SecurityTeamUpdateRequest, _id=other.id))
    assert error.value.status == 400 and "renamed" in problem(error.value)["detail"], (
        error.value.body
    )


def test_members_are_added_listed_and_removed_by_username(teams_api, db):
    for name in ("alice", "bob", "carol"):
        UserFactory(username=name)
    teams_api.security_team_add(team_body())
    assert teams_api.security_team_members_get("web") in (None, [])
    assert teams_api.security_team_members_add("web", ["alice", "bob", "carol"]) is None
    assert teams_api.security_team_members_get("web") == ["alice", "bob", "carol"]
    assert teams_api.security_team_members_remove("web", ["bob"]) is None
    assert teams_api.security_team_members_get("web") == ["alice", "carol"]
    assert set(Team.objects.get(name="web").members.values_list("username", flat=True)) == {
        "alice",
        "carol",
    }


def test_adding_unknown_members_is_refused_naming_them_and_adds_nobody(teams_api, db):
    UserFactory(username="alice")
    teams_api.security_team_add(team_body())
    with pytest.raises(ApiException) as error:
        teams_api.security_team_members_add("web", ["alice", "ghost"])
    assert error.value.status == 400 and "'ghost'" in problem(error.value)["detail"], (
        error.value.body
    )
    assert not Team.objects.get(name="web").members.exists()


@pytest.mark.parametrize("raw", ["{}", '"alice"', "[1, 2]", "not json"])
@pytest.mark.parametrize("method", ["post", "delete"])
def test_a_members_body_that_is_not_a_list_of_usernames_answers_400(staff_api, raw, method):
    TeamFactory(name="web")
    response = getattr(staff_api, method)(
        f"{TEAMS}/web/members", raw, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM, response.content


def test_a_team_a_profile_uses_cannot_be_deleted_and_the_answer_names_the_profile(teams_api, pki):
    web = TeamFactory(name="web")
    profile = ProfileFactory(name="tls", ca=pki["issuing"], team_default=web)
    other = ProfileFactory(name="mail", ca=pki["issuing"])
    other.team_whitelist.add(TeamFactory(name="mailers"))
    for name, profile_name in (("web", "tls"), ("mailers", "mail")):
        with pytest.raises(ApiException) as error:
            teams_api.security_team_delete(name)
        assert code_of(error.value) == (400, "TEAM-002"), error.value.body
        assert profile_name in problem(error.value)["detail"], error.value.body
    assert Team.objects.filter(name__in=["web", "mailers"]).count() == 2
    assert profile.team_default == web


def test_deleting_a_team_takes_its_grants_with_it(teams_api, pki):
    web = TeamFactory(name="web")
    grant(ProfileFactory(name="tls", ca=pki["issuing"]), web, "perform")
    teams_api.security_team_delete("web")
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    "raw",
    ["not json", "[]", "{}", '{"name": 3}', '{"name": "web", "managers": "alice"}'],
    ids=["not-json", "array", "no-name", "name-not-string", "managers-not-list"],
)
@pytest.mark.parametrize("method", ["post", "put"])
def test_malformed_bodies_answer_a_400_problem(staff_api, raw, method):
    TeamFactory(name="web")
    response = getattr(staff_api, method)(TEAMS, raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM, response.content
    assert response.json()["error"] == "TEAM-002", response.content


ENDPOINTS = [
    ("get", TEAMS),
    ("post", TEAMS),
    ("put", TEAMS),
    ("get", f"{TEAMS}/web"),
    ("delete", f"{TEAMS}/web"),
    ("get", f"{TEAMS}/web/members"),
    ("post", f"{TEAMS}/web/members"),
    ("delete", f"{TEAMS}/web/members"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_accounts_that_are_not_staff_get_403_on_every_endpoint(db, api_client_for, method, path):
    TeamFactory(name="web")
    user = UserFactory(username="someone")
    body = ["someone"] if path.endswith("members") else {"name": "web"}
    response = send(api_client_for(user), method, path, body)
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "SEC-PERM-001", response.content
    assert Team.objects.filter(name="web").exists()
    assert not Team.objects.get(name="web").members.exists()


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_callers_get_401_on_every_endpoint(db, method, path):
    response = send(APIClient(), method, path, {"name": "web"})
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "SEC-AUTH-009", response.content
