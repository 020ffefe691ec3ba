"""``/api/v1/acme/eab``: External Account Binding keys (RFC 8555 §7.3.4) for administrators,
with the admin API's authentication (X-API-ID/X-API-KEY or a session with CSRF), staff only
(403 SEC-PERM-001), problems as application/problem+json.

- ``GET /api/v1/acme/eab[?profile=name]``: the keys, newest first — never their HMAC key;
- ``POST /api/v1/acme/eab`` ``{"profile", "user" | "team", "comment"}``: 201 with the key's
  ``kid`` and ``hmacKey`` (base64url), the only time the HMAC key is ever shown;
- ``GET``/``DELETE /api/v1/acme/eab/<kid>``: one key; 404 REQ-001 for an unknown kid.
"""

from typing import Any

from django.urls import path
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from acme_server import account_admin as services
from acme_server.models import ExternalAccountKey
from administration.api.base import AdminApiView, ignore
from administration.services.checks import not_found
from profiles.models import Profile
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.errors import invalid_request

FIELDS = ("profile", "user", "team", "comment")
MAX_COMMENT = 200


def _ms(value) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def key_json(key: ExternalAccountKey) -> dict[str, Any]:
    """A key as the API shows it: everything but its HMAC key."""
    return {
        "kid": key.kid,
        "profile": key.profile.name,
        "user": key.user.get_username() if key.user is not None else None,
        "team": key.team.name if key.team is not None else None,
        "comment": key.comment,
        "createdBy": key.created_by.get_username() if key.created_by is not None else None,
        "createdAt": _ms(key.created_at),
        "usedAt": _ms(key.used_at),
        "account": getattr(key, "bound_account_id", None),
        "directoryUrl": services.directory_url(key.profile),
    }


def _string(data: dict[str, Any], field: str, *, limit: int = 200) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid_request(f"{field}: expected a string")
    if len(value) > limit:
        raise invalid_request(f"{field}: at most {limit} characters")
    return value


def _acme_profile(name: str) -> Profile:
    if not name:
        raise invalid_request("profile: name the ACME profile the key is for")
    profile = Profile.objects.filter(name=name).first()
    if profile is None:
        raise not_found("profile", name)
    if profile.module != "acme":
        raise invalid_request(f"profile: {name!r} is not an ACME profile")
    return profile


class EabKeyListView(AdminApiView):
    @extend_schema(
        operation_id="acme_eab_list",
        summary="External Account Binding keys (never their HMAC key)",
        responses=answers(LIST_OF_OBJECTS, 400, 403, 404),
    )
    def get(self, request):
        name = request.query_params.get("profile")
        profile = _acme_profile(name) if name is not None else None
        return Response([key_json(key) for key in services.eab_keys(profile)])

    @extend_schema(
        operation_id="acme_eab_create",
        summary="A new External Account Binding key; its hmacKey is shown once",
        request=OBJECT,
        responses=answers(OBJECT, 400, 403, 404, ok_status=201),
    )
    @sensitive_variables("hmac_key", "body")
    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise invalid_request("expected a JSON object with profile, user or team, comment")
        ignore(request, *(str(field) for field in data if field not in FIELDS))
        profile = _acme_profile(_string(data, "profile", limit=64))
        comment = _string(data, "comment", limit=MAX_COMMENT)
        user, team = services.holder_from_names(data.get("user"), data.get("team"))
        key, hmac_key = services.create_key(
            request.user, profile, user=user, team=team, comment=comment
        )
        body = key_json(services.eab_keys().get(pk=key.pk))
        body["hmacKey"] = hmac_key
        body["certbot"] = services.certbot_command(profile, key.kid, hmac_key)
        response = Response(body, status=201)
        response["Cache-Control"] = "no-store"
        return response


class EabKeyDetailView(AdminApiView):
    def _key(self, kid: str) -> ExternalAccountKey:
        key = services.eab_keys().filter(kid=kid).first()
        if key is None:
            raise not_found("EAB key", kid)
        return key

    @extend_schema(
        operation_id="acme_eab_get",
        summary="One External Account Binding key (never its HMAC key)",
        responses=answers(OBJECT, 403, 404),
    )
    def get(self, request, kid: str):
        return Response(key_json(self._key(kid)))

    @extend_schema(
        operation_id="acme_eab_delete",
        summary="Withdraws a key; an account it bound keeps its binding",
        responses=answers(None, 403, 404, ok_status=204),
    )
    def delete(self, request, kid: str):
        services.delete_key(request.user, self._key(kid))
        return Response(status=204)


urlpatterns = [
    path("api/v1/acme/eab", EabKeyListView.as_view(), name="api-acme-eab"),
    path("api/v1/acme/eab/<text:kid>", EabKeyDetailView.as_view(), name="api-acme-eab-key"),
]
