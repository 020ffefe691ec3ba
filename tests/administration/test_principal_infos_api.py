"""``/api/v1/security/principalinfos`` through the official client: contact, enabled, teams,
the administrator role and grants of an account, for staff only."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from horizon.exceptions import ApiException
from horizon.models.principal_info import PrincipalInfo
from horizon.models.principal_info_response import PrincipalInfoResponse
from horizon.models.principal_info_search_query import PrincipalInfoSearchQuery
from horizon.models.principal_info_search_results_response import (
    PrincipalInfoSearchResultsResponse,
)
from rest_framework.test import APIClient

from profiles.models import Grant, Profile, Team
from requests_app.models import Request
from tests.administration.api_calls import IGNORED, PROBLEM, code_of, problem, send
from tests.conftest import Api
from tests.factories import ProfileFactory, TeamFactory, UserFactory, grant

PRINCIPALS = "/api/v1/security/principalinfos"


@pytest.fixture
def world(pki):
    """Two webra profiles, an EST one, and two teams."""
    ProfileFactory(name="tls", ca=pki["issuing"])
    ProfileFactory(name="mail", ca=pki["issuing"])
    ProfileFactory(name="devices", ca=pki["issuing"], module="est")
    TeamFactory(name="web")
    TeamFactory(name="ops")


def info(identifier: str = "alice", **fields) -> PrincipalInfo:
    return PrincipalInfo.from_dict({"identifier": identifier, "enabled": True, **fields})


def permission(value: str, profile: str | None = None, filter_: str | None = None) -> dict:
    return {"value": value, "filter": filter_ or (f"profile = {profile}" if profile else None)}


def grants_of(username: str) -> set[tuple[str, str, str]]:
    return set(
        Grant.objects.filter(user__username=username).values_list(
            "profile__name", "workflow", "level"
        )
    )


def test_adding_a_principal_makes_the_account_with_its_grants_teams_and_role(principals_api, world):
    added = principals_api.security_principal_info_add(
        info(
            contact="alice@example.com",
            roles=["administrator"],
            teams=["web"],
            permissions=[
                permission("lifecycle:webra:request:enroll", "tls"),
                permission("lifecycle:webra:perform:revoke", filter_='profile equals "mail"'),
                permission("lifecycle:est:perform:enroll", "devices"),
            ],
        )
    )
    assert isinstance(added, PrincipalInfoResponse)
    user = get_user_model().objects.get(username="alice")
    assert added.id == str(user.pk) and added.enabled is True
    assert not user.has_usable_password(), "no password: a local identity is added apart"
    assert (user.email, user.is_staff, user.is_active) == ("alice@example.com", True, True)
    assert list(user.rap_teams.values_list("name", flat=True)) == ["web"]
    assert grants_of("alice") == {
        ("tls", "enroll", "request"),
        ("mail", "revoke", "perform"),
        ("devices", "enroll", "perform"),
    }
    assert added.roles == ["administrator"] and added.teams == ["web"]
    assert [(p.value, p.filter) for p in added.permissions] == [
        ("lifecycle:est:perform:enroll", "profile = devices"),
        ("lifecycle:webra:perform:revoke", "profile = mail"),
        ("lifecycle:webra:request:enroll", "profile = tls"),
    ]
    assert isinstance(added.creation_date, int) and added.last_authentication is None


def test_the_permissions_read_back_as_principals_self_writes_them(principals_api, world):
    principals_api.security_principal_info_add(
        info(permissions=[permission("lifecycle:webra:perform:enroll", "tls")])
    )
    user = get_user_model().objects.get(username="alice")
    status, me = Api(user).get("/api/v1/security/principals/self")
    assert status == 200, me
    got = principals_api.security_principal_info_get("alice")
    assert [p.to_dict() for p in got.permissions] == me["permissions"]


def test_an_update_makes_the_grants_teams_and_role_exactly_those_listed(principals_api, world):
    principals_api.security_principal_info_add(
        info(
            roles=["administrator"],
            teams=["web", "ops"],
            permissions=[
                permission("lifecycle:webra:request:enroll", "tls"),
                permission("lifecycle:webra:request:revoke", "tls"),
            ],
        )
    )
    updated = principals_api.security_principal_info_update(
        info(
            contact="new@example.com",
            enabled=False,
            teams=["ops"],
            permissions=[
                permission("lifecycle:webra:perform:enroll", "tls"),
                permission("lifecycle:webra:request:renew", "mail"),
            ],
        )
    )
    assert grants_of("alice") == {("tls", "enroll", "perform"), ("mail", "renew", "request")}
    user = get_user_model().objects.get(username="alice")
    assert (user.email, user.is_active, user.is_staff) == ("new@example.com", False, False)
    assert list(user.rap_teams.values_list("name", flat=True)) == ["ops"]
    assert (updated.enabled, updated.roles, updated.teams) == (False, [], ["ops"])


def test_two_levels_for_one_profile_and_workflow_keep_the_higher(principals_api, world):
    principals_api.security_principal_info_add(
        info(
            permissions=[
                permission("lifecycle:webra:perform:enroll", "tls"),
                permission("lifecycle:webra:request:enroll", "tls"),
            ]
        )
    )
    assert grants_of("alice") == {("tls", "enroll", "perform")}


def test_other_permissions_roles_and_ui_state_are_accepted_and_reported_as_ignored(
    principals_api, world
):
    response = principals_api.security_principal_info_add_with_http_info(
        info(
            roles=["auditor"],
            permissions=[
                permission("configuration:pki:read"),
                permission("lifecycle:webra:request:enroll", "tls"),
            ],
            savedQueries=[{"name": "mine", "query": "status is valid", "type": "hcql"}],
            preferences={"lang": "fr"},
        )
    )
    assert response.status_code == 201, response.raw_data
    ignored = response.headers[IGNORED]
    for field in ("permissions[0]", "roles[auditor]", "savedQueries", "preferences"):
        assert field in ignored, ignored
    assert grants_of("alice") == {("tls", "enroll", "request")}
    assert response.data.roles == []


@pytest.mark.parametrize(
    ("perm", "named"),
    [
        (permission("lifecycle:webra:request:enroll", "nope"), "'nope'"),
        (permission("lifecycle:webra:approve:enroll", "tls"), "level"),
        (permission("lifecycle:webra:request:explode", "tls"), "workflow"),
        (permission("lifecycle:webra:request:enroll"), "filter"),
        (permission("lifecycle:webra:request:enroll", filter_="module = webra"), "filter"),
        (permission("lifecycle:webra:*:enroll", "tls"), "wildcards"),
        (permission("lifecycle:webra:request", "tls"), "lifecycle:<module>"),
        (permission("lifecycle:est:request:enroll", "tls"), "webra profile"),
    ],
    ids=[
        "unknown-profile",
        "bad-level",
        "bad-workflow",
        "no-filter",
        "other-filter",
        "wildcard",
        "short",
        "wrong-module",
    ],
)
def test_a_malformed_lifecycle_permission_is_refused_naming_it(principals_api, world, perm, named):
    with pytest.raises(ApiException) as error:
        principals_api.security_principal_info_add(
            info(permissions=[permission("lifecycle:webra:request:renew", "tls"), perm])
        )
    assert error.value.status == 400, error.value.body
    detail = problem(error.value)["detail"]
    assert detail.startswith("permissions[1]") and named in detail, error.value.body
    assert not get_user_model().objects.filter(username="alice").exists()


def test_an_unknown_team_is_refused_naming_it(principals_api, world):
    with pytest.raises(ApiException) as error:
        principals_api.security_principal_info_add(info(teams=["web", "ghosts"]))
    assert error.value.status == 400 and "'ghosts'" in problem(error.value)["detail"], (
        error.value.body
    )
    assert not get_user_model().objects.filter(username="alice").exists()


def test_an_existing_account_without_principal_data_takes_the_posted_one(principals_api, world):
    UserFactory(username="alice")  # a local account, no grants or teams yet
    added = principals_api.security_principal_info_add(info(teams=["web"]))
    assert added.teams == ["web"]
    with pytest.raises(ApiException) as error:
        principals_api.security_principal_info_add(info(teams=["ops"]))
    assert code_of(error.value) == (400, "SEC-PI-004"), error.value.body
    alice = get_user_model().objects.get(username="alice")
    assert list(alice.rap_teams.values_list("name", flat=True)) == ["web"]


def test_a_contact_left_out_keeps_the_accounts_email_and_an_empty_one_clears_it(principals_api, db):
    UserFactory(username="alice", email="alice@example.com")
    assert principals_api.security_principal_info_update(info()).contact == "alice@example.com"
    assert principals_api.security_principal_info_update(info(contact="")).contact is None
    assert get_user_model().objects.get(username="alice").email == ""


def test_get_update_and_delete_of_an_unknown_principal_answer_404(principals_api):
    for call in (
        lambda: principals_api.security_principal_info_get("ghost"),
        lambda: principals_api.security_principal_info_delete("ghost"),
        lambda: principals_api.security_principal_info_update(info("ghost")),
    ):
        with pytest.raises(ApiException) as error:
            call()
        assert error.value.status == 404, error.value.body


def test_deleting_a_principal_made_here_deletes_the_account(principals_api, world):
    principals_api.security_principal_info_add(
        info(teams=["web"], permissions=[permission("lifecycle:webra:request:enroll", "tls")])
    )
    assert principals_api.security_principal_info_delete("alice") is None
    assert not get_user_model().objects.filter(username="alice").exists()
    assert not Grant.objects.filter(user__username="alice").exists()


def test_deleting_the_principal_of_a_local_account_empties_it_and_keeps_the_account(
    principals_api, world
):
    user = UserFactory(username="alice", is_staff=True)  # has a password
    user.rap_managed_teams.add(TeamFactory(name="web"))
    principals_api.security_principal_info_update(
        info(
            roles=["administrator"],
            permissions=[permission("lifecycle:webra:request:enroll", "tls")],
        )
    )
    principals_api.security_principal_info_delete("alice")
    user.refresh_from_db()
    assert not user.is_staff and user.is_active
    assert not grants_of("alice") and not user.rap_managed_teams.exists()
    got = principals_api.security_principal_info_get("alice")
    assert (got.roles, got.permissions, got.teams) == ([], [], [])


def test_deleting_a_principal_that_requests_refer_to_keeps_the_account(principals_api, world):
    principals_api.security_principal_info_add(info())
    user = get_user_model().objects.get(username="alice")
    Request.objects.create(
        requester=user,
        profile=Profile.objects.get(name="tls"),
        module="webra",
        workflow="enroll",
        status="pending",
        expires_at=timezone.now() + timedelta(days=3),
        remove_at=timezone.now() + timedelta(days=90),
    )
    principals_api.security_principal_info_delete("alice")
    assert get_user_model().objects.filter(username="alice").exists()


@pytest.mark.parametrize(
    "change", [{"enabled": False}, {"roles": []}], ids=["disable", "drop-role"]
)
def test_an_administrator_cannot_lock_themselves_out(principals_api, staff, change):
    body = {"roles": ["administrator"], **change}
    with pytest.raises(ApiException) as error:
        principals_api.security_principal_info_update(info("admin", **body))
    assert code_of(error.value) == (400, "SEC-PI-002"), error.value.body
    staff.refresh_from_db()
    assert staff.is_staff and staff.is_active
    with pytest.raises(ApiException) as error:
        principals_api.security_principal_info_delete("admin")
    assert code_of(error.value) == (403, "SEC-PERM-008"), error.value.body


@pytest.mark.parametrize(
    "change", [{"roles": []}, {"enabled": False}, {"teams": ["web"]}, {"contact": "x@example.com"}]
)
def test_a_staff_account_cannot_change_a_superusers_principal_info(principals_api, world, change):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    with pytest.raises(ApiException) as error:
        principals_api.security_principal_info_update(
            info("root", **{"roles": ["administrator"], **change})
        )
    assert code_of(error.value) == (403, "SEC-PERM-001"), error.value.body
    assert "superuser" in problem(error.value)["detail"], error.value.body
    root.refresh_from_db()
    assert root.is_active and root.is_staff and not root.rap_teams.exists()


def test_searches_filter_sort_and_page_principals(principals_api, world, staff):
    for name, team in (("alice", "web"), ("bob", "web"), ("carol", "ops")):
        principals_api.security_principal_info_add(
            info(name, teams=[team], contact=f"{name}@x.org")
        )
    found = principals_api.security_principal_info_search(
        PrincipalInfoSearchQuery.from_dict({"team": "web", "withCount": True})
    )
    assert isinstance(found, PrincipalInfoSearchResultsResponse)
    assert [p.identifier for p in found.results] == ["alice", "bob"] and found.count == 2
    page = principals_api.security_principal_info_search(
        PrincipalInfoSearchQuery.from_dict(
            {"sortedBy": [{"element": "identifier", "order": "Desc"}], "pageSize": 2}
        )
    )
    assert [p.identifier for p in page.results] == ["carol", "bob"] and page.has_more
    second = principals_api.security_principal_info_search(
        PrincipalInfoSearchQuery.from_dict(
            {
                "sortedBy": [{"element": "identifier", "order": "Desc"}],
                "pageSize": 2,
                "pageIndex": 2,
            }
        )
    )
    assert [p.identifier for p in second.results] == ["alice", "admin"]
    admins = principals_api.security_principal_info_search(
        PrincipalInfoSearchQuery.from_dict({"role": "administrator", "strictSearch": True})
    )
    assert [p.identifier for p in admins.results] == ["admin"]
    exact = principals_api.security_principal_info_search(
        PrincipalInfoSearchQuery.from_dict({"identifier": "al", "strictSearch": True})
    )
    assert exact.results == []


def test_a_search_sorted_by_an_unknown_element_answers_400(principals_api):
    with pytest.raises(ApiException) as error:
        principals_api.security_principal_info_search(
            PrincipalInfoSearchQuery.from_dict({"sortedBy": [{"element": "x", "order": "Asc"}]})
        )
    assert error.value.status == 400, error.value.body


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        "{}",
        '{"identifier": "alice"}',
        '{"identifier": "alice", "enabled": "yes"}',
        '{"identifier": "alice", "enabled": true, "permissions": "all"}',
        '{"identifier": "alice", "enabled": true, "contact": "nope"}',
        '{"identifier": "has space", "enabled": true}',
    ],
    ids=[
        "not-json",
        "array",
        "empty",
        "no-enabled",
        "enabled-not-bool",
        "permissions-not-list",
        "contact",
        "identifier",
    ],
)
@pytest.mark.parametrize("method", ["post", "put"])
def test_malformed_bodies_answer_a_400_problem(staff_api, raw, method):
    UserFactory(username="alice")
    response = getattr(staff_api, method)(PRINCIPALS, raw, content_type="application/json")
    if method == "put" and raw.startswith('{"identifier": "has space"'):
        assert response.status_code == 404, response.content  # no such account to update
        return
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM, response.content
    assert response.json()["error"] == "SEC-PI-002", response.content


@pytest.mark.parametrize("raw", ["[]", '{"pageIndex": 0}', '{"pageSize": -1}', '{"role": 3}'])
def test_a_malformed_search_answers_a_400_problem(staff_api, raw):
    response = staff_api.post(f"{PRINCIPALS}/search", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "SEC-PI-005", response.content


ENDPOINTS = [
    ("post", PRINCIPALS),
    ("put", PRINCIPALS),
    ("get", f"{PRINCIPALS}/alice"),
    ("delete", f"{PRINCIPALS}/alice"),
    ("post", f"{PRINCIPALS}/search"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_accounts_that_are_not_staff_get_403_on_every_endpoint(db, api_client_for, method, path):
    UserFactory(username="alice")
    user = UserFactory(username="someone")
    body = {"identifier": "someone", "enabled": True, "roles": ["administrator"]}
    response = send(api_client_for(user), method, path, body)
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "SEC-PERM-001", response.content
    user.refresh_from_db()
    assert not user.is_staff
    assert get_user_model().objects.filter(username="alice").exists()


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_callers_get_401_on_every_endpoint(db, method, path):
    response = send(APIClient(), method, path, {"identifier": "x", "enabled": True})
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "SEC-AUTH-009", response.content


def test_a_grant_a_team_holds_is_not_one_of_the_members_permissions(principals_api, world):
    principals_api.security_principal_info_add(info(teams=["web"]))
    grant(Profile.objects.get(name="tls"), Team.objects.get(name="web"), "perform")
    assert principals_api.security_principal_info_get("alice").permissions == []
