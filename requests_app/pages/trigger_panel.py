"""The request page's "Triggers" panel and its "Run again" button, over the service
requests_app/trigger_runs.py: whoever may see the request sees its runs; who may run them
again (an administrator, perform for the event's workflow) sees the button and the runs'
details."""

from functools import cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from raportal.errors import DomainError
from requests_app import services
from requests_app.models import Request
from requests_app.trigger_runs import may_rerun_request_trigger, rerun_request_trigger
from triggers.models import TriggerRun
from triggers.panel import panel_rows, rerun_from_page


def trigger_panel_context(user, req: Request) -> dict[str, Any]:
    """What the panel's template (templates/triggers/panel.html) needs for this viewer."""
    may_operate = cache(lambda event: may_rerun_request_trigger(user, req, event))
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
    rerun_from_page(
        request, lambda name, event: rerun_request_trigger(request.user, req, name, event)
    )
    return redirect("request-detail", req.pk)
