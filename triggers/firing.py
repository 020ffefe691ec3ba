"""Firing: an event on a request or a certificate becomes one run per trigger the profile
lists for it, written in the event's own transaction (with its outbox message) and executed
by a worker once it commits.

The caller (requests_app.trigger_events, certificates.expiry_triggers) builds the event's
dictionary; this app never reads requests or certificates itself.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from raportal import outbox
from triggers.events import profile_key
from triggers.models import Trigger, TriggerRun


def names_for(profile_triggers: Mapping[str, Any] | None, event: str) -> list[str]:
    """The trigger names a profile's CertificateProfileTriggers lists for ``event``
    (plain names, or ``{"name": …}`` objects for the periodic events)."""
    entries = (profile_triggers or {}).get(profile_key(event)) or []
    names = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


def triggers_for(profile_triggers: Mapping[str, Any] | None, event: str) -> list[Trigger]:
    names = names_for(profile_triggers, event)
    if not names:
        return []
    return list(Trigger.objects.filter(name__in=names, event=event).order_by("name"))


def fire(
    event: str,
    profile_triggers: Mapping[str, Any] | None,
    dictionary: Mapping[str, Any] | None = None,
    *,
    request_id: object = "",
    certificate_id: object = "",
    dedupe: str | None = None,
    triggers: Iterable[Trigger] | None = None,
) -> list[TriggerRun]:
    """Records a run of each trigger of ``event`` and queues it to run after commit. With
    ``dedupe``, a run whose key (``<dedupe>:<trigger id>``) exists already is not recorded
    again: scheduled events fire once whoever scans, however often."""
    chosen = list(triggers) if triggers is not None else triggers_for(profile_triggers, event)
    if not chosen:
        return []
    now = timezone.now()
    runs = []
    for trigger in chosen:
        run = TriggerRun(
            trigger=trigger,
            name=trigger.name,
            trigger_type=trigger.type,
            event=event,
            request_id=str(request_id or ""),
            certificate_id=str(certificate_id or ""),
            dictionary={**(dictionary or {}), "event": event, "trigger.name": trigger.name},
            dedupe_key=f"{dedupe}:{trigger.pk}" if dedupe else None,
            retries_left=trigger.retries,
            next_execution_at=now,
            created_at=now,
        )
        if dedupe:
            try:
                with transaction.atomic():  # a savepoint: a duplicate leaves the rest intact
                    run.save(force_insert=True)
            except IntegrityError:
                continue
        else:
            run.save(force_insert=True)
        runs.append(run)
    for run in runs:
        enqueue(str(run.pk))
    return runs


def enqueue(run_id: str, at: dt.datetime | None = None) -> None:
    """Queues a run (at ``at``, for a retry) in the outbox, in the caller's transaction: run
    by a worker once it commits, never by the request that fired it. The run is a durable
    row too: ``run_due_triggers`` picks up any whose message went astray."""
    from triggers.tasks import run_trigger

    outbox.enqueue(run_trigger, run_id, at=at)
