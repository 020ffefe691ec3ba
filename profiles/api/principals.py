"""Security endpoints of the Horizon API."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles.models import Grant
from raportal.api.schema import OBJECT, answers


@extend_schema(responses=answers(OBJECT))
class PrincipalSelfView(APIView):
    """Who the caller is (the contract's PrincipalResponse): check credentials with it."""

    def get(self, request):
        user = request.user
        teams = list(user.rap_teams.order_by("name"))
        grants = (
            Grant.objects.for_user(user)
            .select_related("profile")
            .order_by("profile__name", "workflow")
            .distinct()
        )
        return Response(
            {
                "identity": {
                    "identifier": user.get_username(),
                    "email": user.email or None,
                    "name": user.get_full_name() or user.get_username(),
                    "identityProviderType": "Local",
                    "identityProviderName": "local",
                },
                "permissions": [
                    {
                        "value": f"lifecycle:{grant.profile.module}:{grant.level}:{grant.workflow}",
                        "filter": f"profile = {grant.profile.name}",
                    }
                    for grant in grants
                ],
                # Horizon's administrator role is a staff account here (principal infos).
                "roles": ["administrator"] if user.is_staff else [],
                "teams": [team.name for team in teams],
                "teamInfos": [{"name": team.name, "manager": False} for team in teams],
            }
        )
