"""The SCEP endpoint (RFC 8894 §4): GetCACaps, GetCACert and PKIOperation over GET and POST.

A message the RA cannot read at all (not CMS, no SCEP attributes, a signature that does not
verify) answers 400 with a text body: there is no transaction to answer in. Every readable
request gets a CertRep signed by the RA — SUCCESS, PENDING, or FAILURE with its failInfo —
never 500 (scep/operations.py).
"""

import base64
import binascii
import logging
import urllib.parse

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from certificates.pki.cms import certs_only
from certificates.pki.scep import ScepError, read_pki_message
from certificates.scep_ra import current_ra
from profiles.models import Module, Profile
from scep.operations import answer

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
# §3.5.2: what this RA can do. AES and SHA-256 are what clients should use; POSTPKIOperation
# lets them POST (no URL length limit); Renewal: RenewalReq with the current certificate.
CAPABILITIES = ["POSTPKIOperation", "SHA-256", "SHA-512", "AES", "DES3", "Renewal", "SCEPStandard"]


def _text(status: int, message: str) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _profile(label: str | None) -> Profile | None:
    name = label or settings.RAPORTAL_SCEP_DEFAULT_PROFILE
    if not name:
        return None
    return (
        Profile.objects.filter(name=name, module=Module.SCEP, enabled=True)
        .select_related("ca")
        .first()
    )


@csrf_exempt
def scep(request: HttpRequest, profile: str | None = None) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return _text(405, "SCEP answers GET and POST")
    found = _profile(profile)
    if found is None:
        if profile is None:
            return _text(404, "no default SCEP profile: use /scep/<profile>")
        return _text(404, f"no enabled SCEP profile is named {profile!r}")
    operation = request.GET.get("operation", "")
    if operation == "GetCACaps":
        return HttpResponse("\n".join(CAPABILITIES) + "\n", content_type="text/plain")
    if operation == "GetCACert":
        return _ca_certificates(found)
    if operation == "PKIOperation":
        return _pki_operation(request, found)
    return _text(400, f"unknown operation {operation[:40]!r}")


def _ca_certificates(profile: Profile) -> HttpResponse:
    """§4.2.1.2: the RA certificate and the CA chain, as a degenerate PKCS#7
    (application/x-x509-ca-ra-cert) — the chain's RSA certificates only. SCEP's envelope
    needs an RSA recipient, and clients that cannot tell which listed certificate is the RA
    encrypt to all of them (micromdm's scepclient among them, which then fails on an EC key):
    an EC CA is left out. Devices that want it fetch the chain from /pki/<ca>.crt."""
    ra = current_ra(profile.ca)
    chain = [ca.certificate for ca in profile.ca.chain()]
    listed = [ra.certificate] + [c for c in chain if isinstance(c.public_key(), rsa.RSAPublicKey)]
    return HttpResponse(certs_only(listed), content_type="application/x-x509-ca-ra-cert")


def _pki_operation(request: HttpRequest, profile: Profile) -> HttpResponse:
    try:
        der = _message(request)
    except ValueError as exc:
        return _text(400, str(exc))
    try:
        message = read_pki_message(der)
    except ScepError as exc:
        log.info("SCEP message refused on %s: %s", profile.name, exc.detail)
        return _text(400, f"not a usable pkiMessage: {exc.detail}")
    body = answer(request, profile, message)
    return HttpResponse(body, content_type="application/x-pki-message")


def _message(request: HttpRequest) -> bytes:
    """The pkiMessage: the POST body (DER), or GET's ``message`` parameter (base64, §4.3)."""
    if request.method == "POST":
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > MAX_MESSAGE_BYTES:
            raise ValueError(f"the message must be at most {MAX_MESSAGE_BYTES} bytes")
        body = request.read(MAX_MESSAGE_BYTES + 1)
        if len(body) > MAX_MESSAGE_BYTES or not body:
            raise ValueError(f"the message must be 1 to {MAX_MESSAGE_BYTES} bytes")
        return body
    text = request.GET.get("message", "")
    if not text or len(text) > MAX_MESSAGE_BYTES * 2:
        raise ValueError("PKIOperation needs a message")
    text = urllib.parse.unquote(text).replace(" ", "+")  # '+' sent unencoded arrives as ' '
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
    except (binascii.Error, ValueError):
        raise ValueError("the message is not base64") from None
