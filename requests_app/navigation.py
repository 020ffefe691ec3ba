"""What the navigation offers: only what the signed-in user may do."""

from typing import Any

from django.http import HttpRequest

from profiles.access import RIGHTS_FIELDS, Caller
from profiles.models import GrantLevel, Profile, Workflow
from requests_app.models import Request


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    enabled = list(Profile.objects.enabled().only("module", *RIGHTS_FIELDS))
    module_of = {profile.pk: profile.module for profile in enabled}
    caller = Caller.of(user, enabled)  # profiles/access.py decides
    grants = {
        (module_of[profile_id], workflow, level)
        for (profile_id, workflow), level in caller.profile_levels().items()
    }
    # The pages enroll and import on WebRA profiles: EST and SCEP profiles enroll devices
    # through their protocols. Approvers decide requests of every module.
    webra = {workflow for module, workflow, _ in grants if module == "webra"}
    approver = any(level == GrantLevel.PERFORM for _, _, level in grants)
    return {
        "nav": {
            "enroll": Workflow.ENROLL in webra,
            "import": Workflow.IMPORT in webra
            or caller.on_profile(None, Workflow.IMPORT) is not None,
            "approver": approver,
            "to_decide": _to_decide(request) if approver else 0,
        }
    }


MENU_COUNT_LIMIT = 100  # beyond, the menu says "99+": counting 100 000 rows on every page
# would cost more than the page itself; the queue page gives the exact number.


def _to_decide(request: HttpRequest) -> int | str:
    """How many requests wait for the user (the queue page has counted them already)."""
    counted = getattr(request, "to_decide", None)
    if counted is None:
        counted = Request.objects.decidable_by(request.user)[:MENU_COUNT_LIMIT].count()
    return counted if counted < MENU_COUNT_LIMIT else f"{MENU_COUNT_LIMIT - 1}+"
