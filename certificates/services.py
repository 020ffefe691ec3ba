"""Issuing, recording and revoking certificates; the CA setup; CRL publication.

Callers hold the transaction: these functions write rows and audit events, and must run
inside ``transaction.atomic()`` so that a failure later in the same request rolls them back.
"""

import datetime as dt

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from certificates.ca_keys import ca_private_key, seal_ca_key
from certificates.holder import holder_id
from certificates.models import (
    CaEntry,
    Certificate,
    CertificateAuthority,
    EscrowedKey,
    RevocationReason,
)
from certificates.pki import fingerprints, names, signing
from certificates.pki.keys import KEY_TYPES, generate_private_key, key_type_of
from raportal.crypto import open_sealed, seal
from raportal.errors import DomainError, conflict
from raportal.models import record

SIGNING_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)

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
            name=slugify(common_name),
            key_type=key_type,
            parent=parent,
            sealed_key=b"",  # sealed below, once the row has the id the seal is bound to
            backdate=signing.BACKDATE,
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
    """A CA without its key (a trust entry) or outside its validity period cannot sign: say
    so instead of failing to sign."""
    if not ca.has_key:
        ca_private_key(ca)  # raises the DomainError that explains it
    now = dt.datetime.now(dt.UTC)
    certificate = ca.certificate
    if not certificate.not_valid_before_utc <= now < certificate.not_valid_after_utc:
        raise DomainError(
            "WEBRA-ENROLL-011",
            f"the issuing CA {ca.name} is not valid now "
            f"({certificate.not_valid_before_utc:%Y-%m-%d} to "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}); an administrator must renew it",
        )


def leaf_lifetime(ca: CertificateAuthority, profile) -> dt.timedelta:
    """The CA's certificate lifetime when it has one (an integrated connector's crtLifetime),
    else the profile's validity."""
    if ca.certificate_lifetime:
        return ca.certificate_lifetime
    return dt.timedelta(days=profile.validity_days)


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
        validity=leaf_lifetime(ca, profile),
        backdate=ca.backdate,
        ekus=profile.extended_key_usages,
        crl_url=ca.crl_url(),
        ca_issuers_url=ca.certificate_url(),
        ocsp_url=ca.ocsp_url() if profile.ocsp_in_aia else None,
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
    module: str | None = None,
) -> Certificate:
    """The Certificate row for an X.509 certificate (issued here, imported or discovered),
    with its key escrowed (sealed) when given. ``module``: the profile's by default (webra
    without a profile); a discovered certificate is marked ``discovery``, as Horizon does."""
    row = Certificate.objects.create(
        ca=ca,
        profile=profile,
        module=module or (profile.module if profile else "webra"),
        owner=owner,
        team=team,
        contact_email=contact_email or "",
        labels=labels or [],
        metadata=metadata or [],
        **certificate_fields(certificate),
    )
    if private_key_to_escrow is not None:
        escrow_key(row, private_key_to_escrow)
    else:
        # Known to have no escrowed key: spare the query `row.escrowed` would make.
        Certificate.escrowed_key.related.set_cached_value(row, None)
    return row


def escrow_key(certificate: Certificate, private_key) -> EscrowedKey:
    """Keeps the certificate's private key, sealed under RAPORTAL_KEK and bound to the
    certificate's id. The caller checked that the key is the certificate's."""
    der = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    escrowed = EscrowedKey.objects.create(
        certificate=certificate, sealed_key=seal(der, f"escrow:{certificate.pk}")
    )
    Certificate.escrowed_key.related.set_cached_value(certificate, escrowed)
    return escrowed


def escrowed_private_key(certificate: Certificate):
    """The escrowed key of a certificate (recover), opened from its seal."""
    sealed = bytes(certificate.escrowed_key.sealed_key)
    return serialization.load_der_private_key(open_sealed(sealed, f"escrow:{certificate.pk}"), None)


def issuing_authority(certificate: x509.Certificate) -> CertificateAuthority | None:
    """The built-in CA that signed this certificate, if any (name match + signature). A
    trust entry (keyless) is not one: it publishes no CRL for what it signed."""
    for ca in CertificateAuthority.objects.issuers():
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
            "WEBRA-REVOKE-005", f"Certificate is already revoked (serial {certificate.serial})"
        )
    certificate.revocation_date = timezone.now()
    certificate.revocation_reason = reason
    certificate.save(update_fields=["revocation_date", "revocation_reason"])
    if certificate.ca_id:
        CertificateAuthority.objects.filter(pk=certificate.ca_id).update(crl_stale=True)
    record(actor, "certificate.revoke", certificate, serial=certificate.serial, reason=reason)
    return certificate


# --- CRLs ----------------------------------------------------------------------------------


def _fresh_for(ca: CertificateAuthority, now: dt.datetime) -> dt.timedelta:
    """How long the CA's CRL stays valid (none left when it has none)."""
    if ca.crl_next_update is None:
        return dt.timedelta(0)
    return ca.crl_next_update - now


def current_crl(ca: CertificateAuthority) -> bytes:
    """The CA's CRL (DER). Regenerated after a revocation and once half its validity has
    passed, so relying parties never fetch one past its nextUpdate. A keyless CA (a trust
    entry) publishes none: DomainError."""
    if not ca.has_key:
        ca_private_key(ca)  # raises the DomainError that explains it
    now = timezone.now()
    validity = dt.timedelta(hours=ca.crl_validity_hours)
    if ca.crl_der and not ca.crl_stale and _fresh_for(ca, now) > validity / 2:
        return bytes(ca.crl_der)
    with transaction.atomic():
        ca = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
        if ca.crl_der and not ca.crl_stale and _fresh_for(ca, now) > validity / 2:
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


# --- CAs registered by administrators (integrated connectors and trust entries) ------------


def invalid_ca(detail: str) -> DomainError:
    return DomainError("REQ-002", detail)


def _extension_value(certificate: x509.Certificate, ext_class):
    try:
        return certificate.extensions.get_extension_for_class(ext_class).value
    except x509.ExtensionNotFound:
        return None


def check_ca_certificate(certificate: x509.Certificate) -> None:
    """RFC 5280 §4.2.1.9 and §4.2.1.3: a certificate that signs certificates says it is a CA
    (basicConstraints cA TRUE) and may sign them (keyUsage keyCertSign)."""
    basic = _extension_value(certificate, x509.BasicConstraints)
    if basic is None or not basic.ca:
        raise invalid_ca(
            "not a CA certificate: its basicConstraints extension does not say cA=TRUE"
        )
    usage = _extension_value(certificate, x509.KeyUsage)
    if usage is None or not usage.key_cert_sign:
        raise invalid_ca("not a CA certificate: its keyUsage does not include keyCertSign")


def load_ca_key(text: str):
    """A private key from PEM (PKCS#8, or the traditional RSA/EC forms), unencrypted. The
    errors never quote the text: it is a secret."""
    data = (text or "").strip().encode()
    if not data:
        raise invalid_ca("caKey: the private key is empty")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise invalid_ca(
            "caKey: the private key is encrypted; send it unencrypted (it is sealed at rest)"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise invalid_ca("caKey: not a PEM private key that can be read") from None
    if not isinstance(key, SIGNING_KEYS):
        raise invalid_ca(f"caKey: a {type(key).__name__} cannot sign certificates") from None
    return key


def check_key_pair(certificate: x509.Certificate, key) -> str:
    """The key must be the certificate's and of a type we support; its type (``key_type``)."""
    if _public_bytes(key) != _public_bytes(certificate):
        raise invalid_ca("caKey does not match caCert: it is not the certificate's private key")
    return supported_key_type(certificate)


def supported_key_type(certificate: x509.Certificate) -> str:
    key_type = key_type_of(certificate.public_key())
    if key_type not in KEY_TYPES:
        raise invalid_ca(
            f"the CA key type {key_type} is not supported (supported: {', '.join(KEY_TYPES)})"
        )
    return key_type


def authority_with_certificate(certificate: x509.Certificate) -> CertificateAuthority | None:
    der = certificate.public_bytes(Encoding.DER)
    for ca in CertificateAuthority.objects.all():
        if ca.certificate_der == der:
            return ca
    return None


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    if certificate.issuer != issuer.subject:
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _self_signed(certificate: x509.Certificate) -> bool:
    return _issued_by(certificate, certificate)


def _ancestors(ca: CertificateAuthority | None) -> set[int]:
    seen: set[int] = set()
    while ca is not None and ca.pk not in seen:
        seen.add(ca.pk)
        ca = ca.parent
    return seen


def link_chain(ca: CertificateAuthority) -> None:
    """Sets the CA's parent (the registered CA whose subject is its issuer and whose key
    verifies its signature; none for a self-signed root) and fixes the others' links to it:
    a CA it signed that had no parent gets it (an issuing CA registered before its root
    chains once the root comes), a child whose signature it no longer verifies loses it."""
    others = list(CertificateAuthority.objects.exclude(pk=ca.pk).select_related("parent"))
    parent = None
    if not _self_signed(ca.certificate):
        parent = next(
            (
                other
                for other in others
                if _issued_by(ca.certificate, other.certificate)
                and ca.pk not in _ancestors(other)  # a loop of cross-signed CAs: no link
            ),
            None,
        )
    if ca.parent_id != (parent.pk if parent else None):
        ca.parent = parent
        ca.save(update_fields=["parent"])
    for other in others:
        signed = not _self_signed(other.certificate) and _issued_by(
            other.certificate, ca.certificate
        )
        if other.parent_id == ca.pk and not signed:
            other.parent = None
            other.save(update_fields=["parent"])
        elif other.parent_id is None and signed and other.pk not in _ancestors(ca):
            other.parent = ca
            other.save(update_fields=["parent"])


def register_authority(
    *,
    name: str,
    certificate: x509.Certificate,
    key=None,
    certificate_lifetime: dt.timedelta | None = None,
    backdate: dt.timedelta = dt.timedelta(0),
    crl_validity_hours: int | None = None,
    actor=None,
) -> CertificateAuthority:
    """A CA with its key (it signs: an integrated connector) or without (a trust entry, for
    chains). The caller has checked the certificate and the key (``check_ca_certificate``,
    ``check_key_pair``) and holds the transaction."""
    existing = authority_with_certificate(certificate)
    if existing is not None and key is not None and _is_listed_only(existing):
        # Known from the list of CAs only (a CA entry): the connector brings its key.
        return _attach_key(
            existing, name, key, certificate_lifetime, backdate, crl_validity_hours, actor
        )
    if existing is not None:
        kind = "an integrated connector" if existing.has_key else "a trust entry"
        raise conflict(
            f"this CA certificate is already registered as {existing.name!r} ({kind}); "
            "a CA is registered once (a connector is a CA too): update or delete that one",
            reason="exists",
        )
    if CertificateAuthority.objects.filter(name=name).exists():
        raise conflict(f"a CA named {name!r} already exists", reason="exists")
    ca = CertificateAuthority.objects.create(
        name=name,
        certificate_pem=certificate.public_bytes(Encoding.PEM).decode(),
        key_type=key_type_of(certificate.public_key()),
        sealed_key=None,
        certificate_lifetime=certificate_lifetime,
        backdate=backdate,
        **({"crl_validity_hours": crl_validity_hours} if crl_validity_hours else {}),
    )
    if key is not None:
        ca.sealed_key = seal_ca_key(ca.pk, key)
        ca.save(update_fields=["sealed_key"])
    link_chain(ca)
    record(
        actor,
        "ca.register",
        ca,
        subject=names.name_string(certificate.subject),
        with_key=key is not None,
    )
    return ca


def _is_listed_only(ca: CertificateAuthority) -> bool:
    """A keyless CA that has signed nothing here: known only through the list of CAs."""
    return not ca.has_key and not ca.certificates.exists()


def _attach_key(
    ca: CertificateAuthority,
    name: str,
    key,
    certificate_lifetime: dt.timedelta | None,
    backdate: dt.timedelta,
    crl_validity_hours: int | None,
    actor,
) -> CertificateAuthority:
    """A connector for a certificate already in the list of CAs: its row takes the key and the
    connector's name (a keyless CA's name is in no certificate, so it may change)."""
    if name != ca.name and CertificateAuthority.objects.filter(name=name).exists():
        raise conflict(f"a CA named {name!r} already exists", reason="exists")
    previous = ca.name
    ca.name = name
    ca.certificate_lifetime = certificate_lifetime
    ca.backdate = backdate
    if crl_validity_hours:
        ca.crl_validity_hours = crl_validity_hours
    ca.sealed_key = seal_ca_key(ca.pk, key)
    ca.crl_stale = True
    ca.save(
        update_fields=[
            "name",
            "certificate_lifetime",
            "backdate",
            "crl_validity_hours",
            "sealed_key",
            "crl_stale",
        ]
    )
    record(
        actor,
        "ca.register",
        ca,
        subject=names.name_string(ca.certificate.subject),
        with_key=True,
        previous_name=previous,
    )
    return ca


# --- Horizon's list of Certificate Authorities (CA entries) -------------------------------


ENTRY_FLAGS = (
    "trusted_for_client_authentication",
    "trusted_for_server_authentication",
    "outdated_revocation_status_policy",
    "public",
    "downloadable",
)


def free_name(text: str, rows, max_length: int = 64) -> str:
    """A slug of ``text`` that no row of ``rows`` has as its name (``-2``, ``-3``… added)."""
    base = slugify(text)[: max_length - 4].strip("-_") or "ca"
    candidate, number = base, 1
    while rows.filter(name=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _authority_for_entry(
    certificate: x509.Certificate, existing: CertificateAuthority | None, name: str, actor
) -> CertificateAuthority:
    """The CertificateAuthority row of ``certificate``: ``existing`` (a connector's, or
    another entry's), else a new keyless one (a trust entry: completes chains, never signs),
    named after the entry (a keyless CA's name is in no certificate and may change later)."""
    if existing is not None:
        return existing
    return register_authority(
        name=free_name(name, CertificateAuthority.objects), certificate=certificate, actor=actor
    )


def add_ca_entry(*, name: str, certificate: x509.Certificate, actor=None, **flags) -> CaEntry:
    """Adds a CA to the list of Certificate Authorities. A name or a certificate already in
    the list → CA-004 (``reason="exists"``); a connector's certificate may be listed too.
    The caller has checked the certificate (``check_ca_certificate``) and holds the
    transaction."""
    if CaEntry.objects.filter(name=name).exists():
        raise conflict(f"a CA named {name!r} already exists", reason="exists")
    existing = authority_with_certificate(certificate)
    listed = CaEntry.objects.filter(authority=existing).first() if existing else None
    if listed is not None:
        raise conflict(
            f"this CA certificate is already in the list of CAs as {listed.name!r}: update "
            "or delete that one",
            reason="exists",
        )
    authority = _authority_for_entry(certificate, existing, name, actor)
    try:
        with transaction.atomic():  # a concurrent addition of the same name or certificate
            entry = CaEntry.objects.create(name=name, authority=authority, **flags)
    except IntegrityError:
        raise conflict(f"the CA {name!r} is already in the list of CAs", reason="exists") from None
    record(actor, "ca.entry.add", entry, name=name, **_flag_detail(entry))
    return entry


def update_ca_entry(
    entry: CaEntry, *, certificate: x509.Certificate, name: str | None = None, actor=None, **flags
) -> list[str]:
    """Changes an entry's name, certificate and flags; returns what changed. A certificate in
    the list under another entry → CA-004. The caller holds the transaction and the row."""
    changed = []
    if name and name != entry.name:
        if CaEntry.objects.filter(name=name).exclude(pk=entry.pk).exists():
            raise conflict(f"a CA named {name!r} already exists", reason="exists")
        entry.name = name
        changed.append("name")
    previous_authority = entry.authority
    if previous_authority.certificate_der != certificate.public_bytes(Encoding.DER):
        existing = authority_with_certificate(certificate)
        other = CaEntry.objects.filter(authority=existing).exclude(pk=entry.pk).first()
        if other is not None:
            raise conflict(
                f"this CA certificate is already in the list of CAs as {other.name!r}",
                reason="exists",
            )
        entry.authority = _authority_for_entry(certificate, existing, entry.name, actor)
        changed.append("authority")
    for field, value in flags.items():
        if getattr(entry, field) != value:
            setattr(entry, field, value)
            changed.append(field)
    if changed:
        try:
            with transaction.atomic():  # a concurrent change to the same name or certificate
                entry.save(update_fields=changed)
        except IntegrityError:
            raise conflict(
                f"the name or certificate of {entry.name!r} is already in the list of CAs",
                reason="exists",
            ) from None
        record(actor, "ca.entry.update", entry, name=entry.name, changed=changed)
    if "authority" in changed:
        forget_unused_authority(previous_authority, actor)
    return changed


def delete_ca_entry(entry: CaEntry, actor=None) -> None:
    """Removes a CA from the list. A connector of the same certificate keeps issuing; a
    keyless CA nothing else needs is forgotten with it. The caller holds the transaction."""
    authority, name, pk = entry.authority, entry.name, entry.pk
    entry.delete()
    record(actor, "ca.entry.delete", CaEntry(pk=pk), name=name)
    forget_unused_authority(authority, actor)


def delete_connector(ca: CertificateAuthority, actor=None) -> None:
    """Deletes a PKI connector. Its certificate stays in the list of CAs when an entry lists
    it (the row keeps the certificate, loses the key); else the CA goes, as
    ``delete_authority`` allows. The caller holds the transaction and the row."""
    if not ca.entries.exists():
        delete_authority(ca, actor=actor)
        return
    reasons = _issuing_uses(ca)  # the CAs it signed keep their chain: the row stays
    if reasons:
        raise conflict(f"the connector {ca.name} cannot be deleted: {'; '.join(reasons)}")
    ca.sealed_key = None
    ca.save(update_fields=["sealed_key"])
    record(actor, "ca.connector.delete", ca, name=ca.name, listed=True)


def forget_unused_authority(ca: CertificateAuthority, actor=None) -> None:
    """Deletes a keyless CA that nothing needs any more: no entry, no CA it signed, no
    certificate, no profile."""
    if (
        ca.has_key
        or ca.entries.exists()
        or ca.children.exists()
        or ca.certificates.exists()
        or ca.profiles.exists()
    ):
        return
    delete_authority(ca, actor=actor)


def list_authority(ca: CertificateAuthority, actor=None, **flags) -> CaEntry:
    """Lists a CA of the built-in PKI under its own name (init_pki)."""
    entry = CaEntry.objects.create(name=ca.name, authority=ca, **flags)
    record(actor, "ca.entry.add", entry, name=entry.name, **_flag_detail(entry))
    return entry


def _flag_detail(entry: CaEntry) -> dict:
    return {field: getattr(entry, field) for field in ENTRY_FLAGS}


def replace_authority_certificate(
    ca: CertificateAuthority, certificate: x509.Certificate, key=None, actor=None
) -> list[str]:
    """A new certificate (and key) for a registered CA. One that has issued certificates
    keeps its subject and key: its CRL must still verify for them. The same certificate and
    key sent again change nothing (configuration replayed). The caller has checked the pair
    and holds the transaction (and the row lock). Returns the fields changed."""
    changed = []
    same_certificate = ca.certificate_der == certificate.public_bytes(Encoding.DER)
    old_public_key = _public_bytes(ca.certificate)
    if not same_certificate:
        other = authority_with_certificate(certificate)
        if other is not None and other.pk != ca.pk:
            raise conflict(
                f"this CA certificate is already registered as {other.name!r}", reason="exists"
            )
        same_key = old_public_key == _public_bytes(certificate)
        if ca.children.exists() and (certificate.subject != ca.certificate.subject or not same_key):
            raise conflict(
                f"the CA {ca.name} signed other CAs: a new certificate must keep its subject "
                "and key (their chains go through it); register a new CA instead"
            )
        if ca.certificates.exists() and (
            certificate.subject != ca.certificate.subject or not same_key
        ):
            raise conflict(
                f"the CA {ca.name} has issued certificates: a new certificate must keep its "
                "subject and key (its CRL must still verify for them); register a new "
                "connector for a new CA"
            )
        ca.certificate_pem = certificate.public_bytes(Encoding.PEM).decode()
        ca.key_type = key_type_of(certificate.public_key())
        ca.__dict__.pop("_certificate", None)
        ca.crl_stale = True  # its CRL names the issuer and is signed by the key
        changed += ["certificate_pem", "key_type", "crl_stale"]
    new_key = key is not None and (
        not ca.has_key or _public_bytes(key) != old_public_key
    )  # a key matches its certificate (checked): the same public key is the same key
    if new_key:
        ca.sealed_key = seal_ca_key(ca.pk, key)
        changed.append("sealed_key")
    if changed:
        ca.save(update_fields=changed)
    if not same_certificate:
        link_chain(ca)
        record(actor, "ca.certificate", ca, subject=names.name_string(certificate.subject))
    if new_key:
        record(actor, "ca.key", ca)  # that it changed; never what it is
    return changed


def _public_bytes(holder) -> bytes:
    """The SubjectPublicKeyInfo of a certificate or of a private key."""
    public_key = holder.public_key()
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _issuing_uses(ca: CertificateAuthority) -> list[str]:
    """What needs the CA to keep signing: profiles that issue with it, certificates it issued
    (their revocation needs its CRL)."""
    reasons = []
    profiles = list(ca.profiles.values_list("name", flat=True)[:5])
    if profiles:
        reasons.append(f"profiles issue with it ({', '.join(profiles)})")
    if ca.certificates.exists():
        reasons.append("it has issued certificates (their revocation needs its CRL)")
    return reasons


def delete_authority(ca: CertificateAuthority, actor=None) -> None:
    """Deletes a registered CA unless something depends on it: profiles that issue with it,
    certificates it issued (their revocation needs its CRL), CAs it signed. The caller holds
    the transaction."""
    reasons = _issuing_uses(ca)
    children = list(ca.children.values_list("name", flat=True)[:5])
    if children:
        reasons.append(f"it signed the CAs {', '.join(children)}")
    if reasons:
        raise conflict(f"the CA {ca.name} cannot be deleted: {'; '.join(reasons)}")
    name, pk = ca.name, ca.pk
    try:
        with transaction.atomic():
            ca.delete()
    except ProtectedError:
        raise conflict(f"the CA {name} cannot be deleted: other records refer to it") from None
    record(actor, "ca.delete", CertificateAuthority(pk=pk), name=name)
