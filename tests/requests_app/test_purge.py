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
    assert "1 request(s) deleted, 2 expired request(s) wiped" in capsys.readouterr().out
    assert Request.objects.get(pk=expired["_id"]).sealed_password is None
    assert Request.objects.get(pk=fresh["_id"]).open_password() == PASSWORD
    assert not Request.objects.filter(pk=gone["_id"]).exists()
