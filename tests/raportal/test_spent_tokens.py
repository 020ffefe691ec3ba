"""The record of spent single-use credentials (raportal.models.SpentToken): a value is spent
once, whatever the worker; the housekeeping forgets it once it would be stale anyway."""

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from raportal.models import SpentToken
from requests_app.tasks import expire_requests

A, B = "a" * 64, "b" * 64


def later(**delta) -> dt.datetime:
    return timezone.now() + dt.timedelta(**delta)


def test_a_value_is_spent_once(db):
    assert SpentToken.objects.spend(A, later(minutes=5)) is True
    assert SpentToken.objects.spend(A, later(minutes=5)) is False
    assert SpentToken.objects.spend(B, later(minutes=5)) is True


def test_a_refused_spend_leaves_the_callers_transaction_usable(db):
    SpentToken.objects.spend(A, later(minutes=5))
    assert SpentToken.objects.spend(A, later(minutes=5)) is False
    assert SpentToken.objects.count() == 1  # the transaction still answers


def test_the_hourly_housekeeping_forgets_expired_values_only(db):
    SpentToken.objects.create(digest=A, expires_at=later(seconds=-1))
    SpentToken.objects.create(digest=B, expires_at=later(minutes=5))
    expire_requests()
    assert list(SpentToken.objects.values_list("digest", flat=True)) == [B]


def test_purge_requests_forgets_them_too(db, capsys):
    SpentToken.objects.create(digest=A, expires_at=later(seconds=-1))
    call_command("purge_requests")
    assert "1 spent proof-of-possession token(s) forgotten" in capsys.readouterr().out
    assert not SpentToken.objects.exists()
