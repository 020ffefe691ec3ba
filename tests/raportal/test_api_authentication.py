"""X-API-ID/X-API-KEY authentication, session authentication, principals/self."""

import pytest
from rest_framework.test import APIClient

from raportal.models import ApiCredential
from tests.conftest import Api, enroll_body
from tests.factories import UserFactory, api_key_for

SELF = "/api/v1/security/principals/self"


def test_no_credentials_gives_401_sec_auth_009(db, client):
    response = client.get(SELF)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["error"] == "SEC-AUTH-009"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_API_ID": "requester", "HTTP_X_API_KEY": "wrong"},
        {"HTTP_X_API_ID": "nobody", "HTTP_X_API_KEY": "requester-key"},
        {"HTTP_X_API_ID": "requester"},
        {"HTTP_X_API_KEY": "requester-key"},
        {"HTTP_X_API_ID": "", "HTTP_X_API_KEY": ""},
    ],
    ids=["wrong-key", "unknown-id", "id-only", "key-only", "empty"],
)
def test_wrong_credentials_give_401_sec_auth_002(requester, client, headers):
    api_key_for(requester)
    response = client.get(SELF, **headers)
    assert (response.status_code, response.json()["error"]) == (401, "SEC-AUTH-002")


def test_a_disabled_credential_or_inactive_user_is_refused(requester, client):
    key = api_key_for(requester)
    headers = {"HTTP_X_API_ID": "requester", "HTTP_X_API_KEY": key}
    assert client.get(SELF, **headers).status_code == 200
    ApiCredential.objects.update(enabled=False)
    assert client.get(SELF, **headers).json()["error"] == "SEC-AUTH-002"
    ApiCredential.objects.update(enabled=True)
    requester.is_active = False
    requester.save()
    assert client.get(SELF, **headers).json()["error"] == "SEC-AUTH-002"


def test_keys_are_stored_hashed_never_in_clear(requester):
    key = api_key_for(requester, "a-very-secret-api-key-value")
    stored = ApiCredential.objects.get(api_id="requester")
    assert key not in stored.key_hash and len(stored.key_hash) == 64
    assert stored.check_key(key) and not stored.check_key(key + "x")


def test_principals_self_describes_the_caller_with_teams_and_grants(profile, team, requester):
    status, body = Api(requester).get(SELF)
    assert status == 200, body
    assert body["identity"]["identifier"] == "requester"
    assert body["teams"] == ["demo-team"]
    assert {"value": "lifecycle:webra:request:enroll", "filter": "profile = webra-demo"} in body[
        "permissions"
    ]


def test_a_browser_session_authenticates_the_api(requester, client):
    client.force_login(requester)
    response = client.get(SELF)
    assert response.status_code == 200 and response.json()["identity"]["identifier"] == "requester"


def test_a_session_post_without_csrf_token_is_refused(profile, requester):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(requester)
    response = browser.post("/api/v1/requests/submit", enroll_body(), format="json")
    # Horizon's documented answer to a cookie-authenticated call failing its CSRF check.
    assert response.status_code == 401 and response.json()["error"] == "SEC-AUTH-002"


def test_the_create_api_key_command_prints_a_working_key_once(db, capsys, client):
    from django.core.management import call_command

    UserFactory(username="robot")
    call_command("create_api_key", "robot")
    printed = capsys.readouterr().out
    key = printed.split("X-API-KEY: ")[1].split()[0]
    response = client.get(SELF, HTTP_X_API_ID="robot", HTTP_X_API_KEY=key)
    assert response.status_code == 200


def test_admin_shows_a_new_api_key_once_and_stores_only_its_hash(db, client, requester):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/raportal/apicredential/add/",
        {"api_id": "ci-bot", "user": requester.pk, "description": "CI", "enabled": "on"},
    )
    assert response.status_code == 200, response.content[:500]
    key = response.context["api_key"]
    assert key.encode() in response.content
    assert ApiCredential.objects.get(api_id="ci-bot").check_key(key)
    listing = client.get("/admin/raportal/apicredential/")
    assert key.encode() not in listing.content
    assert Api().client.get(SELF, HTTP_X_API_ID="ci-bot", HTTP_X_API_KEY=key).status_code == 200


def test_an_existing_api_credential_cannot_be_moved_to_another_user(db, client, requester):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    other = UserFactory(username="other")
    api_key_for(requester)
    credential = ApiCredential.objects.get(api_id="requester")
    client.force_login(admin)
    client.post(
        f"/admin/raportal/apicredential/{credential.pk}/change/",
        {"api_id": "requester", "user": other.pk, "description": "x", "enabled": "on"},
    )
    credential.refresh_from_db()
    assert credential.user == requester


def test_creating_an_api_key_is_audited(db, client, requester):
    from raportal.models import AuditEvent

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.post(
        "/admin/raportal/apicredential/add/",
        {"api_id": "ci-bot", "user": requester.pk, "description": "CI", "enabled": "on"},
    )
    event = AuditEvent.objects.get(action="apicredential.create")
    assert event.actor == admin and event.detail == {"api_id": "ci-bot"}
