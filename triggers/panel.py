"""The "Triggers" panel of a request's or a certificate's page: the newest run of each trigger
and event on the object (the same runs as its ``triggerResults``), in words.

The pages decide who may run a failed trigger again (the services' rule) and pass it here;
the run's ``detail`` (recipients' addresses, a webhook's URL, which may carry a token in its
path) is shown to those operators only."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied

from raportal.errors import DomainError
from triggers.models import RunStatus, TriggerRun, TriggerType
from triggers.results import latest_runs

STATUS_BADGES = {
    RunStatus.SUCCESS: "success",
    RunStatus.PENDING: "warning",
    RunStatus.FAILURE: "danger",
}


@dataclass(frozen=True)
class PanelRow:
    run: TriggerRun
    status: str  # Succeeded, Waiting, Failed
    badge: str  # a Bootstrap colour
    kind: str  # Email, REST webhook
    may_rerun: bool  # failed, and the viewer may run it again
    show_detail: bool


def panel_rows(runs, may_operate: Callable[[str], bool]) -> list[PanelRow]:
    """One row per (trigger, event), newest run; ``may_operate(event)``: whether the viewer
    may run that event's triggers again (and read their details)."""
    rows = []
    for run in sorted(latest_runs(runs), key=lambda r: (r.event, r.name)):
        operator = may_operate(run.event)
        rows.append(
            PanelRow(
                run=run,
                status=RunStatus(run.status).label,
                badge=STATUS_BADGES.get(RunStatus(run.status), "secondary"),
                kind=TriggerType(run.trigger_type).label
                if run.trigger_type in TriggerType.values
                else run.trigger_type,
                may_rerun=operator and run.status == RunStatus.FAILURE,
                show_detail=operator,
            )
        )
    return rows


def rerun_from_page(request, rerun: Callable[[str, str], object]) -> None:
    """The "Run again" button's POST (``name``, ``event``) handed to ``rerun(name, event)``,
    the object's service: its refusal to act is a 403, its other problems a message."""
    name = (request.POST.get("name") or "")[:100]
    event = (request.POST.get("event") or "")[:40]
    try:
        rerun(name, event)
    except DomainError as error:
        if error.code == "SEC-PERM-001":
            raise PermissionDenied(error.detail) from None
        messages.error(request, f"{error.detail} ({error.code})")
    else:
        messages.success(request, f"Trigger {name} on {event} queued to run again.")
