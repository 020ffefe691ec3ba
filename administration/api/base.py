"""What every admin API view shares: staff only, bodies read with the client's models,
unsupported fields accepted and reported, problems for what is wrong or missing."""

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from drf_spectacular.utils import OpenApiResponse
from pydantic import BaseModel
from rest_framework.exceptions import ParseError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from administration.services.checks import not_found
from raportal.api.bodies import IGNORED_HEADER, unknown_fields, validated
from raportal.api.negotiation import AnyAccept
from raportal.api.problems import PROBLEM_CONTENT_TYPE
from raportal.api.schema import ProblemSerializer
from raportal.errors import DomainError, forbidden, invalid_request

log = logging.getLogger(__name__)

# Keys of our own answers a client may send back: not reported as unknown.
OUR_KEYS = {"_id", "raportal", "status", "creationDate", "lastAuthentication", "lastModification"}


class IsStaff(BasePermission):
    """Admins only: signed in (API key or session) and staff. Others get 403 SEC-PERM-001."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF answers 401 for anonymous callers
        if not user.is_staff:
            raise forbidden("administration is for staff accounts")
        return True


# Horizon's admin API names its problems per kind of object (the official client's error
# models, raportal/api/error_codes.py ADMIN_CODES): what each reason becomes.
KIND_CODES = {
    "profile": ("CERT-PROFILE-002", "CERT-PROFILE-003", "CERT-PROFILE-004", "CERT-PROFILE-006"),
    "label": ("CERT-LABEL-002", "CERT-LABEL-003", "CERT-LABEL-004", "CERT-LABEL-005"),
    "team": ("TEAM-002", "TEAM-003", "TEAM-004", "TEAM-002"),
    "local identity": ("LOCAL-ID-002", "LOCAL-ID-003", "LOCAL-ID-004", "LOCAL-ID-002"),
    "principal info": ("SEC-PI-002", "SEC-PI-003", "SEC-PI-004", "SEC-PI-002"),
    "principal info search": ("SEC-PI-005", "SEC-PI-003", "SEC-PI-004", "SEC-PI-005"),
    "PKI connector": (
        "PKI-CONNECTOR-002",
        "PKI-CONNECTOR-003",
        "PKI-CONNECTOR-004",
        "PKI-CONNECTOR-005",
    ),
    "CA": ("CA-002", "CA-003", "CA-004", "CA-005"),
    "trigger": ("TRIG-002", "TRIG-003", "TRIG-004", "TRIG-005"),
    # Nothing refers to a campaign: deleting one takes what it found with it.
    "discovery campaign": ("DISC-CAMP-002", "DISC-CAMP-003", "DISC-CAMP-004", "DISC-CAMP-002"),
}
REASONS = ("invalid", "not_found", "exists", "referenced")


def in_horizon_terms(kind: str, error: DomainError) -> DomainError:
    """The generic problem a service raised (REQ-002 invalid, REQ-001 not found, 409
    conflicts) as the code Horizon's admin API gives for this ``kind`` of object."""
    reason = getattr(error, "reason", None)
    if reason is None:
        if error.status == 409:
            reason = "referenced"
        elif (error.code, error.status) == ("REQ-002", 400):
            reason = "invalid"
        elif (error.code, error.status) == ("REQ-001", 404):
            reason = "not_found"
    if reason == "self":
        return DomainError("SEC-PERM-008", error.detail)
    if reason not in REASONS:
        return error
    return DomainError(KIND_CODES[kind][REASONS.index(reason)], error.detail)


class AdminApiView(APIView):
    permission_classes = [IsStaff]
    # The client's deletes (and some writes) accept application/problem+json only: answer
    # JSON whatever was asked rather than 406.
    content_negotiation_class = AnyAccept
    kind: str | None = None  # its problems in Horizon's codes (KIND_CODES)

    def handle_exception(self, exc):
        if isinstance(exc, ParseError):  # not JSON at all: an invalid object too
            exc = invalid_request(f"the body is not valid JSON: {exc.detail}")
        if isinstance(exc, DomainError) and self.kind:
            exc = in_horizon_terms(self.kind, exc)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        ignored = getattr(request, "ignored_fields", None)
        if ignored:
            response[IGNORED_HEADER] = ", ".join(sorted(set(ignored)))
        return super().finalize_response(request, response, *args, **kwargs)


class AcceptAnyView(AdminApiView):
    """The client accepts only ``application/problem+json`` where success has no body (its
    deletes): answer JSON, or nothing, whatever it accepts, instead of 406."""

    # AdminApiView does that already: this class carries the docstring, which drf-spectacular
    # gives as the description of these views' operations (labels, teams, local identities,
    # principal infos).


def read_body[M: BaseModel](request, model: type[M]) -> M:
    """The body as the client's ``model``, or REQ-002 naming what is wrong."""
    data = request.data
    if not isinstance(data, dict):
        raise invalid_request("expected a JSON object")
    ignore(request, *unknown_fields(data, model, also_known=OUR_KEYS))
    return validated(model, data, invalid_request)


@dataclass
class Document:
    """A Horizon document read without a request (``import_config`` reads its file's objects
    with the API's own readers): its JSON, and the fields read and not acted on."""

    data: Any
    ignored: list[str] = field(default_factory=list)


def ignore(request, *fields: str) -> None:
    """Fields we accept and do not act on: named in a response header and logged. They may
    quote what the client sent: only printable ASCII reaches the header (no header
    injection), 120 characters at most each."""
    shown = [_printable(str(field))[:120] for field in fields if field]
    if not shown:
        return
    if isinstance(request, Document):
        request.ignored.extend(shown)
        return
    request._request.ignored_fields = [*getattr(request._request, "ignored_fields", []), *shown]
    log.warning("admin API: ignored unsupported fields %s on %s", shown, request.path)


def _printable(text: str) -> str:
    return "".join(ch if " " <= ch <= "~" and ch != "," else "?" for ch in text)


def permission_filter_value(field: str, text: str | None) -> str | None:
    """The name a principal-info permission's filter names for ``field``: ``<field> = name``,
    ``<field> equals "name"`` (or ``eq``); None when the filter is not of that form."""
    pattern = (
        rf'\s*{field}\s*(?:=|\s(?:equals|eq)\s)\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))\s*'
    )
    match = re.fullmatch(pattern, text or "", re.IGNORECASE)
    if match is None:
        return None
    return match["quoted"] if match["quoted"] is not None else match["bare"]


def set_fields(model: BaseModel) -> set[str]:
    """The aliases of the fields the body actually carried with a value."""
    out = set()
    for name in model.model_fields_set:
        if getattr(model, name) is not None:
            field = type(model).model_fields[name]
            out.add(field.alias or name)
    return out


def named(rows, kind: str, name: str, *, field: str = "name"):
    """The row of the queryset ``rows`` whose ``field`` is ``name``; else 404 REQ-001 naming
    the ``kind`` of object (the services lock what they change)."""
    row = rows.filter(**{field: name}).first()
    if row is None:
        raise not_found(kind, name)
    return row


def conflict_answer(description: str) -> dict:
    """``extend_schema(responses=...)``: the problems of a name already taken (400) or an
    object in use (403, or 400 for connectors, as Horizon answers them), and when they come."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=description)
        for status in (400, 403)
    }


def empty_answer(description: str = "") -> dict:
    """``extend_schema(responses=...)``: the 204 of an empty list."""
    return {204: OpenApiResponse(description=description)}


def no_content_if_empty(items: list) -> Response:
    """Horizon's lists answer 204 when empty; the client reads both."""
    return Response(items) if items else Response(status=204)
