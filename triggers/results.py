"""Runs as Horizon's ``triggerResults`` (the client's TriggerResult), on requests and
certificates alike.

Horizon's ``triggerType`` names REST calls ``webhook`` (its enum has no ``rest``). A run
waiting for its first attempt or for a retry has no status of its own in that enum: it shows
``failure`` (not succeeded yet) with its ``nextExecutionDate``, and ``retryable`` stays false
until its retries are spent."""

from typing import Any

from triggers.models import RunStatus, TriggerRun, TriggerType
from triggers.runner import delay_after

RESULT_TYPES: dict[str, str] = {TriggerType.EMAIL: "email", TriggerType.REST: "webhook"}


def _ms(value) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def result_json(run: TriggerRun) -> dict[str, Any]:
    waiting = run.status == RunStatus.PENDING
    body: dict[str, Any] = {
        "name": run.name,
        "event": run.event,
        "triggerType": RESULT_TYPES.get(run.trigger_type, "webhook"),
        "lastExecutionDate": _ms(run.last_execution_at or run.created_at),
        "status": "success" if run.status == RunStatus.SUCCESS else "failure",
        "retries": run.retries_left,
        "retryable": run.status == RunStatus.FAILURE,
        "detail": run.detail or ("waiting for its first attempt" if waiting else ""),
    }
    if waiting and run.next_execution_at:
        body["nextExecutionDate"] = _ms(run.next_execution_at)
        if run.retries_left:
            body["nextDelay"] = f"{delay_after(run.attempts + 1)}s"
    return body


def latest_runs(runs) -> list[TriggerRun]:
    """The newest run of each (trigger name, event): what the object's results show."""
    newest: dict[tuple[str, str], TriggerRun] = {}
    for run in runs.order_by("created_at"):
        newest[(run.name, run.event)] = run
    return list(newest.values())


def results_of_request(request_id) -> list[dict[str, Any]]:
    return [result_json(run) for run in latest_runs(TriggerRun.objects.of_request(request_id))]


def results_of_certificate(certificate_id) -> list[dict[str, Any]]:
    return [
        result_json(run) for run in latest_runs(TriggerRun.objects.of_certificate(certificate_id))
    ]
