"""revokeCert (RFC 8555 §7.6): who may revoke, then the portal's revoke workflow.

Authorized are the account that ordered the certificate, an account holding valid
authorizations for every name in it, and whoever signs with the certificate's own key (a
``jwk`` request). Once proven, the caller carries the certificate in its ACME binding — the
access policy's rule for ACME callers (profiles/access.py) — and the revocation is filed as a
portal revoke request like any other: audited, in the CRL, OCSP told.
"""

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.utils import timezone
from josepy.errors import Error as JoseError
from josepy.jwk import JWK

from acme_server.jws import Signed, b64url_decode, thumbprint
from acme_server.models import AcmeAuthorization, AcmeOrder, AuthorizationStatus
from acme_server.principal import acting_principal, key_holder
from acme_server.problems import AcmeProblem
from certificates.models import Certificate, RevocationReason
from certificates.pki.fingerprints import thumbprint as certificate_thumbprint
from profiles.access import ACME_ATTRIBUTE
from profiles.models import Profile
from raportal.errors import DomainError
from requests_app.services import request_submit
from requests_app.workflows import handler_for

# RFC 5280 §5.3.1 reason codes the portal revokes with (certificateHold and the attribute-
# certificate reasons are not for end-entity certificates it issues).
REASONS = {
    0: RevocationReason.UNSPECIFIED,
    1: RevocationReason.KEY_COMPROMISE,
    2: RevocationReason.CA_COMPROMISE,
    3: RevocationReason.AFFILIATION_CHANGED,
    4: RevocationReason.SUPERSEDED,
    5: RevocationReason.CESSATION_OF_OPERATION,
}


def _certificate(payload: dict[str, Any] | None) -> tuple[x509.Certificate, Certificate]:
    text = (payload or {}).get("certificate")
    if not isinstance(text, str):
        raise AcmeProblem("malformed", "revokeCert needs certificate, base64url DER")
    try:
        parsed = x509.load_der_x509_certificate(b64url_decode(text))
    except ValueError:
        raise AcmeProblem("malformed", "the certificate cannot be read") from None
    row = (
        Certificate.objects.filter(thumbprint=certificate_thumbprint(parsed))
        .select_related("profile", "ca")
        .first()
    )
    if row is None:
        raise AcmeProblem("unauthorized", "this server did not issue this certificate")
    return parsed, row


def _reason(payload: dict[str, Any] | None) -> str:
    code = (payload or {}).get("reason", 0)
    if isinstance(code, bool) or not isinstance(code, int) or code not in REASONS:
        raise AcmeProblem("badRevocationReason", f"reason {code!r} is not one of {sorted(REASONS)}")
    return REASONS[code]


def _holds_all_names(signed: Signed, certificate: x509.Certificate) -> bool:
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        dns_names = {name.lower() for name in sans.value.get_values_for_type(x509.DNSName)}
    except x509.ExtensionNotFound:
        return False
    if not dns_names:
        return False
    held = AcmeAuthorization.objects.filter(
        order__account=signed.account,
        status=AuthorizationStatus.VALID,
        expires_at__gt=timezone.now(),
    ).values_list("identifier_value", "wildcard")
    names = {("*." if wildcard else "") + value for value, wildcard in held}
    return dns_names <= names


def _key_signed(signed: Signed, certificate: x509.Certificate) -> bool:
    pem = certificate.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    try:
        return thumbprint(JWK.load(pem)) == thumbprint(signed.key)
    except (ValueError, TypeError, JoseError):
        return False


def revoke(profile: Profile, signed: Signed, address: str) -> None:
    parsed, row = _certificate(signed.payload)
    if row.profile_id != profile.pk:
        # A directory revokes what it issued: a WebRA or EST certificate's key holder goes
        # through the portal's own rules (its profile's proof-of-possession permissions).
        raise AcmeProblem("unauthorized", "this directory did not issue this certificate")
    reason = _reason(signed.payload)
    if signed.account is not None:
        ordered = AcmeOrder.objects.filter(account=signed.account, certificate=row).exists()
        if not ordered and not _holds_all_names(signed, parsed):
            raise AcmeProblem(
                "unauthorized", "this account neither ordered this certificate nor holds its names"
            )
        caller = acting_principal(signed.account, address)
    else:
        if not _key_signed(signed, parsed):
            raise AcmeProblem("unauthorized", "the request is not signed by the certificate's key")
        caller = key_holder(profile.pk, address)
    if row.revoked:
        raise AcmeProblem("alreadyRevoked", "this certificate is already revoked")
    getattr(caller, ACME_ATTRIBUTE).revocable_certificate = row.pk
    data = {"certificateId": str(row.pk), "template": {"revocationReason": reason}}
    try:
        request_submit(caller, handler_for("webra", "revoke"), data)
    except DomainError as exc:
        if exc.code == "WEBRA-REVOKE-005":
            raise AcmeProblem("alreadyRevoked", exc.detail) from None
        raise AcmeProblem("unauthorized", exc.detail) from None
