"""Answering OCSP requests (RFC 6960, RFC 5019 profile) for the built-in CAs.

An answer costs a lookup, not a signature: the status comes from the database on every
request (so a revocation shows at once), and the signed answer for a (CA, CertID, status)
is kept in the cache for half its validity — a status change changes the cache key, so no
answer outlives the status it states. A request with a nonce is signed afresh (the nonce is
echoed, RFC 8954), and never cached.
"""

import datetime as dt
import functools
import logging
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.ocsp import OCSPCertStatus, OCSPResponseStatus
from django.conf import settings
from django.core.cache import cache

from certificates.models import (
    Certificate,
    CertificateAuthority,
    OcspResponder,
    RevocationReason,
)
from certificates.ocsp_responders import current_signer
from certificates.pki import ocsp, signing
from certificates.pki.fingerprints import hex_serial, thumbprint
from certificates.services import REASON_FLAGS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """A DER OCSPResponse; its thisUpdate and nextUpdate when successful (HTTP caching)."""

    der: bytes
    this_update: dt.datetime | None = None
    next_update: dt.datetime | None = None
    cacheable: bool = False  # signed without a nonce: the same for every asker until nextUpdate


def failure(status: OCSPResponseStatus) -> Answer:
    return Answer(ocsp.unsuccessful(status))


def answer_validity() -> dt.timedelta:
    return dt.timedelta(minutes=settings.RAPORTAL_OCSP_VALIDITY_MINUTES)


def answer(ca_name: str, der: bytes) -> Answer:
    """The OCSPResponse to a DER OCSPRequest sent to the responder of the CA ``ca_name``:
    malformedRequest for what does not parse; unauthorized (RFC 6960 §2.3) for a CA that is
    not one of ours or a CertID naming another issuer; else good, revoked or unknown."""
    try:
        question = ocsp.read_request(der)
    except ocsp.MalformedRequest:
        return failure(OCSPResponseStatus.MALFORMED_REQUEST)
    # Not its CRL (crl_der), which grows with the revocations: what an answer reads only.
    ca = (
        CertificateAuthority.objects.issuers()
        .filter(name=ca_name)
        .only("pk", "name", "certificate_pem")
        .first()
    )
    if ca is None or not names_issuer(ca, question):
        return failure(OCSPResponseStatus.UNAUTHORIZED)
    status = certificate_status(ca, question.serial)
    if question.nonce is not None:
        return _signed(ca, question, status, nonce=question.nonce)
    key = _cache_key(ca, question, status)
    cached = _cache_get(key)
    if cached is not None:
        return cached
    signed = _signed(ca, question, status, nonce=None)
    _cache_set(key, signed)
    return signed


def names_issuer(ca: CertificateAuthority, question: ocsp.Question) -> bool:
    """Whether the CertID's issuer hashes are those of ``ca`` (RFC 6960 §4.1.1)."""
    expected = _issuer_hashes(ca.certificate_pem, question.algorithm.name)
    return expected == (question.issuer_name_hash, question.issuer_key_hash)


@functools.lru_cache(maxsize=256)
def _issuer_hashes(certificate_pem: str, algorithm: str) -> tuple[bytes, bytes]:
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    return ocsp.issuer_hashes(certificate, algorithm)


def certificate_status(ca: CertificateAuthority, serial: int) -> ocsp.Status:
    """The status of the certificate ``ca`` issued with ``serial``: from its Certificate row;
    good for the CA's own helpers (OCSP responders, SCEP RAs) and subordinate CAs, which
    have no row; unknown for a serial the portal never recorded (RFC 6960 §2.2)."""
    wanted = hex_serial(serial)
    row = (
        Certificate.objects.filter(ca=ca, serial=wanted)
        .values_list("revocation_date", "revocation_reason")
        .first()
    )
    if row is not None:
        revoked_at, reason = row
        if revoked_at is None:
            return ocsp.GOOD
        return ocsp.Status(
            OCSPCertStatus.REVOKED,
            revoked_at=revoked_at.replace(microsecond=0),
            reason=_reason(reason),
        )
    if _issued_helper(ca, serial, wanted):
        return ocsp.GOOD
    return ocsp.UNKNOWN


def _reason(value: str) -> x509.ReasonFlags | None:
    # RFC 5280 §5.3.1: "unspecified" is better absent (as on the CRL); so is none at all.
    if value not in RevocationReason.values or value == RevocationReason.UNSPECIFIED:
        return None
    return REASON_FLAGS[RevocationReason(value)]


def _issued_helper(ca: CertificateAuthority, serial: int, wanted: str) -> bool:
    if OcspResponder.objects.filter(ca=ca, serial=wanted).exists():
        return True
    others = [ra.certificate for ra in ca.scep_ras.all()]
    others += [child.certificate for child in ca.children.all()]
    return any(
        certificate.serial_number == serial and certificate.issuer == ca.certificate.subject
        for certificate in others
    )


def _signed(
    ca: CertificateAuthority, question: ocsp.Question, status: ocsp.Status, nonce: bytes | None
) -> Answer:
    try:
        signer = current_signer(ca)
    except Exception:
        # An expired CA, a key that cannot be opened: the client hears internalError, the
        # operator reads the log.
        logger.exception("no OCSP responder for CA %s", ca.name)
        return failure(OCSPResponseStatus.INTERNAL_ERROR)
    this_update = signing.now()
    response = ocsp.sign_response(
        question,
        status,
        responder_cert=signer.certificate,
        responder_key=signer.key,
        this_update=this_update,
        validity=answer_validity(),
        nonce=nonce,
    )
    return Answer(
        response.public_bytes(Encoding.DER),
        this_update=this_update,
        next_update=response.next_update_utc,
        cacheable=nonce is None,
    )


def _cache_key(ca: CertificateAuthority, question: ocsp.Question, status: ocsp.Status) -> str:
    # The CA certificate's thumbprint: an answer about a replaced CA certificate is not reused.
    issuer = thumbprint(ca.certificate)[:16]
    serial = hex_serial(question.serial)
    return f"ocsp:{ca.pk}:{issuer}:{question.algorithm.name}:{serial}:{status.token()}"


def _cache_get(key: str) -> Answer | None:
    try:
        found = cache.get(key)
    except Exception:  # a cache that is down costs a signature, never the answer
        logger.warning("OCSP cache unavailable", exc_info=True)
        return None
    return found if isinstance(found, Answer) else None


def _cache_set(key: str, signed: Answer) -> None:
    if not signed.cacheable:
        return
    # Half the validity: every answer served from the cache still has half of it left.
    timeout = max(int(answer_validity().total_seconds() // 2), 1)
    try:
        cache.set(key, signed, timeout)
    except Exception:
        logger.warning("OCSP cache unavailable", exc_info=True)
