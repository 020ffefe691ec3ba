"""RFC 7807 problem responses for every error the API answers.

Body: ``error`` (the contract's code), ``message`` and ``title`` (the contract's message),
``detail`` (what went wrong this time) and ``status``. Content type
``application/problem+json``. No stack trace and no HTML ever leave ``/api/``.
"""

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response

from raportal.api.error_codes import KNOWN_CODES
from raportal.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_body(code: str, detail: str | None = None, status: int | None = None) -> dict:
    default_status, message = KNOWN_CODES[code]
    return {
        "error": code,
        "message": message,
        "title": message,
        "detail": detail or message,
        "status": status or default_status,
    }


def problem_response(code: str, detail: str | None = None, status: int | None = None) -> Response:
    body = problem_body(code, detail, status)
    return Response(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)


def plain_problem_response(
    code: str, detail: str | None = None, status: int | None = None
) -> HttpResponse:
    """The same problem, for code that runs outside DRF (middleware, URL fallbacks)."""
    body = problem_body(code, detail, status)
    return HttpResponse(json.dumps(body), status=body["status"], content_type=PROBLEM_CONTENT_TYPE)


def flatten_errors(detail, prefix: str = "") -> list[str]:
    """DRF validation detail (nested dicts/lists) → 'template.subject[0].element: required'."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            if isinstance(key, int):  # a list's errors, keyed by the item's index
                path = f"{prefix}[{key}]"
            elif key == "non_field_errors":
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else key
            out += flatten_errors(value, path)
        return out
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [f"{prefix}: {item}" if prefix else str(item) for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:
                out += flatten_errors(item, f"{prefix}[{index}]")
        return out
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def problem_exception_handler(exc, context):
    response = _problem_for(exc)
    # What went wrong, for operators reading the log beside the access line (a client that
    # hides its errors, such as Ansible with no_log, leaves nothing else). Details name fields
    # and the rule broken, never a password or key.
    body = response.data
    log.info(
        "problem %s %s: %s", body.get("status"), body.get("error"), str(body.get("detail"))[:300]
    )
    return response


def _problem_for(exc):
    if isinstance(exc, DomainError):
        return problem_response(exc.code, exc.detail, exc.status)
    if isinstance(exc, exceptions.NotAuthenticated):
        return problem_response("SEC-AUTH-009")
    if isinstance(exc, exceptions.AuthenticationFailed):
        return problem_response("SEC-AUTH-002")
    if isinstance(exc, exceptions.PermissionDenied):
        if str(exc.detail).startswith("CSRF Failed"):
            # Horizon answers a failed CSRF check of a cookie-authenticated call this way.
            return problem_response("SEC-AUTH-002", "CSRF token missing or incorrect")
        return problem_response("SEC-PERM-001", str(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return problem_response("REQ-002", f"The body is not valid JSON: {exc.detail}")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return problem_response("REQ-002", "Send the body as application/json.")
    if isinstance(exc, exceptions.ValidationError):
        return problem_response("REQ-002", "; ".join(flatten_errors(exc.detail)) or None)
    if isinstance(exc, (exceptions.NotFound, Http404)):
        return problem_response("REQ-001", "Not found", status=404)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return problem_response("REQ-002", str(exc.detail), status=405)
    if isinstance(exc, exceptions.NotAcceptable):
        return problem_response("REQ-002", str(exc.detail), status=406)
    if isinstance(exc, exceptions.Throttled):
        return problem_response("REQ-002", str(exc.detail), status=429)
    if isinstance(exc, exceptions.APIException):
        return problem_response("REQ-002", str(exc.detail), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return problem_response(
            "REQ-002",
            f"The body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            status=413,
        )
    if isinstance(exc, SuspiciousOperation):
        return problem_response("REQ-002", "The request was refused as malformed.")
    log.exception("unexpected error in API view", exc_info=exc)
    return problem_response("REQ-001", "Unexpected error; it has been logged.", status=500)
