"""What the RA does with a readable pkiMessage (RFC 8894 §3.3): every branch answers a
CertRep signed by the RA.

- PKCSReq (§3.3.1): the CSR's challengePassword must be an open SCEP challenge of the profile
  (requests_app/challenges.py). An approved one is spent at once: SUCCESS with the
  certificate. One still waiting for an approver (a manual password chosen by a requester
  without ``perform``) answers PENDING and keeps the CSR on the request; the device's next
  PKCSReq or CertPoll, once the request is approved, gets the certificate.
- RenewalReq (§3.3.1.2): signed with the certificate it renews (issued on this profile):
  requests_app/reenrollment.py.
- CertPoll / GetCertInitial (§3.3.3): the transaction's state.
- GetCert (§3.3.4) and GetCRL (§3.3.5): a certificate the CA issued, the CA's CRL.
"""

import base64
import logging

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from django.http import HttpRequest
from django.utils import timezone

from certificates.models import Certificate, CertificateAuthority
from certificates.pki import names
from certificates.pki import scep as messages
from certificates.pki.csr import load_csr
from certificates.pki.scep import FAILURE, PENDING, SUCCESS, PkiMessage, ScepError
from certificates.scep_ra import current_ra, ra_key
from certificates.services import current_crl
from profiles.models import Module, Profile
from raportal.errors import DomainError
from raportal.throttling import blocked_for, client_ip, record_failure
from requests_app.challenges import (
    EnrollmentRefused,
    find_challenge,
    hold_for_approval,
    redeem_challenge,
    waiting_transaction,
)
from requests_app.models import Status
from requests_app.reenrollment import reenroll

log = logging.getLogger(__name__)

PROTOCOL = Module.SCEP
THROTTLE_SCOPE = "scep"
FAIL_INFO = {
    "unauthorized": messages.BAD_REQUEST,
    "invalid": messages.BAD_REQUEST,
    "unavailable": messages.BAD_REQUEST,
}


class Answer(Exception):
    """Stops handling with this CertRep status (and failInfo, certificates or CRL)."""

    def __init__(
        self,
        status: str,
        *,
        fail_info: str | None = None,
        certificates: list[x509.Certificate] | None = None,
        crl: bytes | None = None,
        detail: str = "",
    ):
        super().__init__(detail or status)
        self.status = status
        self.fail_info = fail_info
        self.certificates = certificates
        self.crl = crl
        self.detail = detail


def answer(request: HttpRequest, profile: Profile, message: PkiMessage) -> bytes:
    ra = current_ra(profile.ca)
    # The current RA first, then those it replaced and still valid: a device may hold an
    # older GetCACert (or poll for a request it enveloped to the previous RA).
    recipients = [(ra.certificate, ra_key(ra))] + [
        (older.certificate, ra_key(older))
        for older in profile.ca.scep_ras.filter(not_after__gt=timezone.now()).exclude(pk=ra.pk)
    ]
    try:
        _handle(request, profile, message, recipients)
        raise Answer(FAILURE, fail_info=messages.BAD_REQUEST, detail="nothing to do")
    except Answer as result:
        outcome = result
    except ScepError as exc:
        outcome = Answer(FAILURE, fail_info=exc.fail_info, detail=exc.detail)
    except EnrollmentRefused as refusal:
        if refusal.kind == "unauthorized":
            record_failure(request, THROTTLE_SCOPE, None)
        outcome = Answer(FAILURE, fail_info=FAIL_INFO[refusal.kind], detail=refusal.detail)
    if outcome.status == FAILURE:
        log.info(
            "SCEP %s on %s answered FAILURE (%s): %s",
            message.message_type,
            profile.name,
            outcome.fail_info,
            outcome.detail,
        )
    return messages.cert_rep(
        ra_certificate=ra.certificate,
        ra_key=ra_key(ra),
        request=message,
        status=outcome.status,
        fail_info=outcome.fail_info,
        certificates=outcome.certificates,
        crl=outcome.crl,
    )


def _handle(
    request: HttpRequest,
    profile: Profile,
    message: PkiMessage,
    recipients: list[tuple[x509.Certificate, rsa.RSAPrivateKey]],
) -> None:
    kind = message.message_type
    if kind not in (
        messages.PKCS_REQ,
        messages.RENEWAL_REQ,
        messages.CERT_POLL,
        messages.GET_CERT,
        messages.GET_CRL,
    ):
        raise ScepError(messages.BAD_REQUEST, f"messageType {kind[:8]!r} is not a request")
    if not isinstance(message.signer.public_key(), rsa.RSAPublicKey):
        # Every answer with content is enveloped to the signer's key (§3.3.2): RSA only.
        raise ScepError(messages.BAD_ALG, "the signer's key must be RSA to receive the answer")
    if message.envelope is None:
        raise ScepError(messages.BAD_REQUEST, "the message holds no pkcsPKIEnvelope")
    content = messages.open_envelope(message.envelope, recipients)
    address = client_ip(request)
    if kind == messages.PKCS_REQ:
        _enroll(request, profile, message, _csr(content), address)
    elif kind == messages.RENEWAL_REQ:
        enrollment = reenroll(
            message.signer, _csr(content), profile=profile, protocol=PROTOCOL, address=address
        )
        raise Answer(SUCCESS, certificates=[enrollment.certificate])
    elif kind == messages.CERT_POLL:
        _poll(profile, message, address)
    elif kind == messages.GET_CERT:
        raise Answer(SUCCESS, certificates=[_issued(profile, content)])
    else:
        raise Answer(SUCCESS, crl=_crl(content))


def _csr(content: bytes) -> x509.CertificateSigningRequest:
    """The PKCS#10 in the envelope, checked as every CSR is (certificates/pki/csr.py: its
    signature, its extensions, no invisible characters in its names)."""
    try:
        x509.load_der_x509_csr(content)
    except ValueError:
        # Content that is no DER at all is what a wrong content key gives: RSA decryption
        # with implicit rejection (OpenSSL ≥ 3.2) hands back a random key instead of failing,
        # which now and then unwraps to garbage. Answered as every envelope that cannot open
        # is (badMessageCheck), so the answer tells nothing about the padding.
        raise ScepError(
            messages.BAD_MESSAGE_CHECK, "the envelope does not hold a PKCS#10"
        ) from None
    try:
        return load_csr(base64.b64encode(content).decode())
    except ValueError as exc:
        fail_info = messages.BAD_MESSAGE_CHECK if "signature" in str(exc) else messages.BAD_REQUEST
        raise ScepError(fail_info, f"the envelope does not hold a usable PKCS#10: {exc}") from None


def _challenge_password(csr: x509.CertificateSigningRequest) -> str:
    try:
        value = csr.attributes.get_attribute_for_oid(x509.oid.AttributeOID.CHALLENGE_PASSWORD).value
        return value.decode("utf-8")
    except (x509.AttributeNotFound, UnicodeDecodeError):
        raise EnrollmentRefused("unauthorized", "the CSR carries no challengePassword") from None


def _enroll(
    request: HttpRequest,
    profile: Profile,
    message: PkiMessage,
    csr: x509.CertificateSigningRequest,
    address: str,
) -> None:
    if blocked_for(request, THROTTLE_SCOPE, None):
        raise EnrollmentRefused("unauthorized", "too many failed attempts from this address")
    if not profile.challenge_enabled:
        raise EnrollmentRefused("unauthorized", f"profile {profile.name} uses no challenges")
    challenge = find_challenge(
        profile,
        PROTOCOL,
        _challenge_password(csr),
        dn=names.name_string(csr.subject),
        waiting=True,
    )
    if challenge.status == Status.PENDING:
        hold_for_approval(challenge, csr, transaction_id=message.transaction_id)
        raise Answer(PENDING)
    enrollment = redeem_challenge(challenge, csr, protocol=PROTOCOL, address=address)
    raise Answer(SUCCESS, certificates=[enrollment.certificate])


def _poll(profile: Profile, message: PkiMessage, address: str) -> None:
    """§3.3.3: the transaction's request: waiting, issued now that it is approved, issued
    before, or refused."""
    state = waiting_transaction(profile, PROTOCOL, message.transaction_id)
    if state is None:
        raise ScepError(messages.BAD_CERT_ID, "no request has this transactionID")
    request, csr = state
    if request.status == Status.PENDING:
        raise Answer(PENDING)
    if request.status == Status.COMPLETED and request.certificate is not None:
        raise Answer(SUCCESS, certificates=[_parsed(request.certificate)])
    if request.status == Status.APPROVED and csr is not None:
        enrollment = redeem_challenge(request, csr, protocol=PROTOCOL, address=address)
        raise Answer(SUCCESS, certificates=[enrollment.certificate])
    raise Answer(FAILURE, fail_info=messages.BAD_REQUEST, detail=f"the request is {request.status}")


def _parsed(row: Certificate) -> x509.Certificate:
    return x509.load_pem_x509_certificate(row.pem.encode())


def _issued(profile: Profile, content: bytes) -> x509.Certificate:
    issuer, serial = messages.issuer_and_serial(content)
    digits = format(serial, "x")
    wanted = digits.zfill(len(digits) + len(digits) % 2)  # as stored (fingerprints.serial_hex)
    for row in Certificate.objects.filter(ca=profile.ca, serial=wanted).iterator():
        certificate = _parsed(row)
        if certificate.issuer.public_bytes() == issuer:
            return certificate
    raise ScepError(messages.BAD_CERT_ID, "no such certificate")


def _crl(content: bytes) -> bytes:
    issuer, _ = messages.issuer_and_serial(content)
    for ca in CertificateAuthority.objects.issuers():
        if ca.certificate.subject.public_bytes() == issuer:
            try:
                return current_crl(ca)
            except DomainError as exc:
                raise ScepError(messages.BAD_REQUEST, exc.detail) from None
    raise ScepError(messages.BAD_CERT_ID, "no CA here has this name")
