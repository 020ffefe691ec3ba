"""``GET /api/v1/security/passwordpolicies/{name}/generate``: a fresh password satisfying the
named policy, as ``text/plain`` (the client's ``password_policy_generate``)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from profiles.models import PasswordPolicy
from raportal.api.negotiation import AnyAccept
from raportal.api.schema import answers


@extend_schema(responses=answers(OpenApiTypes.STR, ok_media="text/plain"))
class GeneratePasswordView(APIView):
    content_negotiation_class = AnyAccept

    def get(self, request, name: str) -> HttpResponse:
        # As Horizon does (its client documents it): an unknown name falls back to the
        # default policy, so automation written for Horizon keeps working.
        policy = PasswordPolicy.objects.filter(name=name).first() or PasswordPolicy.default()
        response = HttpResponse(policy.generate(), content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "no-store"  # a secret made for this caller only
        return response
