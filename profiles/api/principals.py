"""Security endpoints of the Horizon API."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from profiles import grants_cache
from raportal.api.schema import OBJECT, answers


@extend_schema(responses=answers(OBJECT))
class PrincipalSelfView(APIView):
    """Who the caller is (the contract's PrincipalResponse): check credentials with it."""

    def get(self, request):
        user = request.user
        held = grants_cache.held_by(user)
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
                        "value": f"lifecycle:{grant.module}:{grant.level}:{grant.workflow}",
                        "filter": f"profile = {grant.profile_name}",
                    }
                    for grant in held.grants
                ],
                # Horizon's administrator role is a staff account here (principal infos).
                "roles": ["administrator"] if user.is_staff else [],
                "teams": [name for _, name in held.teams],
                "teamInfos": [{"name": name, "manager": False} for _, name in held.teams],
            }
        )
