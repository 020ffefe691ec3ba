"""OpenAPI annotations shared by the API views (drf-spectacular): the ``X-API-ID`` +
``X-API-KEY`` security scheme, and the RFC 7807 problems every operation may answer.

Without them the served schema (``/api/schema/``) claimed a session cookie was the only way in
and that every operation answers 200 or nothing; tests/abuse/test_schema_fuzz.py holds the API
to this schema, so what is written here is what the API does.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from raportal.api.error_codes import KNOWN_CODES
from raportal.api.problems import PROBLEM_CONTENT_TYPE


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Both headers together: two schemes in one requirement (OpenAPI 3 ANDs them)."""

    target_class = "raportal.api.authentication.ApiKeyAuthentication"
    name = ["apiId", "apiKey"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "X-API-ID"},
            {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
        ]


class PopAuthenticationScheme(OpenApiAuthenticationExtension):
    """Horizon's proof of possession, on the submit endpoint only (certificates/pop.py).

    Described among the security schemes, but not listed as one of submit's requirements: a
    token the portal refuses answers the contract's 400 SEC-AUTH-010 ("Invalid Jwt Token"),
    where OpenAPI tooling (schemathesis) holds every declared scheme to 401/403. Submit
    documents the header as a parameter instead (requests_app/api/views.py)."""

    target_class = "certificates.pop.PopAuthentication"
    name = "certPop"

    def get_security_requirement(self, auto_schema):
        return None

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-JWT-CERT-POP",
            "description": "A JWS signed with a certificate's key, the certificate (PEM) in "
            "its sub claim: renew, revoke or update that certificate without an account, "
            "where its profile's selfPop permissions allow it.",
        }


@extend_schema_field({"type": "string", "enum": sorted(KNOWN_CODES)})
class ErrorCodeField(serializers.CharField):
    """One of ``KNOWN_CODES``: the contract's codes and those of the official client."""


class ProblemSerializer(serializers.Serializer):
    """RFC 7807, as ``raportal.api.problems.problem_body`` writes it."""

    error = ErrorCodeField(help_text="The error code")
    message = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    status = serializers.IntegerField()

    class Meta:
        ref_name = "Problem"


PROBLEM_DESCRIPTIONS = {
    400: "Invalid input (REQ-002, or the workflow's own code)",
    401: "Missing (SEC-AUTH-009) or wrong (SEC-AUTH-002) credentials",
    403: "The caller may not do this (SEC-PERM-001)",
    404: "No such object, or not one the caller may see",
    413: "Body too large",
    429: "Too many failed authentications from this address or for this X-API-ID "
    "(SEC-AUTH-002, with Retry-After)",
}


def answers(ok, *problem_statuses: int, ok_status: int = 200, ok_media: str | None = None):
    """``extend_schema(responses=...)``: the success answer, then the problems it may give
    (401 and 429 always: every operation needs credentials, and wrong ones are throttled)."""
    ok_key = (ok_status, ok_media) if ok_media else ok_status
    problems = {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer, description=PROBLEM_DESCRIPTIONS[status]
        )
        for status in sorted({401, 429, *problem_statuses})
    }
    return {ok_key: ok, **problems}


LIST_OF_OBJECTS = {"type": "array", "items": {"type": "object", "additionalProperties": True}}
OBJECT = OpenApiTypes.OBJECT


CONTROL_CHARACTERS_400 = (
    "Invalid input (REQ-002): a control character in a path or query parameter "
    "(raportal/control_characters.py), or the operation's own reasons"
)


def document_refused_parameters(result, generator, request, public):
    """drf-spectacular post-processing: an operation that takes path or query parameters
    may answer 400 for any of them holding a control character, whatever its view says."""
    problem = {"$ref": "#/components/schemas/Problem"}
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            places = {parameter.get("in") for parameter in operation.get("parameters", [])}
            if places & {"path", "query"}:
                operation.setdefault("responses", {}).setdefault(
                    "400",
                    {
                        "description": CONTROL_CHARACTERS_400,
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": problem}},
                    },
                )
    return result
