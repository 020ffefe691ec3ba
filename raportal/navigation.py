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
            "to_decide": Request.objects.decidable_by(user).count() if approver else 0,
        }
    }
