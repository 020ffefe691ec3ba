"""Running a request's failed trigger again (the request's side of Horizon's
``certificate.run``): the service behind the request page's "Run again" button and
``PATCH /api/v1/requests/run/{id}/{triggerName}/{event}``.

Who may: an administrator, or who holds ``perform`` on the request's profile for the event's
workflow (profiles/access.py; ``on_expire`` counts as renew) — the people who act on such
requests. The callers load the request as its viewer may see it first (404 otherwise)."""

from profiles.access import profile_level
from profiles.models import GrantLevel
from raportal.callers import is_administrator
from requests_app.models import Request
from triggers.models import TriggerRun
from triggers.reruns import rerun_audited, workflow_of


def may_rerun_request_trigger(user, request: Request, event: str) -> bool:
    """Whether ``user`` may run the request's triggers on ``event`` again (and read their
    details on its page)."""
    if is_administrator(user):
        return True
    if request.profile is None:
        return False
    return profile_level(user, request.profile, workflow_of(event)) == GrantLevel.PERFORM


def rerun_request_trigger(user, request: Request, name: str, event: str) -> None:
    """Queues again the newest run of trigger ``name`` on ``event`` of ``request``, if it
    failed after its retries (audited on the request): 403 SEC-PERM-001 to who may not,
    404 TRIG-003 without such a run, 400 REQ-004 when it did not fail."""
    allowed = may_rerun_request_trigger(user, request, event)
    runs = TriggerRun.objects.of_request(request.pk)
    rerun_audited(user, request, runs, name, event, allowed=allowed)
