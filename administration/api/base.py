"""What every admin API view shares: staff only, bodies read with the client's models,
unsupported fields accepted and reported, problems for what is wrong or missing."""

import logging

from pydantic import BaseModel, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from raportal.api.password_policies import AnyAccept
from raportal.errors import DomainError, forbidden, invalid_request

log = logging.getLogger(__name__)

IGNORED_HEADER = "X-RAPortal-Ignored-Fields"


class IsStaff(BasePermission):
    """Admins only: signed in (API key or session) and staff. Others get 403 SEC-PERM-001."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF answers 401 for anonymous callers
        if not user.is_staff:
            raise forbidden("administration is for staff accounts")
        return True


class AdminApiView(APIView):
    permission_classes = [IsStaff]
    # The client's deletes (and some writes) accept application/problem+json only: answer
    # JSON whatever was asked rather than 406.
    content_negotiation_class = AnyAccept

    def finalize_response(self, request, response, *args, **kwargs):
        ignored = getattr(request, "ignored_fields", None)
        if ignored:
            response[IGNORED_HEADER] = ", ".join(sorted(set(ignored)))
        return super().finalize_response(request, response, *args, **kwargs)


def read_body[M: BaseModel](request, model: type[M]) -> M:
    """The body as the client's ``model``, or REQ-002 naming what is wrong."""
    data = request.data
    if not isinstance(data, dict):
        raise invalid_request("expected a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise invalid_request("; ".join(problems[:20])) from None


def ignore(request, *fields: str) -> None:
    """Fields we accept and do not act on: named in a response header and logged."""
    fields = [field for field in fields if field]
    if not fields:
        return
    request._request.ignored_fields = [*getattr(request._request, "ignored_fields", []), *fields]
    log.warning("admin API: ignored unsupported fields %s on %s", fields, request.path)


def set_fields(model: BaseModel) -> set[str]:
    """The aliases of the fields the body actually carried with a value."""
    out = set()
    for name in model.model_fields_set:
        if getattr(model, name) is not None:
            field = type(model).model_fields[name]
            out.add(field.alias or name)
    return out


def not_found(kind: str, name: str) -> DomainError:
    return DomainError("REQ-001", f"no {kind} named {name!r}", status=404)


def already_exists(kind: str, name: str) -> DomainError:
    return DomainError("REQ-002", f"a {kind} named {name!r} already exists", status=409)


def no_content_if_empty(items: list) -> Response:
    """Horizon's lists answer 204 when empty; the client reads both."""
    return Response(items) if items else Response(status=204)


def localized(text: str) -> list[dict] | None:
    """Our single display text → Horizon's localized strings."""
    return [{"lang": "en", "value": text}] if text else None


def from_localized(values) -> str:
    """Horizon's localized strings → one text: English when given, else the first."""
    if not values:
        return ""
    items = [(getattr(v, "lang", None), getattr(v, "value", "")) for v in values]
    for lang, value in items:
        if (lang or "").lower().startswith("en"):
            return value
    return items[0][1]
