"""The OCSP responder's HTTP edge (RFC 6960 Appendix A, RFC 5019 §5-6): POST
``/ocsp/<ca>`` with a DER OCSPRequest, or GET ``/ocsp/<ca>/<base64 of it, URL-encoded>``.
Every answer is an ``application/ocsp-response`` with HTTP 200, errors included (they are
OCSP's own: malformedRequest, unauthorized, internalError); never a 500."""

import base64
import binascii
import hashlib
import logging
from email.utils import format_datetime

from cryptography.x509.ocsp import OCSPResponseStatus
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from certificates import ocsp

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/ocsp-response"
# A request about one certificate is about a hundred octets; a signed one with its chain a
# few thousand. More is not an OCSP request.
MAX_REQUEST = 16 * 1024


@csrf_exempt  # a protocol endpoint: no session, nothing a forged request could change
@require_http_methods(["GET", "POST"])
def ocsp_endpoint(request, name: str, encoded: str = "") -> HttpResponse:
    """POST (RFC 6960 §A.1.1) at ``/ocsp/<ca>`` (or ``/ocsp/<ca>/``); GET (RFC 5019 §5)
    with the request after the slash (none: malformedRequest)."""
    if request.method == "POST":
        return _post(request, name)
    return _get(name, encoded)


def _post(request, name: str) -> HttpResponse:
    """The DER request as the body (any media type is read: clients that send none exist)."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    too_long = not length.isdigit() or int(length) > MAX_REQUEST
    response = _response(
        ocsp.failure(OCSPResponseStatus.MALFORMED_REQUEST)
        if too_long
        else _answer(name, request.body)
    )
    response["Cache-Control"] = "no-store"  # RFC 5019 §6: POST answers are not for caches
    return response


def _get(name: str, encoded: str) -> HttpResponse:
    """The base64 DER request in the path, URL-encoded (Django has decoded it). The URL-safe
    alphabet and missing padding are accepted too."""
    der = _decode(encoded)
    answer = (
        _answer(name, der)
        if der is not None
        else ocsp.failure(OCSPResponseStatus.MALFORMED_REQUEST)
    )
    response = _response(answer)
    if answer.cacheable and answer.this_update and answer.next_update:
        _cache_headers(response, answer)
    else:
        response["Cache-Control"] = "no-store"
    return response


def _answer(name: str, der: bytes) -> ocsp.Answer:
    try:
        return ocsp.answer(name, der)
    except Exception:
        logger.exception("OCSP answer failed for CA %s", name)
        return ocsp.failure(OCSPResponseStatus.INTERNAL_ERROR)


def _decode(encoded: str) -> bytes | None:
    text = "".join(encoded.split()).replace("-", "+").replace("_", "/")
    if not text or len(text) > MAX_REQUEST * 2:
        return None
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _response(answer: ocsp.Answer) -> HttpResponse:
    return HttpResponse(answer.der, content_type=MEDIA_TYPE)


def _cache_headers(response: HttpResponse, answer: ocsp.Answer) -> None:
    """RFC 5019 §6.2: HTTP caches may keep the answer until its nextUpdate, no longer."""
    assert answer.this_update is not None and answer.next_update is not None
    max_age = max(int((answer.next_update - timezone.now()).total_seconds()), 0)
    response["Cache-Control"] = f"max-age={max_age}, public, no-transform, must-revalidate"
    response["Last-Modified"] = format_datetime(answer.this_update, usegmt=True)
    response["Expires"] = format_datetime(answer.next_update, usegmt=True)
    response["ETag"] = f'"{hashlib.sha1(answer.der).hexdigest()}"'  # noqa: S324 (an ETag)
