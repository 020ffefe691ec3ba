"""Running a failed trigger again, by hand (Horizon's ``certificate.run``): the newest run of
that trigger and event on the object, if it failed for good (``retryable``).

Who may: an administrator, or who holds ``perform`` on the object's profile for the event's
workflow (``on_expire`` counts as renew) — the callers check it with the access policy and
pass the runs of the object they checked."""

from raportal.errors import DomainError
from triggers.models import RunStatus, TriggerRun
from triggers.runner import rerun

EXPIRE_WORKFLOW = "renew"


def workflow_of(event: str) -> str:
    if event == "on_expire":
        return EXPIRE_WORKFLOW
    return event.rsplit("_", 1)[-1]


def rerun_latest(runs, name: str, event: str) -> TriggerRun:
    """Queues again the newest failed run of ``name`` on ``event`` among ``runs``."""
    run = runs.filter(name=name, event=event).order_by("-created_at").first()
    if run is None:
        raise DomainError("TRIG-003", f"no run of trigger {name!r} on {event} here", status=404)
    if run.status != RunStatus.FAILURE:
        raise DomainError(
            "REQ-004",
            f"trigger {name!r} on {event} is {run.get_status_display().lower()}: only a run "
            "that failed after its retries can be run again",
        )
    return rerun(run)
