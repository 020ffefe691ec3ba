"""GET /api/v1/security/passwordpolicies/{name}/generate: a text/plain password the named
policy accepts."""

import pytest

from profiles.models import PasswordPolicy

PATH = "/api/v1/security/passwordpolicies/{}/generate"


@pytest.fixture
def default_policy(db):
    # Created by a data migration, but tests against a live server flush it: make sure.
    return PasswordPolicy.default()


def generate(api, name: str, **headers):
    return api.client.get(PATH.format(name), **api.headers, **headers)


@pytest.mark.parametrize("accept", ["text/plain", "application/problem+json", "*/*"])
def test_the_default_policy_generates_a_password_it_accepts(requester_api, default_policy, accept):
    response = generate(requester_api, "Horizon-Default", HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain"), response.headers
    assert response["Cache-Control"] == "no-store"
    password = response.content.decode()
    assert default_policy.violations(password) == [], password


def test_a_named_policy_is_followed(requester_api, db):
    strict = PasswordPolicy.objects.create(
        name="Strict", min_length=32, max_length=40, min_special=3, special_chars="#%"
    )
    password = generate(requester_api, "Strict").content.decode()
    assert strict.violations(password) == [], password
    assert sum(ch in "#%" for ch in password) >= 3


def test_every_call_generates_a_new_password(requester_api, default_policy):
    passwords = {generate(requester_api, "Horizon-Default").content for _ in range(5)}
    assert len(passwords) == 5


def test_an_unknown_policy_falls_back_to_the_default_as_horizon_does(outsider_api, default_policy):
    response = generate(outsider_api, "No-Such-Policy")
    assert response.status_code == 200, response.content
    assert default_policy.violations(response.content.decode()) == []


def test_generating_a_password_needs_credentials(api_as, default_policy):
    response = generate(api_as(), "Horizon-Default")
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "SEC-AUTH-009"
