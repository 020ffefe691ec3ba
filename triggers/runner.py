"""Executing runs: one attempt at a time, under the run's row lock (two workers never run the
same attempt), retried with exponential backoff until its retries are spent.

Backoff: ``RAPORTAL_TRIGGER_RETRY_DELAY`` seconds (default 60) after the first failure,
doubling each time, at most 6 hours. A run out of retries is ``failure`` and can be run
again by hand (``rerun``), with the trigger's retries afresh.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from raportal.crypto import SecretBoxError
from triggers.delivery import email, rest
from triggers.models import RunStatus, Trigger, TriggerRun, TriggerType

logger = logging.getLogger(__name__)
MAX_DELAY = 6 * 3600


@dataclass
class Delivery:
    ok: bool
    detail: str
    report: email.EmailReport | rest.RestReport | None = None


def delay_after(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt."""
    base = int(getattr(settings, "RAPORTAL_TRIGGER_RETRY_DELAY", 60))
    return min(base * 2 ** max(attempts - 1, 0), MAX_DELAY)


def deliver(trigger: Trigger, dictionary: dict) -> Delivery:
    """Sends what ``trigger`` says, with ``dictionary``; never raises."""
    try:
        if trigger.type == TriggerType.EMAIL:
            report: email.EmailReport | rest.RestReport = email.deliver(
                trigger.definition, dictionary
            )
        else:
            report = rest.deliver(
                trigger.definition, trigger.header_values(), trigger.signing_secret(), dictionary
            )
    except SecretBoxError as exc:
        return Delivery(False, f"the trigger's sealed values do not open: {exc}")
    except Exception as exc:  # a bug must not lose the run: recorded, and retried
        logger.exception("trigger %s failed unexpectedly", trigger.name)
        return Delivery(False, f"internal error: {type(exc).__name__}")
    return Delivery(report.ok, report.detail, report)


def _lease_seconds(trigger: Trigger | None) -> float:
    """How long a worker owns a claimed attempt: every call of the trigger at its longest,
    and a minute more. A worker that dies meanwhile leaves the attempt to the next one."""
    calls = len((trigger.definition or {}).get("sequence") or [1]) if trigger else 1
    return calls * float(getattr(settings, "RAPORTAL_WEBHOOK_TIMEOUT", 10)) + 60


def execute(run_id: str, now: dt.datetime | None = None) -> str | None:
    """Runs one due attempt of the run; returns its status after it (None when the run is
    not due, already done, or being run by another worker).

    The attempt is claimed in a short transaction (its next execution moved past the lease,
    so no other worker takes it), delivered with no transaction open and no row locked — a
    slow receiver holds neither a database connection's transaction nor a lock — and its
    outcome written in a second short transaction. A worker that dies after delivering and
    before writing lets the attempt run again after the lease: at least once, never lost."""
    with transaction.atomic():
        run = (
            # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to
            # the trigger (a deleted trigger leaves its runs); the run's row is what we lock.
            TriggerRun.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("trigger")
            .filter(pk=run_id)
            .due(now or timezone.now())
            .first()
        )
        if run is None:
            return None
        claimed_until = timezone.now() + dt.timedelta(seconds=_lease_seconds(run.trigger))
        TriggerRun.objects.filter(pk=run.pk).update(next_execution_at=claimed_until)
    if run.trigger is None:
        outcome = Delivery(False, "the trigger was deleted")
        run.retries_left = 0
    else:
        outcome = deliver(run.trigger, run.dictionary)
    finished = timezone.now()
    run.attempts += 1
    run.last_execution_at = finished
    run.detail = outcome.detail[:1000]
    if outcome.ok:
        run.status, run.next_execution_at = RunStatus.SUCCESS, None
    elif run.retries_left > 0:
        run.retries_left -= 1
        run.next_execution_at = finished + dt.timedelta(seconds=delay_after(run.attempts))
    else:
        run.status, run.next_execution_at = RunStatus.FAILURE, None
    # Written only while the claim is still ours (a rerun or another worker after the lease
    # would have moved it): the first outcome written wins.
    TriggerRun.objects.filter(pk=run.pk, next_execution_at=claimed_until).update(
        attempts=run.attempts,
        last_execution_at=run.last_execution_at,
        detail=run.detail,
        status=run.status,
        retries_left=run.retries_left,
        next_execution_at=run.next_execution_at,
    )
    logger.info("trigger %s on %s: %s (%s)", run.name, run.event, run.status, run.detail)
    if run.status == RunStatus.PENDING and run.next_execution_at is not None:
        _schedule_retry(str(run.pk), run.next_execution_at)
    return run.status


def _schedule_retry(run_id: str, at: dt.datetime) -> None:
    """The retry is an outbox message for its time (Celery's countdown with a broker, the
    worker thread or ``run_worker`` without one); ``run_due_triggers`` is the safety net."""
    from triggers.firing import enqueue

    try:
        enqueue(run_id, at)
    except Exception:
        logger.exception("could not queue the retry of trigger run %s", run_id)


def run_due(now: dt.datetime | None = None, limit: int = 200) -> int:
    """Runs every due attempt (retries whose time came, runs a lost broker dropped).
    Returns how many attempts were made."""
    now = now or timezone.now()
    ids = list(
        TriggerRun.objects.due(now)
        .order_by("next_execution_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for run_id in ids if execute(str(run_id), now) is not None)


def rerun(run: TriggerRun) -> TriggerRun:
    """A failed run, queued again with its trigger's retries (the caller checked who may)."""
    from triggers.firing import enqueue

    with transaction.atomic():
        run = TriggerRun.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.FAILURE:
            return run
        run.status = RunStatus.PENDING
        run.retries_left = run.trigger.retries if run.trigger else 0
        run.next_execution_at = timezone.now()
        run.save(update_fields=["status", "retries_left", "next_execution_at"])
        enqueue(str(run.pk))
    return run
