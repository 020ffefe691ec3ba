"""Credentials with control characters never reach the database (a NUL answers 500 on
PostgreSQL): refused as any wrong credentials, 401."""

import base64

import pytest

from tests.factories import ProfileFactory, grant, make_csr

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("user", ["CN=a\x00b", "a\x01b", "x" * 5000])
def test_an_identifier_with_control_characters_or_too_long_is_refused_with_401(
    client, pki, approver, api_as, user
):
    profile = ProfileFactory(name="est-hostile", module="est", ca=pki["issuing"])
    grant(profile, approver, "perform")
    status, answer = api_as(approver).submit(
        {"profile": profile.name, "module": "est", "workflow": "enroll"}
    )
    assert status == 201, answer
    basic = base64.b64encode(f"{user}:{answer['password']['value']}".encode()).decode()
    response = client.post(
        "/.well-known/est/est-hostile/simpleenroll",
        make_csr()[0],
        content_type="application/pkcs10",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 401, response.content
