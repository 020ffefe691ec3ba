"""What the navigation offers: only what the signed-in user may do."""

from typing import Any

from django.http import HttpRequest

from profiles.access import RIGHTS_FIELDS, Caller
from profiles.models import Profile, Workflow
from requests_app.models import Request

RIGHTS = "menu_rights"  # the request's attribute holding menu_rights(), read once


def menu_rights(request: HttpRequest) -> dict[str, bool]:
    """What the signed-in user may do from the menu, read once per request: the pages behind
    the entries ask the same (the approvers' pages answer 404 where the menu offers no
    "To decide"), and do not read it twice."""
    rights = getattr(request, RIGHTS, None)
    if rights is not None:
        return rights
    enabled = list(Profile.objects.enabled().only("module", *RIGHTS_FIELDS))
    module_of = {profile.pk: profile.module for profile in enabled}
    caller = Caller.of(request.user, enabled)  # profiles/access.py decides
    # The pages enroll and import on WebRA profiles: EST and SCEP profiles enroll devices
    # through their protocols. Approvers decide requests of every module.
    webra = {
        workflow
        for (profile_id, workflow) in caller.profile_levels()
        if module_of[profile_id] == "webra"
    }
    rights = {
        "enroll": Workflow.ENROLL in webra,
        "import": Workflow.IMPORT in webra or caller.on_profile(None, Workflow.IMPORT) is not None,
        "approver": caller.approves_anything(),
    }
    setattr(request, RIGHTS, rights)
    return rights


def navigation(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    rights = menu_rights(request)
    return {"nav": {**rights, "to_decide": _to_decide(request) if rights["approver"] else 0}}


MENU_COUNT_LIMIT = 100  # beyond, the menu says "99+": counting 100 000 rows on every page
# would cost more than the page itself; the queue page gives the exact number.


def _to_decide(request: HttpRequest) -> int | str:
    """How many requests wait for the user (the queue page has counted them already)."""
    counted = getattr(request, "to_decide", None)
    if counted is None:
        counted = Request.objects.decidable_by(request.user)[:MENU_COUNT_LIMIT].count()
    return counted if counted < MENU_COUNT_LIMIT else f"{MENU_COUNT_LIMIT - 1}+"
