"""Nobody locks the holder of an account out: failures count per account *and* address, so a
stranger's wrong keys or passwords throttle the stranger's address only; a much higher
account-wide count alerts the owner (mail, log, audit) and, while it lasts, lets the account be
tried only from addresses it has signed in from before (raportal/throttling.py)."""

import logging

import pytest
from django.core import mail
from rest_framework.test import APIClient

from raportal.models import AuditEvent
from tests.factories import api_key_for

SELF = "/api/v1/security/principals/self"
PASSWORD = "pw-for-tests-123"  # tests/factories.py
STRANGER = "203.0.113.9"
HOLDER = "198.51.100.7"


def api_get(api_id: str, key: str, ip: str):
    return APIClient().get(SELF, HTTP_X_API_ID=api_id, HTTP_X_API_KEY=key, REMOTE_ADDR=ip)


def sign_in(username: str, password: str, ip: str):
    from django.test import Client

    return Client(REMOTE_ADDR=ip).post("/login/", {"username": username, "password": password})


def test_a_strangers_wrong_keys_do_not_lock_the_holder_out(requester):
    key = api_key_for(requester)
    for _ in range(12):  # more than the default limit of 10
        api_get("requester", "wrong", ip=STRANGER)
    response = api_get("requester", key, ip=HOLDER)
    assert response.status_code == 200, response.content


def test_the_stranger_is_throttled_even_with_the_right_key(requester):
    key = api_key_for(requester)
    for _ in range(10):
        assert api_get("requester", "wrong", ip=STRANGER).status_code == 401
    response = api_get("requester", key, ip=STRANGER)
    assert response.status_code == 429, response.content
    assert response.json()["error"] == "SEC-AUTH-002", response.content


def test_a_strangers_wrong_passwords_do_not_lock_the_holder_out_of_sign_in(requester):
    for _ in range(12):
        sign_in("requester", "wrong-password", ip=STRANGER)
    assert sign_in("requester", "wrong-password-again", ip=STRANGER).status_code == 429
    response = sign_in("requester", PASSWORD, ip=HOLDER)
    assert response.status_code == 302, response.content[:500]


@pytest.fixture
def account_limit(settings):
    settings.RAPORTAL_AUTH_FAILURES_PER_ACCOUNT_AND_IP = 10
    settings.RAPORTAL_AUTH_FAILURES_PER_ACCOUNT = 20
    return 20


def spread_failures(api_id: str, count: int, *, key: str = "a-wrong-key-value") -> list[int]:
    """``count`` wrong keys, two from each of as many addresses: no address reaches its own
    limit. Returns the statuses."""
    return [api_get(api_id, key, ip=f"192.0.2.{10 + n // 2}").status_code for n in range(count)]


def test_crossing_the_account_wide_threshold_alerts_the_owner_once(
    requester, account_limit, caplog, django_capture_on_commit_callbacks
):
    api_key_for(requester)
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.WARNING):
        statuses = spread_failures("requester", account_limit + 10)
    assert statuses[:account_limit] == [401] * account_limit, statuses
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    (alert,) = mail.outbox
    assert alert.to == ["requester@example.com"]
    assert "requester" in alert.subject and "failed" in alert.subject.lower(), alert.subject
    assert "a-wrong-key-value" not in alert.body
    events = AuditEvent.objects.filter(action="auth.failures.threshold")
    assert events.count() == 1, list(events.values())
    (event,) = events
    assert event.object_type == "apicredential" and event.detail["failures"] == account_limit
    warnings = [r.getMessage() for r in caplog.records if "owner alerted" in r.getMessage()]
    assert len(warnings) == 1, caplog.text
    assert "account 'requester'" in warnings[0]
    assert "a-wrong-key-value" not in caplog.text


def test_past_the_threshold_the_holder_still_gets_in_from_their_usual_address(
    requester, account_limit
):
    key = api_key_for(requester)
    assert api_get("requester", key, ip=HOLDER).status_code == 200  # their usual address
    spread_failures("requester", account_limit)
    response = api_get("requester", key, ip=HOLDER)
    assert response.status_code == 200, response.content
    # From an address never used by the account, the account waits out the window.
    assert api_get("requester", key, ip="198.51.100.99").status_code == 429
    # The attacker's further guesses, from new addresses, are not even checked.
    assert spread_failures("requester", 4)[-1] == 429


def test_a_password_account_crossing_the_threshold_alerts_its_owner(
    requester, account_limit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(account_limit):
            sign_in("requester", "wrong-password", ip=f"192.0.2.{10 + n // 2}")
    assert [m.to for m in mail.outbox] == [["requester@example.com"]]
    event = AuditEvent.objects.get(action="auth.failures.threshold")
    assert event.object_type == "user" and event.object_id == str(requester.pk)
    assert sign_in("requester", PASSWORD, ip=HOLDER).status_code == 429  # never seen there
    assert len(mail.outbox) == 1


def test_a_name_that_is_no_account_alerts_nobody(
    db, account_limit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        spread_failures("nobody-here", account_limit + 2)
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="auth.failures.threshold").exists()
