"""Issuing, recording and revoking certificates; the CA setup; CRL publication.

Callers hold the transaction: these functions write rows and audit events, and must run
inside ``transaction.atomic()`` so that a failure later in the same request rolls them back.
"""

import datetime as dt

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from certificates.ca_keys import ca_private_key, seal_ca_key
from certificates.holder import holder_id
from certificates.models import (
    Certificate,
    CertificateAuthority,
    EscrowedKey,
    RevocationReason,
)
from certificates.pki import fingerprints, names, signing
from certificates.pki.keys import generate_private_key, key_type_of
from raportal.crypto import open_sealed, seal
from raportal.errors import DomainError
from raportal.models import record

REASON_FLAGS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.CA_COMPROMISE: x509.ReasonFlags.ca_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
}


# --- the built-in PKI ---------------------------------------------------------------------


def create_ca(
    *,
    common_name: str,
    key_type: str,
    validity_days: int,
    parent: CertificateAuthority | None = None,
    organization: str = "",
    country: str = "",
) -> CertificateAuthority:
    """Creates a root CA (no parent) or a CA subordinate to ``parent``."""
    attributes = []
    if country:
        attributes.append(x509.NameAttribute(x509.NameOID.COUNTRY_NAME, country))
    if organization:
        attributes.append(x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, organization))
    attributes.append(x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name))
    subject = x509.Name(attributes)
    key = generate_private_key(key_type)
    with transaction.atomic():
        ca = CertificateAuthority.objects.create(
            name=slugify(common_name), key_type=key_type, parent=parent, sealed_key=b""
        )
        certificate = signing.sign_ca(
            subject=subject,
            public_key=key.public_key(),
            issuer_cert=parent.certificate if parent else None,
            issuer_key=ca_private_key(parent) if parent else key,
            validity_days=validity_days,
            # The issuing CA signs end entities only (pathLen 0); the root is unconstrained.
            path_length=0 if parent else None,
            crl_url=parent.crl_url() if parent else None,
            ca_issuers_url=parent.certificate_url() if parent else None,
        )
        ca.certificate_pem = certificate.public_bytes(Encoding.PEM).decode()
        ca.sealed_key = seal_ca_key(ca.pk, key)
        ca.save(update_fields=["certificate_pem", "sealed_key"])
        record(None, "ca.create", ca, subject=names.name_string(subject))
    return ca


# --- certificates ------------------------------------------------------------------------


def certificate_fields(certificate: x509.Certificate) -> dict:
    """What the Certificate row stores about an X.509 certificate."""
    sans = names.sans_of(certificate.extensions)
    return {
        "pem": certificate.public_bytes(Encoding.PEM).decode(),
        "serial": fingerprints.serial_hex(certificate),
        "thumbprint": fingerprints.thumbprint(certificate),
        "public_key_thumbprint": fingerprints.public_key_thumbprint(certificate),
        "dn": names.name_string(certificate.subject),
        "issuer": names.name_string(certificate.issuer),
        "not_before": certificate.not_valid_before_utc,
        "not_after": certificate.not_valid_after_utc,
        "key_type": key_type_of(certificate.public_key()),
        "signing_algorithm": fingerprints.signing_algorithm(certificate),
        "sans": [{"sanType": t, "value": v} for t, v in sans],
        "self_signed": certificate.issuer == certificate.subject,
        "holder_id": holder_id(certificate.subject, sans),
    }


def ensure_ca_can_issue(ca: CertificateAuthority) -> None:
    """A CA outside its validity period cannot sign: say so instead of failing to sign."""
    now = dt.datetime.now(dt.UTC)
    certificate = ca.certificate
    if not certificate.not_valid_before_utc <= now < certificate.not_valid_after_utc:
        raise DomainError(
            "WEBRA-ENROLL-011",
            f"the issuing CA {ca.name} is not valid now "
            f"({certificate.not_valid_before_utc:%Y-%m-%d} to "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}); an administrator must renew it",
        )


def issue_certificate(
    *,
    profile,
    public_key,
    subject: x509.Name,
    sans: list[tuple[str, str]],
    owner=None,
    team=None,
    contact_email: str = "",
    labels: list[dict] | None = None,
    metadata: list[dict] | None = None,
    private_key_to_escrow=None,
    actor=None,
) -> tuple[Certificate, x509.Certificate]:
    """Signs a certificate with the profile's CA and records it."""
    ca = profile.ca
    ensure_ca_can_issue(ca)
    certificate = signing.sign_leaf(
        ca_cert=ca.certificate,
        ca_key=ca_private_key(ca),
        public_key=public_key,
        subject=subject,
        sans=[names.general_name(t, v) for t, v in sans],
        validity_days=profile.validity_days,
        ekus=profile.extended_key_usages,
        crl_url=ca.crl_url(),
        ca_issuers_url=ca.certificate_url(),
    )
    row = record_certificate(
        certificate,
        ca=ca,
        profile=profile,
        owner=owner,
        team=team,
        contact_email=contact_email,
        labels=labels,
        metadata=metadata,
        private_key_to_escrow=private_key_to_escrow,
    )
    record(actor, "certificate.issue", row, serial=row.serial, dn=row.dn, profile=profile.name)
    return row, certificate


def record_certificate(
    certificate: x509.Certificate,
    *,
    ca: CertificateAuthority | None,
    profile,
    owner=None,
    team=None,
    contact_email: str = "",
    labels: list[dict] | None = None,
    metadata: list[dict] | None = None,
    private_key_to_escrow=None,
) -> Certificate:
    """The Certificate row for an X.509 certificate (issued here or imported), with its key
    escrowed (sealed) when given."""
    row = Certificate.objects.create(
        ca=ca,
        profile=profile,
        module=profile.module if profile else "webra",
        owner=owner,
        team=team,
        contact_email=contact_email or "",
        labels=labels or [],
        metadata=metadata or [],
        **certificate_fields(certificate),
    )
    if private_key_to_escrow is not None:
        der = private_key_to_escrow.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        EscrowedKey.objects.create(certificate=row, sealed_key=seal(der, f"escrow:{row.pk}"))
    else:
        # Known to have no escrowed key: spare the query `row.escrowed` would make.
        Certificate.escrowed_key.related.set_cached_value(row, None)
    return row


def escrowed_private_key(certificate: Certificate):
    """The escrowed key of a certificate (recover), opened from its seal."""
    sealed = bytes(certificate.escrowed_key.sealed_key)
    return serialization.load_der_private_key(open_sealed(sealed, f"escrow:{certificate.pk}"), None)


def issuing_authority(certificate: x509.Certificate) -> CertificateAuthority | None:
    """The built-in CA that signed this certificate, if any (name match + signature)."""
    for ca in CertificateAuthority.objects.all():
        if ca.certificate.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(ca.certificate)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return ca
    return None


def save_certificate(certificate: Certificate, fields: list[str], actor, action: str, **detail):
    """Saves what a request changed on a certificate's record (not the certificate itself:
    its labels, owner, team, contact email, profile) and audits it."""
    if fields:
        certificate.save(update_fields=fields)
    record(actor, action, certificate, serial=certificate.serial, changed=fields, **detail)
    return certificate


def revoke_certificate(certificate: Certificate, reason: str, actor=None) -> Certificate:
    """valid → revoked (once: a revocation's date and reason never change). The caller holds
    the transaction and the row lock; the CA's CRL is regenerated on its next fetch."""
    if certificate.revocation_date is not None:
        raise DomainError(
            "WEBRA-REVOKE-005", f"certificate {certificate.serial} is already revoked"
        )
    certificate.revocation_date = timezone.now()
    certificate.revocation_reason = reason
    certificate.save(update_fields=["revocation_date", "revocation_reason"])
    if certificate.ca_id:
        CertificateAuthority.objects.filter(pk=certificate.ca_id).update(crl_stale=True)
    record(actor, "certificate.revoke", certificate, serial=certificate.serial, reason=reason)
    return certificate


# --- CRLs ----------------------------------------------------------------------------------


def current_crl(ca: CertificateAuthority) -> bytes:
    """The CA's CRL (DER). Regenerated after a revocation and once half its validity has
    passed, so relying parties never fetch one past its nextUpdate."""
    now = timezone.now()
    validity = dt.timedelta(hours=ca.crl_validity_hours)
    if ca.crl_der and not ca.crl_stale and ca.crl_next_update - now > validity / 2:
        return bytes(ca.crl_der)
    with transaction.atomic():
        ca = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
        if ca.crl_der and not ca.crl_stale and ca.crl_next_update - now > validity / 2:
            return bytes(ca.crl_der)  # another worker regenerated it while we waited
        revoked = [
            (int(serial, 16), when, REASON_FLAGS.get(reason))
            for serial, when, reason in _revoked_entries(ca)
        ]
        # Children CAs revoked by this CA appear too (none today: CAs are not revoked here).
        crl = signing.sign_crl(
            ca_cert=ca.certificate,
            ca_key=ca_private_key(ca),
            number=ca.crl_number + 1,
            revoked=revoked,
            validity=validity,
        )
        ca.crl_number += 1
        ca.crl_der = crl.public_bytes(Encoding.DER)
        ca.crl_next_update = crl.next_update_utc
        ca.crl_stale = False
        ca.save(update_fields=["crl_number", "crl_der", "crl_next_update", "crl_stale"])
    return bytes(ca.crl_der)


def _revoked_entries(ca: CertificateAuthority):
    # Expired certificates stay on the CRL: RFC 5280 §3.3 allows removal after expiry, but
    # keeping them costs little and helps verifiers with skewed clocks.
    return (
        Certificate.objects.filter(ca=ca, revocation_date__isnull=False)
        .order_by("revocation_date")
        .values_list("serial", "revocation_date", "revocation_reason")
    )
