"""Periodic upkeep of the audit log: events past the retention are purged, behind a sealed
checkpoint.

One implementation for ``manage.py purge_events`` and the daily Celery beat task
``raportal.tasks.purge_events``. ``RAPORTAL_EVENT_RETENTION_DAYS`` (0, the default: keep
every event forever) says how old an event may get.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from raportal import event_seal
from raportal.events import verify_events
from raportal.models import HEAD, AuditEvent, EventChainHead, EventCheckpoint, record

logger = logging.getLogger(__name__)

# Events deleted per transaction: each batch holds the chain head's lock (audited writes
# wait) only for its own delete.
BATCH = 5000


@dataclass
class Purge:
    purged: int = 0
    checkpoint: int | None = None  # the sequence of the last event purged
    refused: str = ""  # why a batch was not purged: it does not verify


def purge_events(now: dt.datetime | None = None, *, days: int | None = None) -> Purge:
    """Deletes the events older than the retention, oldest first, never one newer than an
    event it keeps: it stops at the first event inside the retention, so the chain stays one
    piece. Each batch first writes a checkpoint — the sequence and hash of the last event it
    deletes, sealed with the event seal key — in the transaction that deletes, so
    verification resumes from it and still detects any edit after it. Records what it did
    (``event.purge``) in the chain itself."""
    days = settings.RAPORTAL_EVENT_RETENTION_DAYS if days is None else days
    result = Purge()
    if days <= 0:
        return result
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    while True:
        with transaction.atomic():
            # Locking the head first: no event joins the chain while a batch is cut off.
            head, _ = EventChainHead.objects.select_for_update().get_or_create(pk=HEAD)
            keep_from = (
                AuditEvent.objects.filter(at__gte=cutoff)
                .order_by("sequence")
                .values_list("sequence", flat=True)
                .first()
            )
            newest_old = keep_from - 1 if keep_from is not None else head.sequence
            oldest = (
                AuditEvent.objects.filter(sequence__lte=newest_old)
                .order_by("sequence")
                .values_list("sequence", flat=True)
                .first()
            )
            if oldest is None:
                break
            last = (
                AuditEvent.objects.filter(sequence__lte=min(newest_old, oldest + BATCH - 1))
                .order_by("-sequence")
                .only("pk", "sequence", "hash")
                .first()
            )
            assert last is not None, "oldest exists, so a last one does"
            # The checkpoint vouches for what it replaces: only for a batch that verifies
            # (an event edited in it would otherwise be erased and sealed over).
            first_pk = AuditEvent.objects.filter(sequence=oldest).values_list("pk", flat=True)
            check = verify_events(from_id=first_pk.get(), to_id=last.pk)
            if not check.ok:
                result.refused = check.summary()
                logger.error("audit events not purged: %s", result.refused)
                break
            at = timezone.now()
            deleted, _ = AuditEvent.objects.filter(sequence__lte=last.sequence).delete()
            EventCheckpoint.objects.create(
                at=at,
                sequence=last.sequence,
                hash=last.hash,
                seal=event_seal.checkpoint_seal(last.sequence, last.hash, at),
                purged=deleted,
            )
            result.purged += deleted
            result.checkpoint = last.sequence
    if result.checkpoint is not None:
        checkpoint = EventCheckpoint.objects.get(sequence=result.checkpoint)
        record(
            None,
            "event.purge",
            checkpoint,
            purged=result.purged,
            checkpoint=result.checkpoint,
            retention_days=days,
        )
        logger.info(
            "purged %s audit events older than %s days (checkpoint after sequence %s)",
            result.purged,
            days,
            result.checkpoint,
        )
    return result
