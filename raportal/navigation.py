"""What the navigation offers: only what the signed-in user may do."""

from profiles.models import Grant, Workflow
from requests_app.models import Request


def navigation(request):
    user = request.user
    if not user.is_authenticated:
        return {}
    # The pages are WebRA's: EST and SCEP profiles enroll devices through their protocols.
    workflows = set(
        Grant.objects.for_user(user)
        .filter(profile__enabled=True, profile__module="webra")
        .values_list("workflow", flat=True)
        .distinct()
    )
    return {
        "nav": {
            "enroll": Workflow.ENROLL in workflows,
            "import": Workflow.IMPORT in workflows or user.is_superuser,
            "to_decide": Request.objects.pending_for(user).count() if workflows else 0,
        }
    }
