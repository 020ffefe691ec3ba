"""manage.py purge_requests: requests go at their removeAt; expired ones lose their secrets."""

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from requests_app.models import Request
from tests.conftest import enroll_body

PASSWORD = "Correct-Horse-9-battery"


def test_purge_wipes_expired_pending_secrets_and_deletes_requests_past_remove_at(
    profile, requester_api, capsys
):
    body = enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}}
    _, expired = requester_api.submit(body)
    _, fresh = requester_api.submit(body)
    _, gone = requester_api.submit(body)
    past = timezone.now() - dt.timedelta(seconds=1)
    Request.objects.filter(pk=expired["_id"]).update(expires_at=past)
    Request.objects.filter(pk=gone["_id"]).update(expires_at=past, remove_at=past)
    call_command("purge_requests")
    assert "1 request(s) deleted, 2 pending request(s) expired" in capsys.readouterr().out
    assert Request.objects.get(pk=expired["_id"]).sealed_password is None
    assert Request.objects.get(pk=fresh["_id"]).open_password() == PASSWORD
    assert not Request.objects.filter(pk=gone["_id"]).exists()


def test_purge_forgets_the_key_of_an_expired_pending_import(profile, requester_api):
    from tests.requests_app.test_import import external_certificate

    pem, key_pem = external_certificate()
    _, pending = requester_api.submit(
        {
            "module": "webra",
            "workflow": "import",
            "profile": "webra-demo",
            "certificatePem": pem,
            "template": {"privateKey": key_pem},
        }
    )
    Request.objects.filter(pk=pending["_id"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    call_command("purge_requests")
    assert Request.objects.get(pk=pending["_id"]).sealed_key is None
