"""The list of CAs (trust entries) and PKI connectors (the built-in CA with its key): the
administrator's check, the transaction and the configuration revision around the
certificates app's services (certificates/services.py), which keep the PKI rules."""

import datetime as dt
from typing import TypedDict, Unpack

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.db import transaction

from administration.services.checks import require_administrator
from certificates import services as pki
from certificates.ca_keys import ca_private_key
from certificates.models import CaEntry, CertificateAuthority, ScepRaCertificate
from certificates.scep_ra import renew_ra
from profiles import revision
from raportal.callers import Principal
from raportal.errors import DomainError, invalid_request
from raportal.models import record


class EntryFlags(TypedDict, total=False):
    """How far a CA entry is trusted (certificates/services.py ENTRY_FLAGS)."""

    trusted_for_client_authentication: bool
    trusted_for_server_authentication: bool
    outdated_revocation_status_policy: str
    public: bool
    downloadable: bool


def add_ca_entry(
    actor: Principal, *, name: str, certificate: x509.Certificate, **flags: Unpack[EntryFlags]
) -> CaEntry:
    require_administrator(actor)
    with transaction.atomic():
        entry = pki.add_ca_entry(name=name, certificate=certificate, actor=actor, **flags)
        revision.bump()
    return entry


def update_ca_entry(
    actor: Principal,
    entry: CaEntry,
    *,
    certificate: x509.Certificate,
    name: str | None = None,
    **flags: Unpack[EntryFlags],
) -> CaEntry:
    """The entry's name, certificate and flags; returns the entry as saved."""
    require_administrator(actor)
    with transaction.atomic():
        entry = CaEntry.objects.select_for_update().get(pk=entry.pk)
        changed = pki.update_ca_entry(
            entry, certificate=certificate, name=name, actor=actor, **flags
        )
        if changed:
            revision.bump()
    return entry


def delete_ca_entry(actor: Principal, entry: CaEntry) -> None:
    require_administrator(actor)
    with transaction.atomic():
        pki.delete_ca_entry(CaEntry.objects.select_for_update().get(pk=entry.pk), actor=actor)
        revision.bump()


def create_connector(
    actor: Principal,
    *,
    name: str,
    certificate: x509.Certificate,
    key: PrivateKeyTypes,
    certificate_lifetime: dt.timedelta | None = None,
    backdate: dt.timedelta = dt.timedelta(0),
    crl_validity_hours: int | None = None,
) -> CertificateAuthority:
    """An integrated connector: the CA ``certificate`` with its ``key`` (checked as a pair
    here), sealed at rest."""
    require_administrator(actor)
    pki.check_key_pair(certificate, key)
    with transaction.atomic():
        ca = pki.register_authority(
            name=name,
            certificate=certificate,
            key=key,
            actor=actor,
            certificate_lifetime=certificate_lifetime,
            backdate=backdate,
            crl_validity_hours=crl_validity_hours,
        )
        revision.bump()
    return ca


def update_connector(
    actor: Principal,
    ca: CertificateAuthority,
    *,
    certificate: x509.Certificate | None,
    key: PrivateKeyTypes | None,
    certificate_lifetime: dt.timedelta | None,
    backdate: dt.timedelta,
    crl_validity_hours: int,
) -> CertificateAuthority:
    """Lifetimes always; the certificate, the key or both when given. A new certificate
    without a key must be for the key the CA has."""
    require_administrator(actor)
    with transaction.atomic():
        ca = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
        if certificate is not None and key is None:
            try:
                pki.check_key_pair(certificate, ca_private_key(ca))
            except DomainError:
                raise invalid_request(
                    f"caCert: not a certificate for the key of {ca.name}; a new key comes "
                    "with it in caKey"
                ) from None
        elif key is not None:
            pki.check_key_pair(certificate or ca.certificate, key)
        changed: list[str] = []
        if certificate is not None or key is not None:
            changed = pki.replace_authority_certificate(
                ca, certificate or ca.certificate, key, actor=actor
            )
        settings = {
            "certificate_lifetime": certificate_lifetime,
            "backdate": backdate,
            "crl_validity_hours": crl_validity_hours,
        }
        altered = [field for field, value in settings.items() if getattr(ca, field) != value]
        if altered:
            if "crl_validity_hours" in altered:
                ca.crl_stale = True  # the next CRL has the new validity
            for field in altered:
                setattr(ca, field, settings[field])
            ca.save(update_fields=[*altered, "crl_stale"])
            record(actor, "ca.settings", ca, changed=altered)
        if changed or altered:
            revision.bump()
    return ca


def delete_connector(actor: Principal, ca: CertificateAuthority) -> None:
    require_administrator(actor)
    with transaction.atomic():
        ca = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
        pki.delete_connector(ca, actor=actor)
        revision.bump()


def renew_scep_ra(actor: Principal, ca: CertificateAuthority) -> ScepRaCertificate:
    """A new SCEP RA certificate and key for ``ca`` (RFC 8894 §2.2), used from now on: devices
    pick it up with their next GetCACert. The CA signs it, so it must hold its key. renew_ra
    writes the audit event (scep.ra.create)."""
    require_administrator(actor)
    with transaction.atomic():
        ca = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
        if not ca.has_key:
            raise invalid_request(
                f"{ca.name} holds no private key: it cannot issue a SCEP RA certificate"
            )
        ra = renew_ra(ca, actor=actor)
        revision.bump()
    return ra
