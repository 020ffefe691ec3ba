"""``GET /api/v1/security/passwordpolicies/{name}/generate``: a fresh password satisfying the
named policy, as ``text/plain`` (the client's ``password_policy_generate``)."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView

from profiles.models import PasswordPolicy
from raportal.api.schema import answers


class AnyAccept(BaseContentNegotiation):
    """The client asks for ``text/plain`` or ``application/problem+json`` (it sends the
    latter): the password is plain text, problems are JSON whatever was asked."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


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
