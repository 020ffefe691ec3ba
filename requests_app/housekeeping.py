"""Periodic upkeep of requests: expiry and retention, and the record of spent
proof-of-possession tokens.

One implementation for the ``purge_requests`` management command and the Celery beat tasks
``requests_app.tasks.expire_requests`` (hourly, also forgets spent tokens) and
``requests_app.tasks.purge_requests`` (daily).
"""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from raportal.models import SpentToken
from requests_app.models import Request, Status


def expire_requests(now: dt.datetime | None = None) -> int:
    """Wipes the sealed secrets (PKCS#12 password, an import's key) of pending requests past
    their expiration date: they can never be approved any more (REQ-005), so what they kept
    for their approval must not outlive them. Their status stays ``pending``, as the
    contract has no expired status: ``expirationDate`` tells. Returns how many were wiped."""
    now = now or timezone.now()
    return (
        Request.objects.filter(status=Status.PENDING, expires_at__lte=now)
        .filter(
            Q(sealed_password__isnull=False)
            | Q(sealed_pkcs12__isnull=False)
            | Q(sealed_key__isnull=False)
        )
        .update(sealed_password=None, sealed_pkcs12=None, sealed_key=None)
    )


def purge_requests(now: dt.datetime | None = None) -> int:
    """Deletes the requests past their ``removeAt`` date (expiration date + the retention,
    RAPORTAL_REQUEST_RETENTION_DAYS). Returns how many were deleted."""
    deleted, _ = Request.objects.filter(remove_at__lte=now or timezone.now()).delete()
    return deleted


def purge_spent_tokens(now: dt.datetime | None = None) -> int:
    """Forgets the single-use proof-of-possession tokens and nonces (certificates/pop.py)
    past their expiry: by then they are refused as stale anyway. Returns how many."""
    return SpentToken.objects.purge(now or timezone.now())
