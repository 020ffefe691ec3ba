"""SCEP's RA certificate for a CA (RFC 8894 §2.2): an RSA key (SCEP envelopes with RSA key
transport; the portal's CAs may be EC), a certificate the CA issues it with digitalSignature
and keyEncipherment, the key sealed at rest under RAPORTAL_KEK as the CA keys are.

``current_ra`` gives the newest one with more than RENEW_BEFORE left, creating one when there
is none (init_pki creates the first); ``renew_ra`` (an administrator's action) adds a fresh
one at once. Devices pick it up with their next GetCACert.
"""

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.db import transaction
from django.utils import timezone

from certificates.ca_keys import ca_private_key, open_private_key, seal_private_key
from certificates.models import CertificateAuthority, ScepRaCertificate
from certificates.pki import signing
from certificates.pki.fingerprints import serial_hex
from raportal.callers import Principal
from raportal.models import record

RA_KEY_SIZE = 2048
RA_VALIDITY = dt.timedelta(days=365)
RENEW_BEFORE = dt.timedelta(days=30)

_keys: dict[tuple[int, bytes], rsa.RSAPrivateKey] = {}


def _context(ra_pk: int) -> str:
    return f"scep-ra-key:{ra_pk}"


def current_ra(ca: CertificateAuthority) -> ScepRaCertificate:
    """The RA certificate of ``ca`` to use now (created when none is valid long enough)."""
    fresh = ca.scep_ras.filter(not_after__gt=timezone.now() + RENEW_BEFORE).first()
    if fresh is not None:
        return fresh
    with transaction.atomic():
        CertificateAuthority.objects.select_for_update().filter(pk=ca.pk).first()
        fresh = ca.scep_ras.filter(not_after__gt=timezone.now() + RENEW_BEFORE).first()
        return fresh if fresh is not None else _create(ca, actor=None)


def renew_ra(ca: CertificateAuthority, actor: Principal) -> ScepRaCertificate:
    """A new RA certificate and key for ``ca``, used from now on."""
    with transaction.atomic():
        CertificateAuthority.objects.select_for_update().filter(pk=ca.pk).first()
        return _create(ca, actor=actor)


def ra_key(ra: ScepRaCertificate) -> rsa.RSAPrivateKey:
    sealed = bytes(ra.sealed_key)
    cache_key = (ra.pk, sealed[-16:])
    key = _keys.get(cache_key)
    if key is None:
        loaded = open_private_key(sealed, _context(ra.pk))
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError("the SCEP RA key is not RSA")
        key = _keys[cache_key] = loaded
    return key


def _create(ca: CertificateAuthority, actor: Principal | None) -> ScepRaCertificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=RA_KEY_SIZE)
    names = ca.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else ca.name
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} SCEP RA"[:64])]
        + [
            attribute
            for attribute in ca.certificate.subject
            if attribute.oid in (NameOID.ORGANIZATION_NAME, NameOID.COUNTRY_NAME)
        ]
    )
    certificate = signing.sign_leaf(
        ca_cert=ca.certificate,
        ca_key=ca_private_key(ca),
        public_key=key.public_key(),
        subject=subject,
        sans=[],
        validity=RA_VALIDITY,
        ekus=[],
        crl_url=ca.crl_url(),
        ca_issuers_url=ca.certificate_url(),
    )
    ra = ScepRaCertificate.objects.create(
        ca=ca,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        sealed_key=b"",
        not_after=certificate.not_valid_after_utc,
    )
    ra.sealed_key = seal_private_key(key, _context(ra.pk))
    ra.save(update_fields=["sealed_key"])
    record(actor, "scep.ra.create", ca, serial=serial_hex(certificate))
    return ra
