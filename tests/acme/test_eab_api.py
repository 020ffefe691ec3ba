"""``/api/v1/acme/eab``: staff make External Account Binding keys for a user or a team (the
HMAC key in the 201 answer only), list and delete them, with the admin API's authentication
and its problem+json errors."""

import pytest
from acme import messages
from rest_framework.test import APIClient

from acme_server.models import AcmeAccount, ExternalAccountKey
from raportal.models import AuditEvent
from tests.acme.client import AcmeClient
from tests.factories import TeamFactory, UserFactory, api_key_for

PATH = "/api/v1/acme/eab"
PROBLEM = "application/problem+json"


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_ID=user.username, HTTP_X_API_KEY=api_key_for(user))
    return client


@pytest.fixture
def staff_api(db):
    return api_as(UserFactory(username="admin", is_staff=True))


def problem(response, status: int, code: str) -> dict:
    assert (response.status_code, response["Content-Type"]) == (status, PROBLEM), response.content
    body = response.json()
    assert body["error"] == code, body
    return body


def test_a_key_made_for_a_team_answers_its_hmac_key_once_and_binds_an_account_to_the_team(
    staff_api, acme_eab, client, settings
):
    team = TeamFactory(name="web-team")
    created = staff_api.post(
        PATH, {"profile": acme_eab.name, "team": "web-team", "comment": "k8s"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert "no-store" in created["Cache-Control"]
    body = created.json()
    assert (body["profile"], body["team"], body["user"], body["comment"]) == (
        acme_eab.name, "web-team", None, "k8s"
    )  # fmt: skip
    assert (body["createdBy"], body["usedAt"], body["account"]) == ("admin", None, None)
    directory = f"{settings.RAPORTAL_BASE_URL}/acme/{acme_eab.name}/directory"
    assert body["directoryUrl"] == directory
    assert body["certbot"] == (
        f"certbot certonly --server {directory} --eab-kid {body['kid']} "
        f"--eab-hmac-key {body['hmacKey']} -d <name>"
    )

    acme = AcmeClient(client, acme_eab.name)
    binding = messages.ExternalAccountBinding.from_data(
        acme.key.public_key(),
        body["kid"],
        body["hmacKey"],
        messages.Directory.from_json(acme.directory()),
    )
    registered = acme.register(externalAccountBinding=binding)
    assert registered.status_code == 201, registered.content
    account = AcmeAccount.objects.get()
    assert (account.team, account.user) == (team, None)

    listed = staff_api.get(PATH).json()
    assert [(k["kid"], k["account"]) for k in listed] == [(body["kid"], account.pk)], listed
    assert listed[0]["usedAt"] is not None
    assert "hmacKey" not in listed[0] and body["hmacKey"] not in str(listed)
    one = staff_api.get(f"{PATH}/{body['kid']}").json()
    assert "hmacKey" not in one and one["kid"] == body["kid"], one


def test_a_key_made_for_a_user_names_them(staff_api, acme_eab, requester):
    created = staff_api.post(PATH, {"profile": acme_eab.name, "user": "requester"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["user"] == "requester"
    assert ExternalAccountKey.objects.get().user == requester


def test_the_list_filters_by_profile(staff_api, acme_eab, acme_demo, requester):
    for profile in (acme_eab, acme_demo):
        response = staff_api.post(
            PATH, {"profile": profile.name, "user": "requester"}, format="json"
        )
        assert response.status_code == 201, response.content
    listed = staff_api.get(PATH, {"profile": acme_demo.name}).json()
    assert [k["profile"] for k in listed] == [acme_demo.name], listed


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"user": "requester", "team": "web-team"}, "name one, not both"),
        ({}, "name the user or the team"),
        ({"user": "nobody-here"}, "no active account named 'nobody-here'"),
        ({"team": "no-team"}, "no team named 'no-team'"),
        ({"user": ["requester"]}, "user: expected a name"),
        ({"user": "requester", "comment": "x" * 201}, "comment: at most 200 characters"),
        ({"user": "requester", "profile": None}, "profile: name the ACME profile"),
    ],
)
def test_a_key_for_both_or_neither_or_an_unknown_holder_is_refused_clearly(
    staff_api, acme_eab, requester, body, message
):
    TeamFactory(name="web-team")
    response = staff_api.post(PATH, {"profile": acme_eab.name, **body}, format="json")
    assert message in problem(response, 400, "REQ-002")["detail"]
    assert not ExternalAccountKey.objects.exists()


def test_a_key_for_an_unknown_or_non_acme_profile_is_refused(staff_api, profile, requester):
    unknown = staff_api.post(PATH, {"profile": "nowhere", "user": "requester"}, format="json")
    assert "nowhere" in problem(unknown, 404, "REQ-001")["detail"]
    webra = staff_api.post(PATH, {"profile": profile.name, "user": "requester"}, format="json")
    assert "is not an ACME profile" in problem(webra, 400, "REQ-002")["detail"]
    assert not ExternalAccountKey.objects.exists()


def test_a_body_that_is_not_json_or_not_an_object_is_a_problem(staff_api, acme_eab):
    not_json = staff_api.generic("POST", PATH, b"{", content_type="application/json")
    problem(not_json, 400, "REQ-002")
    a_list = staff_api.post(PATH, ["x"], format="json")
    problem(a_list, 400, "REQ-002")


def test_deleting_a_key_withdraws_it_and_an_unknown_kid_is_a_404(staff_api, acme_eab, requester):
    kid = staff_api.post(
        PATH, {"profile": acme_eab.name, "user": "requester"}, format="json"
    ).json()["kid"]
    deleted = staff_api.delete(f"{PATH}/{kid}")
    assert deleted.status_code == 204, deleted.content
    assert not ExternalAccountKey.objects.exists()
    assert AuditEvent.objects.filter(action="acme.eab.delete", detail__kid=kid).exists()
    problem(staff_api.delete(f"{PATH}/{kid}"), 404, "REQ-001")
    problem(staff_api.get(f"{PATH}/{kid}"), 404, "REQ-001")


def test_the_eab_api_is_for_staff_only(acme_eab, requester):
    outsider = api_as(requester)
    for method, path, body in [
        ("get", PATH, None),
        ("post", PATH, {"profile": acme_eab.name, "user": "requester"}),
        ("get", f"{PATH}/some-kid", None),
        ("delete", f"{PATH}/some-kid", None),
    ]:
        response = getattr(outsider, method)(path, body, format="json")
        problem(response, 403, "SEC-PERM-001")
    anonymous = APIClient().get(PATH)
    assert anonymous.status_code == 401, anonymous.content
    assert anonymous.json()["error"] == "SEC-AUTH-009", anonymous.json()
    assert not ExternalAccountKey.objects.exists()


def test_creating_a_key_is_audited_without_its_hmac_key(staff_api, acme_eab, requester):
    body = staff_api.post(
        PATH, {"profile": acme_eab.name, "user": "requester"}, format="json"
    ).json()
    event = AuditEvent.objects.get(action="acme.eab.create")
    assert event.actor.username == "admin"
    assert body["hmacKey"] not in str(event.detail), event.detail


def test_a_session_caller_needs_the_csrf_token(db, acme_eab, requester):
    staff = UserFactory(username="admin", is_staff=True)
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(staff)
    assert browser.get(PATH).status_code == 200
    refused = browser.post(PATH, {"profile": acme_eab.name, "user": "requester"}, format="json")
    # As Horizon answers a failed CSRF check (its API documentation): 401 SEC-AUTH-002.
    assert "CSRF" in problem(refused, 401, "SEC-AUTH-002")["detail"]
    assert not ExternalAccountKey.objects.exists()
