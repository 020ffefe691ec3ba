"""Running a failed trigger again, by hand (Horizon's ``certificate.run``): the newest run of
that trigger and event on the object, if it failed for good (``retryable``).

Who may: an administrator, or who holds ``perform`` on the object's profile for the event's
workflow (``on_expire`` counts as renew) — the callers check it with the access policy and
pass the runs of the object they checked."""

from django.db import transaction

from raportal.errors import DomainError, forbidden
from raportal.models import record
from triggers.models import RunStatus, TriggerRun
from triggers.runner import rerun

EXPIRE_WORKFLOW = "renew"


def workflow_of(event: str) -> str:
    if event == "on_expire":
        return EXPIRE_WORKFLOW
    return event.rsplit("_", 1)[-1]


def rerun_audited(user, obj, runs, name: str, event: str, *, allowed: bool) -> TriggerRun:
    """The service of "run again", for a request or a certificate (``obj``, whose ``runs``):
    403 SEC-PERM-001 unless ``allowed`` (the caller's access rule), 404 TRIG-003 without such
    a run, 400 REQ-004 when it did not fail; audited on ``obj``."""
    if not allowed:
        raise forbidden(f"running triggers on {event} needs perform on this profile")
    with transaction.atomic():
        run = rerun_latest(runs, name, event)
        record(user, "trigger.rerun", obj, name=name, event=event)
    return run


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
