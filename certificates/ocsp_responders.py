"""Each CA's delegated OCSP responder (RFC 6960 §4.2.2.2): a certificate the CA issues for
RAPORTAL_OCSP_RESPONDER_DAYS with id-kp-OCSPSigning and id-pkix-ocsp-nocheck, a key of the
CA's own type sealed under RAPORTAL_KEK, the CA key thus used once a renewal, not once an
answer.

A responder is renewed once two thirds of its life have passed: by the first answer that
finds it so (under the CA's row lock, so that concurrent workers make one) and by the hourly
``renew_ocsp_responders`` task. Each process keeps the current responder and its opened key
in memory until then: an answer costs no query for it.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certificates.ca_keys import ca_private_key, open_private_key, seal_private_key
from certificates.models import CertificateAuthority, OcspResponder
from certificates.pki import ocsp
from certificates.pki.fingerprints import serial_hex, thumbprint
from certificates.pki.keys import generate_private_key
from raportal.models import record

logger = logging.getLogger(__name__)

# Renewed with a third of its life left: the answers it signed (RAPORTAL_OCSP_VALIDITY_MINUTES,
# at most a third of its life: settings checks) all end before it does.
RENEW_AT = 2 / 3


@dataclass(frozen=True)
class Signer:
    """A responder ready to sign: its certificate and opened key, and when to renew it."""

    pk: int
    certificate: x509.Certificate
    key: object
    renew_after: dt.datetime


# (CA id, SHA-256 of the CA certificate) → the responder this process signs with.
_signers: dict[tuple[int, str], Signer] = {}


def responder_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.RAPORTAL_OCSP_RESPONDER_DAYS)


def renew_after(responder: OcspResponder) -> dt.datetime:
    return responder.not_before + (responder.not_after - responder.not_before) * RENEW_AT


def current_signer(ca: CertificateAuthority) -> Signer:
    """The responder of ``ca`` to sign with now: from this process's memory, else the newest
    one in the database, else a new one (also when the newest is due for renewal)."""
    issuer = thumbprint(ca.certificate)
    now = timezone.now()
    signer = _signers.get((ca.pk, issuer))
    if signer is not None and now < signer.renew_after:
        return signer
    responder = _newest(ca, issuer)
    if responder is None or now >= renew_after(responder):
        responder = renew_responder(ca)
    signer = Signer(
        pk=responder.pk,
        certificate=responder.certificate,
        key=_open_key(responder),
        renew_after=renew_after(responder),
    )
    _signers[(ca.pk, issuer)] = signer
    return signer


def renew_responder(ca: CertificateAuthority, *, force: bool = False) -> OcspResponder:
    """The newest responder of ``ca``, issued now when there is none under the CA's current
    certificate or it is past two thirds of its life (or ``force``). Under the CA's row lock:
    workers that find it due together make one."""
    with transaction.atomic():
        ca = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
        issuer = thumbprint(ca.certificate)
        responder = _newest(ca, issuer)
        if not force and responder is not None and timezone.now() < renew_after(responder):
            return responder  # another worker renewed it while we waited for the lock
        return _issue(ca, issuer)


def renew_due_responders() -> dict[str, str | None]:
    """Renews every CA's responder that is due (hourly task): each CA's responder serial,
    None for a CA whose responder could not be issued (logged; the others are renewed).
    A CA nobody asked about yet gets its first responder here too."""
    serials: dict[str, str | None] = {}
    for ca in CertificateAuthority.objects.issuers().order_by("created_at"):
        try:
            serials[ca.name] = renew_responder(ca).serial
        except Exception:
            logger.exception("OCSP responder renewal failed for CA %s", ca.name)
            serials[ca.name] = None
    return serials


def _newest(ca: CertificateAuthority, issuer: str) -> OcspResponder | None:
    return ca.ocsp_responders.filter(issuer_thumbprint=issuer).order_by("-not_after").first()


def _context(responder_pk: int) -> str:
    return f"ocsp-responder-key:{responder_pk}"


def _open_key(responder: OcspResponder):
    return open_private_key(responder.sealed_key, _context(responder.pk))


def _issue(ca: CertificateAuthority, issuer: str) -> OcspResponder:
    key = generate_private_key(ca.key_type)
    names = ca.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else ca.name
    subject = x509.Name(
        [
            attribute
            for attribute in ca.certificate.subject
            if attribute.oid in (NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME)
        ]
        + [x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} OCSP Responder"[:64])]
    )
    certificate = ocsp.sign_responder(
        ca_cert=ca.certificate,
        ca_key=ca_private_key(ca),
        public_key=key.public_key(),
        subject=subject,
        validity=responder_lifetime(),
        ca_issuers_url=ca.certificate_url(),
    )
    responder = OcspResponder.objects.create(
        ca=ca,
        issuer_thumbprint=issuer,
        serial=serial_hex(certificate),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        sealed_key=b"",  # sealed below, once the row has the id the seal is bound to
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )
    responder.sealed_key = seal_private_key(key, _context(responder.pk))
    responder.save(update_fields=["sealed_key"])
    record(
        None,
        "ocsp.responder.issue",
        ca,
        serial=responder.serial,
        not_after=responder.not_after.isoformat(),
    )
    return responder
