"""Shared fixtures: the built-in PKI, a demo-like profile, and the three principals every
test talks about — requester (holds ``request``), approver (holds ``perform``), outsider
(holds nothing)."""

import json

import pytest
from django.db import connection
from rest_framework.test import APIClient

from certificates.services import create_ca
from profiles.models import Workflow
from tests.factories import (
    ProfileFactory,
    TeamFactory,
    UserFactory,
    api_key_for,
    grant,
    make_csr,
)


def pytest_configure(config):
    # Tests run with DEBUG off but without `collectstatic`: serve static files from the
    # finders, without the manifest that production builds.
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    # Factories set passwords for every user; PBKDF2 would cost ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pki(db):
    root = create_ca(common_name="Test Root CA", key_type="ec-secp384r1", validity_days=3650)
    issuing = create_ca(
        common_name="Test Issuing CA", key_type="ec-secp256r1", validity_days=1825, parent=root
    )
    return {"root": root, "issuing": issuing}


@pytest.fixture
def requester(db):
    return UserFactory(username="requester")


@pytest.fixture
def approver(db):
    return UserFactory(username="approver")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def team(requester, approver):
    team = TeamFactory(name="demo-team")
    team.members.add(requester, approver)
    return team


@pytest.fixture
def profile(pki, requester, approver):
    profile = ProfileFactory(name="webra-demo", ca=pki["issuing"])
    for workflow in Workflow.values:  # as in the demo: request vs perform on every workflow
        grant(profile, requester, "request", workflow)
        grant(profile, approver, "perform", workflow)
    return profile


@pytest.fixture
def issue(profile, approver_api):
    """Issues a certificate on the demo-like profile; returns the contract's Certificate."""

    def make(cn: str = "web.example.com", *, centralized: bool = False, **template):
        template.setdefault("subject", [{"element": "cn.1", "value": cn}])
        body = enroll_body(**template)
        if centralized:
            body["template"].setdefault("keyType", "ec-secp256r1")
            body["password"] = {"value": "Correct-Horse-9-battery"}
        else:
            body["template"].setdefault("csr", make_csr()[0])
        status, answer = approver_api.submit(body)
        assert status == 201 and answer["status"] == "completed", answer
        return answer["certificate"]

    return make


class Api:
    """A test client speaking JSON with X-API-ID/X-API-KEY; ``.post`` returns (status, body)."""

    def __init__(self, user=None, key: str | None = None):
        self.client = APIClient()
        self.headers = {}
        if user is not None:
            key = key or api_key_for(user)
            self.headers = {"HTTP_X_API_ID": user.username, "HTTP_X_API_KEY": key}

    def post(self, path: str, body) -> tuple[int, dict]:
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response = self.client.post(path, raw, content_type="application/json", **self.headers)
        return response.status_code, _json(response)

    def get(self, path: str) -> tuple[int, dict]:
        response = self.client.get(path, **self.headers)
        return response.status_code, _json(response)

    def submit(self, body) -> tuple[int, dict]:
        return self.post("/api/v1/requests/submit", body)


def _json(response):
    try:
        return response.json()
    except (ValueError, TypeError):
        return {"_raw": response.content[:500]}


@pytest.fixture
def api_as():
    return Api


@pytest.fixture
def requester_api(requester):
    return Api(requester)


@pytest.fixture
def approver_api(approver):
    return Api(approver)


@pytest.fixture
def outsider_api(outsider):
    return Api(outsider)


def enroll_body(profile="webra-demo", **template):
    template.setdefault("subject", [{"element": "cn.1", "value": "web.example.com"}])
    body = {"profile": profile, "module": "webra", "workflow": "enroll", "template": template}
    return body


def revoke_body(certificate_id: str, reason: str = "unspecified") -> dict:
    return {
        "module": "webra",
        "workflow": "revoke",
        "certificateId": certificate_id,
        "template": {"revocationReason": reason},
    }


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
