"""ACME problem documents (RFC 8555 §6.7): RFC 7807 JSON with an
``urn:ietf:params:acme:error:*`` type, ``application/problem+json``."""

import json
from typing import Any

from django.http import HttpResponse

# The RFC's error types (§6.7) and the HTTP status each is answered with.
STATUS = {
    "accountDoesNotExist": 400,
    "alreadyRevoked": 400,
    "badCSR": 400,
    "badNonce": 400,
    "badPublicKey": 400,
    "badRevocationReason": 400,
    "badSignatureAlgorithm": 400,
    "caa": 403,
    "compound": 403,
    "connection": 400,
    "dns": 400,
    "externalAccountRequired": 400,
    "incorrectResponse": 400,
    "invalidContact": 400,
    "malformed": 400,
    "orderNotReady": 403,
    "rateLimited": 429,
    "rejectedIdentifier": 400,
    "serverInternal": 500,
    "tls": 400,
    "unauthorized": 403,
    "unsupportedContact": 400,
    "unsupportedIdentifier": 400,
    "userActionRequired": 403,
}
PREFIX = "urn:ietf:params:acme:error:"


class AcmeProblem(Exception):
    """An error the client gets as a problem document; ``extra`` adds members (e.g.
    ``algorithms`` for badSignatureAlgorithm, §6.2; ``subproblems``, §6.7.1)."""

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        if kind not in STATUS:
            raise ValueError(f"unknown ACME error type {kind}")
        self.kind = kind
        self.detail = detail
        self.status = status or STATUS[kind]
        self.headers = headers or {}
        self.extra = extra

    def document(self) -> dict[str, Any]:
        return {"type": PREFIX + self.kind, "detail": self.detail, **self.extra}


def error_document(kind: str, detail: str) -> dict[str, Any]:
    """A problem as stored on an order or a challenge (their ``error`` field)."""
    return {"type": PREFIX + kind, "detail": detail}


def problem_response(problem: AcmeProblem) -> HttpResponse:
    body = dict(problem.document(), status=problem.status)
    response = HttpResponse(
        json.dumps(body), status=problem.status, content_type="application/problem+json"
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response
