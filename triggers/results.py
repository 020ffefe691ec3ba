"""Runs as Horizon's ``triggerResults`` (the client's TriggerResult), on requests and
certificates alike.

Horizon's ``triggerType`` names REST calls ``webhook`` (its enum has no ``rest``). A run
waiting for its first attempt or for a retry has no status of its own in that enum: it shows
``failure`` (not succeeded yet) with its ``nextExecutionDate``, and ``retryable`` stays false
until its retries are spent."""

from collections.abc import Callable
from typing import Any

from certificates.outputs import epoch_ms
from triggers.events import PROFILE_EVENTS
from triggers.models import RunStatus, TriggerRun, TriggerType
from triggers.runner import delay_after

RESULT_TYPES: dict[str, str] = {TriggerType.EMAIL: "email", TriggerType.REST: "webhook"}


def result_json(run: TriggerRun, *, with_detail: bool = True) -> dict[str, Any]:
    waiting = run.status == RunStatus.PENDING
    body: dict[str, Any] = {
        "name": run.name,
        "event": run.event,
        "triggerType": RESULT_TYPES.get(run.trigger_type, "webhook"),
        "lastExecutionDate": epoch_ms(run.last_execution_at or run.created_at),
        "status": "success" if run.status == RunStatus.SUCCESS else "failure",
        "retries": run.retries_left,
        "retryable": run.status == RunStatus.FAILURE,
        "detail": (run.detail if with_detail else "")
        or ("waiting for its first attempt" if waiting else ""),
    }
    if waiting and run.next_execution_at:
        body["nextExecutionDate"] = epoch_ms(run.next_execution_at)
        if run.retries_left:
            body["nextDelay"] = f"{delay_after(run.attempts + 1)}s"
    return body


def latest_runs(runs) -> list[TriggerRun]:
    """The newest run of each (trigger name, event): what the object's results show."""
    newest: dict[tuple[str, str], TriggerRun] = {}
    for run in runs.order_by("created_at"):
        newest[(run.name, run.event)] = run
    return list(newest.values())


# The events the client's TriggerResult knows: its enum has no import events, and one such
# result would make the whole request or certificate unreadable with the client. Runs of
# import events show on the pages only.
API_EVENTS = frozenset(event for event in PROFILE_EVENTS if not event.endswith("import"))


def results_of(runs, shows_detail: Callable[[str], bool]) -> list[dict[str, Any]]:
    """``triggerResults``; a run's ``detail`` only for viewers ``shows_detail(event)`` allows
    (who may run it again, as on the pages: it may tell where mail and webhooks went)."""
    runs = runs.filter(event__in=API_EVENTS)
    return [result_json(run, with_detail=shows_detail(run.event)) for run in latest_runs(runs)]


def results_of_request(request_id, shows_detail: Callable[[str], bool]) -> list[dict[str, Any]]:
    return results_of(TriggerRun.objects.of_request(request_id), shows_detail)


def results_of_certificate(
    certificate_id, shows_detail: Callable[[str], bool]
) -> list[dict[str, Any]]:
    return results_of(TriggerRun.objects.of_certificate(certificate_id), shows_detail)
