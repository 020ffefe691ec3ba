"""A challenge is spent once even when devices race for it: eight simultaneous EST
enrollments with the same credentials issue one certificate; the others hear 401, never a
500 (PostgreSQL: real concurrent connections)."""

import base64

import pytest
from django.test import Client

from certificates.models import Certificate
from requests_app.models import Request
from tests.abuse.test_races import all_at_once
from tests.factories import ProfileFactory, grant, make_csr


@pytest.mark.django_db(transaction=True)
def test_eight_devices_racing_for_one_challenge_get_one_certificate(
    postgres_only, pki, approver, api_as
):
    profile = ProfileFactory(name="est-race", module="est", ca=pki["issuing"])
    grant(profile, approver, "perform")
    status, answer = api_as(approver).submit(
        {"profile": profile.name, "module": "est", "workflow": "enroll"}
    )
    assert status == 201, answer
    credentials = base64.b64encode(
        f"{answer['_id']}:{answer['password']['value']}".encode()
    ).decode()

    def enrolling(number: int):
        csr = make_csr(subject=[("cn.1", f"racer-{number}")])[0]
        response = Client().post(
            "/.well-known/est/est-race/simpleenroll",
            csr,
            content_type="application/pkcs10",
            HTTP_AUTHORIZATION=f"Basic {credentials}",
        )
        return response.status_code, response.content[:200]

    results = all_at_once([lambda n=n: enrolling(n) for n in range(8)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [401] * 7, results
    assert Certificate.objects.filter(profile=profile).count() == 1
    assert Request.objects.get(pk=answer["_id"]).status == "completed"
