"""Horizon's local identities (``SecurityIdentityLocalApi``): accounts that sign in with a
password kept here. A local identity is a Django account with a usable password; accounts made
through principal infos (no password) have none until one is added here.

- ``identifier`` is the username, ``email`` the account's e-mail, ``name`` its first and last
  name (split at the first space). ``PUT`` changes only the fields it carries with a value
  (the e-mail is also the principal info's ``contact``: leaving it out keeps it).
- ``POST`` may leave the password out, as Horizon's client documents: the local identity then
  exists with no password until one is set (``PATCH``/``POST /password`` by an
  administrator); it cannot sign in meanwhile. No invitation e-mail is sent. For an account
  that exists without a password (made through principal infos) it adds the local identity.
  Such an identity is marked by an unusable password of its own (``AWAITING_PASSWORD``:
  Django's ``!`` prefix, which no password ever matches), so that it is told apart from an
  account that has no local identity at all.
- ``DELETE`` removes the local identity: the account can no longer sign in with a password,
  and keeps its teams, grants, API keys and history.
- Passwords go through the password validators (``AUTH_PASSWORD_VALIDATORS``: the local
  password policy, as Horizon applies one, and Django's common-password checks); what they
  object to is answered, the password itself never is, nor logged, nor its hash.
- ``PATCH`` without an identifier (or with the caller's) changes the caller's own password and
  needs ``previousPassword``: any signed-in account may. Wrong previous passwords count as
  failed sign-ins (raportal/throttling.py). With another account's identifier, and
  ``POST /password``, an administrator sets that account's password (no previous one; the
  ``uuid`` of Horizon's e-mailed reset link is not used).
- ``GET /password/{identifier}`` (ask for a reset e-mail) answers 400: this RA has no password
  reset by e-mail; an administrator sets the password instead.
"""

from django.contrib.auth import get_user_model, update_session_auth_hash
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from administration.api.base import (
    AcceptAnyView,
    AdminApiView,
    IsStaff,
    conflict_answer,
    empty_answer,
    ignore,
    named,
    no_content_if_empty,
    read_body,
    set_fields,
)
from administration.services import accounts as services
from administration.services.accounts import is_local, local_accounts, validated_password
from administration.services.checks import require_may_manage
from raportal import throttling
from raportal.api.authentication import AuthenticationThrottled
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.errors import forbidden, invalid_request
from raportal.horizon_models import LocalIdentity, LocalIdentityOnAdd, SetPasswordRequest

CONFLICT = conflict_answer("The local identity exists already, or is the caller's own")
NO_RESET_MAIL = (
    "password reset by e-mail is not available on this RA Portal: an administrator sets the "
    "password (POST /api/v1/security/identity/locals/password)"
)


def identity_json(user) -> dict:
    """Horizon's LocalIdentityResponse (never a password, nor its hash)."""
    return {
        "_id": str(user.pk),
        "identifier": user.get_username(),
        "email": user.email or None,
        "name": user.get_full_name() or None,
    }


def _local(identifier: str):
    field = get_user_model().USERNAME_FIELD
    return named(local_accounts(), "local identity", identifier, field=field)


def _signed_in_by_session(request) -> bool:
    return isinstance(request.successful_authenticator, SessionAuthentication)


def _set_password(request, user, password: str, action: str) -> None:
    services.set_password(request.user, user, password=password, action=action)
    if user.pk == request.user.pk and _signed_in_by_session(request):
        update_session_auth_hash(request._request, user)  # keeps this session signed in


def _set_password_of(request, identifier: str, password: str) -> None:
    """An administrator sets the password of the local identity ``identifier`` — another
    account's: one's own password changes with PATCH and the previous password, so that a
    stolen session or key cannot lock its owner out."""
    user = _local(identifier)
    if user.pk == request.user.pk:
        raise invalid_request(
            "identifier: your own password changes with PATCH "
            "/api/v1/security/identity/locals and previousPassword"
        )
    require_may_manage(request.user, user)
    validated_password(password, user)
    _set_password(request, user, password, "localidentity.password.set")


class LocalListView(AcceptAnyView):
    kind = "local identity"

    def get_permissions(self):
        # Changing one's own password is for every signed-in account; the rest is staff's.
        if self.request.method == "PATCH":
            return [IsAuthenticated()]
        return [IsStaff()]

    @extend_schema(
        operation_id="security_identity_local_list",
        responses={**answers(LIST_OF_OBJECTS, 403), **empty_answer()},
    )
    def get(self, request):
        users = local_accounts().order_by(get_user_model().USERNAME_FIELD)
        return no_content_if_empty([identity_json(user) for user in users])

    @extend_schema(
        operation_id="security_identity_local_add",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, ok_status=201), **CONFLICT},
    )
    def post(self, request):
        body = read_body(request, LocalIdentityOnAdd)
        user = services.create_local_account(
            request.user,
            identifier=body.identifier,
            email=body.email,
            name=body.name,
            password=body.password,
        )
        return Response(identity_json(user), status=201)

    @extend_schema(
        operation_id="security_identity_local_update",
        request=OBJECT,
        responses=answers(OBJECT, 400, 403, 404),
    )
    def put(self, request):
        body = read_body(request, LocalIdentity)
        given = set_fields(body)
        user = _local(body.identifier)
        services.update_account(
            request.user,
            user,
            email=body.email if "email" in given else None,
            name=body.name if "name" in given else None,
        )
        return Response(identity_json(user))

    @extend_schema(
        operation_id="security_identity_local_password_set",
        request=OBJECT,
        responses=answers(None, 400, 403, 404, ok_status=204),
    )
    def patch(self, request):
        body = read_body(request, SetPasswordRequest)
        caller = request.user
        if body.identifier is not None and body.identifier != caller.get_username():
            if not caller.is_staff:
                raise forbidden("only administrators set another account's password")
            _set_password_of(request, body.identifier, body.password)
            return Response(status=204)
        self._change_own_password(request, body)
        return Response(status=204)

    def _change_own_password(self, request, body) -> None:
        user = request.user
        username = user.get_username()
        wait = throttling.blocked_for(request, "web", username)
        if wait:
            setattr(request._request, throttling.REQUEST_FLAG, wait)
            raise AuthenticationThrottled(wait)
        if not is_local(user):
            raise invalid_request("this account has no local password to change")
        previous = body.previous_password.get_secret_value() if body.previous_password else ""
        if not previous:
            raise invalid_request("previousPassword: required to change your own password")
        if not user.check_password(previous):
            throttling.record_failure(request, "web", username)
            raise invalid_request("previousPassword: not the current password")
        validated_password(body.password, user)
        _set_password(request, user, body.password, "localidentity.password.change")


class LocalDetailView(AcceptAnyView):
    kind = "local identity"

    @extend_schema(operation_id="security_identity_local_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, identifier):
        return Response(identity_json(_local(identifier)))

    @extend_schema(
        operation_id="security_identity_local_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, identifier):
        services.delete_local_identity(request.user, _local(identifier))
        return Response(status=204)


class LocalPasswordView(AdminApiView):
    """``POST /password``: an administrator sets an account's password."""

    kind = "local identity"

    @extend_schema(
        operation_id="security_identity_local_password_reset",
        request=OBJECT,
        responses=answers(None, 400, 403, 404, ok_status=204),
    )
    def post(self, request, identifier=None):
        body = read_body(request, SetPasswordRequest)
        ignore(request, *(field for field in ("uuid", "previousPassword") if field in request.data))
        if not body.identifier:
            raise invalid_request("identifier: required (the account whose password to set)")
        _set_password_of(request, body.identifier, body.password)
        return Response(status=204)


class LocalPasswordResetRequestView(AcceptAnyView):
    kind = "local identity"

    @extend_schema(
        operation_id="security_identity_local_password_reset_request",
        responses=answers(None, 400, 403, ok_status=201),
    )
    def get(self, request, identifier):
        raise invalid_request(NO_RESET_MAIL)


urlpatterns = [
    path("api/v1/security/identity/locals", LocalListView.as_view()),
    path(
        "api/v1/security/identity/locals/password",
        LocalPasswordView.as_view(),
        {"identifier": "password"},
    ),
    path(
        "api/v1/security/identity/locals/password/<text:identifier>",
        LocalPasswordResetRequestView.as_view(),
    ),
    path("api/v1/security/identity/locals/<text:identifier>", LocalDetailView.as_view()),
]
