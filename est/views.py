"""EST operations (RFC 7030 §4): cacerts, csrattrs, simpleenroll, simplereenroll.

Bodies and answers are base64 DER (§4: "Content-Transfer-Encoding: base64"); errors are
plain text with the HTTP status §4.2.3 names — 401 with ``WWW-Authenticate`` when the
credentials are missing or refused, 400 for a CSR the profile does not accept, 404 for an
unknown label, 503 with ``Retry-After`` when the CA cannot issue now — never 500. Devices
authenticate to ``simpleenroll`` with a challenge an EST enroll request created (HTTP Basic,
user name = the request's id or DN, password = the challenge; or the CSR's
challengePassword attribute), and to ``simplereenroll`` with the certificate they renew,
presented over TLS to the proxy in front of the portal (raportal/client_certificates.py).
"""

import base64
import binascii
import logging

from cryptography import x509
from cryptography.x509.oid import AttributeOID
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from certificates.pki.cms import certs_only, csr_attributes
from certificates.pki.csr import load_csr
from profiles.models import Module, Profile
from raportal.client_certificates import presented_certificate
from raportal.throttling import blocked_for, client_ip, record_failure
from requests_app.challenges import Enrollment, EnrollmentRefused, find_challenge, redeem_challenge
from requests_app.models import Status
from requests_app.reenrollment import reenroll

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # a PKCS#10 of an RSA 8192 key is under 3 KiB
PROTOCOL = Module.EST
THROTTLE_SCOPE = "est"
PENDING_RETRY_SECONDS = 60

# Object identifiers of csrattrs (RFC 7030 §4.5.2).
CHALLENGE_PASSWORD = AttributeOID.CHALLENGE_PASSWORD.dotted_string
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
SHA256_WITH_RSA = "1.2.840.113549.1.1.11"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2"
ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3"
CURVES = {"ec-secp256r1": "1.2.840.10045.3.1.7", "ec-secp384r1": "1.3.132.0.34"}
ED25519 = "1.3.101.112"
ED448 = "1.3.101.113"


def _text(status: int, message: str, **headers: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _base64(content_type: str, der: bytes) -> HttpResponse:
    response = HttpResponse(base64.encodebytes(der), content_type=content_type)
    response["Content-Transfer-Encoding"] = "base64"
    return response


def _profile(label: str | None) -> Profile | None:
    name = label or settings.RAPORTAL_EST_DEFAULT_PROFILE
    if not name:
        return None
    return (
        Profile.objects.filter(name=name, module=Module.EST, enabled=True)
        .select_related("ca")
        .first()
    )


def _no_profile(label: str | None) -> HttpResponse:
    if label:
        return _text(404, f"no enabled EST profile is named {label!r}")
    return _text(404, "no default EST profile: use /.well-known/est/<profile>/…")


def _unauthorized(profile: Profile, message: str) -> HttpResponse:
    return _text(
        401, message, WWW_Authenticate=f'Basic realm="EST {profile.name}", charset="UTF-8"'
    )


def _refused(request: HttpRequest, profile: Profile, refusal: EnrollmentRefused) -> HttpResponse:
    log.info(
        "EST %s refused on %s: %s", request.path.rsplit("/", 1)[-1], profile.name, refusal.detail
    )
    if refusal.kind == "unauthorized":
        record_failure(request, THROTTLE_SCOPE, None)
        return _unauthorized(profile, refusal.detail)
    if refusal.kind == "unavailable":
        return _text(503, refusal.detail, Retry_After="3600")
    return _text(400, refusal.detail)


def _issued(enrollment: Enrollment) -> HttpResponse:
    # §4.2.3: the issued certificate, certs-only.
    return _base64(
        "application/pkcs7-mime; smime-type=certs-only", certs_only([enrollment.certificate])
    )


class BadBody(Exception):
    pass


def _csr(request: HttpRequest) -> x509.CertificateSigningRequest:
    """The PKCS#10 of the body (§4.2.1: application/pkcs10, base64 DER; PEM is accepted)."""
    content_type = request.content_type or ""
    if content_type != "application/pkcs10":
        raise BadBody(f"the body must be application/pkcs10, not {content_type or 'untyped'}")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise BadBody(f"the body must be at most {MAX_BODY_BYTES} bytes")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise BadBody(f"the body must be at most {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise BadBody("the body must be the base64 of a DER PKCS#10") from None
    try:
        return load_csr(text)
    except ValueError as exc:
        raise BadBody(f"not a usable PKCS#10: {exc}") from None


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None


def _challenge_password(csr: x509.CertificateSigningRequest) -> str | None:
    try:
        value = csr.attributes.get_attribute_for_oid(AttributeOID.CHALLENGE_PASSWORD).value
    except x509.AttributeNotFound:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None


@require_GET
def cacerts(request: HttpRequest, profile: str | None = None) -> HttpResponse:
    """§4.1: the profile's CA and its chain up to the root."""
    found = _profile(profile)
    if found is None:
        return _no_profile(profile)
    chain = [ca.certificate for ca in found.ca.chain()]
    return _base64("application/pkcs7-mime", certs_only(chain))


@require_GET
def csrattrs(request: HttpRequest, profile: str | None = None) -> HttpResponse:
    """§4.5: what the profile needs in a CSR: its default key type (and curve), a signature
    algorithm that fits it, and challengePassword when the profile uses challenges."""
    found = _profile(profile)
    if found is None:
        return _no_profile(profile)
    oids: list[str] = []
    attributes: dict[str, list[str]] = {}
    if found.challenge_enabled:
        oids.append(CHALLENGE_PASSWORD)
    key_type = found.default_key_type
    if key_type.startswith("rsa-"):
        oids += [RSA_ENCRYPTION, SHA256_WITH_RSA]
    elif key_type in CURVES:
        attributes[EC_PUBLIC_KEY] = [CURVES[key_type]]
        oids.append(ECDSA_WITH_SHA384 if key_type == "ec-secp384r1" else ECDSA_WITH_SHA256)
    elif key_type == "ed-25519":
        oids.append(ED25519)
    elif key_type == "ed-448":
        oids.append(ED448)
    return _base64("application/csrattrs", csr_attributes(oids, attributes))


@csrf_exempt
@require_POST
def simpleenroll(request: HttpRequest, profile: str | None = None) -> HttpResponse:
    """§4.2.1: a CSR authenticated by a challenge → the certificate, challenge spent."""
    found = _profile(profile)
    if found is None:
        return _no_profile(profile)
    wait = blocked_for(request, THROTTLE_SCOPE, None)
    if wait:
        return _text(429, f"too many failed attempts: retry in {wait} s", Retry_After=str(wait))
    if not found.challenge_enabled:
        return _text(403, f"profile {found.name} does not enroll devices with challenges")
    credentials = _basic_credentials(request)
    try:
        csr = _csr(request)
    except BadBody as exc:
        if credentials is None:  # §3.2.3: ask for credentials before judging the request
            return _unauthorized(found, "credentials are required: HTTP Basic with the challenge")
        return _text(400, str(exc))
    identifier, password = credentials if credentials else (None, _challenge_password(csr))
    if not password:
        return _unauthorized(
            found, "credentials are required: HTTP Basic, or a challengePassword in the CSR"
        )
    try:
        challenge = find_challenge(
            found, PROTOCOL, password, identifier=identifier or None, waiting=True
        )
        if challenge.status == Status.PENDING:
            # §4.2.3: accepted, not yet decided (an approver still has to approve the
            # challenge): the device retries after Retry-After with the same request.
            return _text(
                202,
                "the challenge waits for an approver's decision: retry later",
                Retry_After=str(PENDING_RETRY_SECONDS),
            )
        enrollment = redeem_challenge(challenge, csr, protocol=PROTOCOL, address=client_ip(request))
    except EnrollmentRefused as refusal:
        return _refused(request, found, refusal)
    return _issued(enrollment)


@csrf_exempt
@require_POST
def simplereenroll(request: HttpRequest, profile: str | None = None) -> HttpResponse:
    """§4.2.2: the holder of a certificate of this profile renews it, authenticated by it."""
    found = _profile(profile)
    if found is None:
        return _no_profile(profile)
    wait = blocked_for(request, THROTTLE_SCOPE, None)
    if wait:
        return _text(429, f"too many failed attempts: retry in {wait} s", Retry_After=str(wait))
    presented = presented_certificate(request)
    if presented is None:
        return _unauthorized(found, "re-enrollment needs the current certificate, over TLS")
    try:
        csr = _csr(request)
    except BadBody as exc:
        return _text(400, str(exc))
    try:
        enrollment = reenroll(
            presented, csr, profile=found, protocol=PROTOCOL, address=client_ip(request)
        )
    except EnrollmentRefused as refusal:
        return _refused(request, found, refusal)
    return _issued(enrollment)
