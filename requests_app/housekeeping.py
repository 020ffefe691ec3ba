"""Periodic upkeep of requests: expiry and retention, and the record of spent
proof-of-possession tokens.

One implementation for the ``purge_requests`` management command and the Celery beat tasks
``requests_app.tasks.expire_requests`` (hourly, also forgets spent tokens) and
``requests_app.tasks.purge_requests`` (daily).
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from raportal.models import SpentToken, record
from requests_app.models import FINISHED, Request, Status

# Rows handled per transaction: a backlog (a scheduler that was down for weeks) never holds
# one long transaction or a huge list of ids.
BATCH = 500


def expire_requests(now: dt.datetime | None = None) -> int:
    """Closes the pending requests past their expiration date: their status becomes
    ``expired`` (the pages show it, any action answers REQ-005, the approvers' queue no
    longer lists them; the API still answers ``pending`` with the past ``expirationDate``,
    see ``Status.EXPIRED``) and the secrets they kept for their approval (PKCS#12 password,
    an import's key, a device challenge) are wiped, as they can never be used. Each one is
    audited (``request.expire.<workflow>``). Returns how many were closed.

    Safe to run in two workers at once: rows locked by another (an approval racing the
    expiry, or the other worker) are skipped, and the UPDATE only touches rows still
    pending."""
    now = now or timezone.now()
    closed = 0
    while True:
        with transaction.atomic():
            batch = list(
                Request.objects.filter(status=Status.PENDING, expires_at__lte=now)
                .select_for_update(skip_locked=True)
                .only("pk", "workflow", "expires_at")
                .order_by("expires_at", "pk")[:BATCH]
            )
            if not batch:
                break
            Request.objects.filter(pk__in=[r.pk for r in batch], status=Status.PENDING).update(
                status=Status.EXPIRED,
                updated_at=now,
                sealed_password=None,
                sealed_pkcs12=None,
                sealed_key=None,
                challenge_hash="",
                challenge_tag="",
            )
            for request in batch:
                record(None, f"request.expire.{request.workflow}", request, outcome="expired")
        closed += len(batch)
        if len(batch) < BATCH:
            break
    return closed


def purge_requests(now: dt.datetime | None = None) -> int:
    """Deletes the finished requests (completed, denied, canceled, expired, failed) past
    their ``removeAt`` date (expiration date + the retention,
    RAPORTAL_REQUEST_RETENTION_DAYS). Their sealed secrets are overwritten first (set to
    NULL by an UPDATE, committed before the DELETE), so a secret a requester never
    collected is not left behind in a deleted row that the database keeps until it reuses
    the space (PostgreSQL's dead tuples, SQLite's free pages). A request still pending is not
    purged (the expiry task closes it first), nor a device challenge (``approved``) still
    valid; past its expiration date no device can use it, and it goes too. Returns how many
    were deleted."""
    now = now or timezone.now()
    purgeable = Q(status__in=FINISHED) | Q(status=Status.APPROVED, expires_at__lte=now)
    deleted = 0
    while True:
        ids = list(
            Request.objects.filter(purgeable, remove_at__lte=now)
            .order_by("remove_at", "pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        doomed = Request.objects.filter(purgeable, pk__in=ids, remove_at__lte=now)
        with transaction.atomic():
            doomed.update(
                sealed_password=None,
                sealed_pkcs12=None,
                sealed_key=None,
                challenge_hash="",
                challenge_tag="",
            )
        with transaction.atomic():
            _, per_model = doomed.delete()
        deleted += per_model.get(Request._meta.label, 0)
        if len(ids) < BATCH:
            break
    return deleted


def purge_spent_tokens(now: dt.datetime | None = None) -> int:
    """Forgets the single-use proof-of-possession tokens and nonces (certificates/pop.py)
    past their expiry: by then they are refused as stale anyway. Returns how many."""
    return SpentToken.objects.purge(now or timezone.now())
