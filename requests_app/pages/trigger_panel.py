"""The request page's "Triggers" panel and its "Run again" button, over the service
requests_app/trigger_runs.py: whoever may see the request sees its runs; who may run them
again (an administrator, perform for the event's workflow) sees the button and the runs'
details."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from raportal.errors import DomainError
from requests_app import services
from requests_app.models import Request
from requests_app.trigger_runs import may_rerun_request_trigger, rerun_request_trigger
from triggers.models import TriggerRun
from triggers.panel import panel_rows


def trigger_panel_context(user, req: Request) -> dict[str, Any]:
    """What the panel's template (templates/triggers/panel.html) needs for this viewer."""
    allowed: dict[str, bool] = {}

    def may_operate(event: str) -> bool:
        if event not in allowed:
            allowed[event] = may_rerun_request_trigger(user, req, event)
        return allowed[event]

    return {
        "trigger_rows": panel_rows(TriggerRun.objects.of_request(req.pk), may_operate),
        "trigger_run_url": reverse("request-trigger-run", args=[req.pk]),
        "trigger_object": "request",
    }


@login_required
@require_POST
def request_trigger_run(request, request_id):
    """Runs a failed trigger of the request again; 404 to who may not see the request, 403
    to who may see it but not run it."""
    try:
        req = services.request_get(request.user, request_id, deliver_secrets=False).request
    except DomainError:
        raise Http404("no such request") from None
    name = (request.POST.get("name") or "")[:100]
    event = (request.POST.get("event") or "")[:40]
    try:
        rerun_request_trigger(request.user, req, name, event)
    except DomainError as error:
        if error.code == "SEC-PERM-001":
            raise PermissionDenied(error.detail) from None
        messages.error(request, f"{error.detail} ({error.code})")
    else:
        messages.success(request, f"Trigger {name} on {event} queued to run again.")
    return redirect("request-detail", req.pk)
