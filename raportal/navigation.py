"""What the navigation offers: only what the signed-in user may do."""

from profiles.models import Grant, GrantLevel, Workflow
from requests_app.models import Request


def navigation(request):
    user = request.user
    if not user.is_authenticated:
        return {}
    grants = set(
        Grant.objects.for_user(user)
        .filter(profile__enabled=True)
        .values_list("profile__module", "workflow", "level")
        .distinct()
    )
    # The pages enroll and import on WebRA profiles: EST and SCEP profiles enroll devices
    # through their protocols. Approvers decide requests of every module.
    webra = {workflow for module, workflow, _ in grants if module == "webra"}
    approver = any(level == GrantLevel.PERFORM for _, _, level in grants)
    return {
        "nav": {
            "enroll": Workflow.ENROLL in webra,
            "import": Workflow.IMPORT in webra or user.is_superuser,
            "approver": approver,
            "to_decide": _to_decide(request) if approver else 0,
        }
    }


MENU_COUNT_LIMIT = 100  # beyond, the menu says "99+": counting 100 000 rows on every page
# would cost more than the page itself; the queue page gives the exact number.


def _to_decide(request) -> int | str:
    """How many requests wait for the user (the queue page has counted them already)."""
    counted = getattr(request, "to_decide", None)
    if counted is None:
        counted = Request.objects.decidable_by(request.user)[:MENU_COUNT_LIMIT].count()
    return counted if counted < MENU_COUNT_LIMIT else f"{MENU_COUNT_LIMIT - 1}+"
