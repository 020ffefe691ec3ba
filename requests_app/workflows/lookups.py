"""Finding what a submission names: a profile, a certificate (by id or by PEM)."""

import uuid
from typing import Any

from cryptography import x509
from django.db.models import QuerySet

from certificates.models import Certificate
from certificates.pki.fingerprints import thumbprint
from certificates.pki.readable import readable_certificate
from profiles import cache
from profiles.access import proven_certificate_id
from profiles.models import Profile
from raportal.callers import Principal, has_account
from raportal.errors import DomainError, forbidden

PROFILE_RELATED = cache.RELATED


def find_profile(name: str, module: str) -> Profile:
    profile = cache.enabled_profile(name, module)
    if profile is None:
        raise DomainError("REQ-010", f"profile {name!r} does not exist or is disabled")
    return profile


def parse_certificate_pem(text: object) -> x509.Certificate:
    """A PEM certificate, or ValueError with a message for the person who sent it."""
    if not isinstance(text, str) or "-----BEGIN CERTIFICATE-----" not in text:
        raise ValueError("certificatePem is not a PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        return readable_certificate(x509.load_pem_x509_certificate(text.strip().encode()))
    except ValueError as exc:
        raise ValueError(
            f"certificatePem does not hold a usable X.509 certificate: {exc}"
        ) from None


def nameable_certificates(user: Principal) -> QuerySet[Certificate]:
    """The certificates a submission by ``user`` may name: those the account may see, and the
    one whose key the caller proved to hold (X-JWT-CERT-POP); for a caller without an
    account, that one only."""
    proven = proven_certificate_id(user)
    if not has_account(user):
        return Certificate.objects.filter(pk=proven) if proven else Certificate.objects.none()
    visible = Certificate.objects.visible_to(user)
    return (visible | Certificate.objects.filter(pk=proven)) if proven else visible


def find_certificate(
    user: Principal,
    data: dict[str, Any],
    *,
    missing: str,
    unknown: str,
    invalid: str | None = None,
) -> Certificate:
    """The certificate named by ``certificateId`` and/or ``certificatePem``, among those the
    user may name (``nameable_certificates``). Error codes are the workflow's: ``missing``
    (none given), ``unknown`` (no such certificate, or not visible: existence is not
    revealed), ``invalid`` (a PEM that does not parse, or an id and a PEM that disagree). A
    caller with nothing but a proof of possession naming another certificate than the proven
    one is refused (403), whether that certificate exists or not."""
    certificate_id, pem = data.get("certificateId"), data.get("certificatePem")
    if not certificate_id and not pem:
        raise DomainError(missing, "name the certificate with certificateId or certificatePem")
    visible = (
        nameable_certificates(user)
        .select_related("profile", *[f"profile__{r}" for r in PROFILE_RELATED])
        .select_related("ca", "owner", "team", "escrowed_key")
    )
    found: Certificate | None = None
    if certificate_id:
        try:
            found = visible.filter(pk=uuid.UUID(str(certificate_id))).first()
        except ValueError:
            found = None
    if pem:
        try:
            parsed = parse_certificate_pem(pem)
        except ValueError as exc:
            raise DomainError(invalid or unknown, str(exc)) from None
        by_pem = visible.filter(thumbprint=thumbprint(parsed)).first()
        if certificate_id and by_pem != found:
            raise DomainError(invalid or unknown, "certificateId and certificatePem disagree")
        found = by_pem
    if found is None and not has_account(user):
        raise forbidden("a proof of possession acts on the proven certificate only")
    if found is None:
        raise DomainError(unknown, "no such certificate (or you may not see it)")
    return found
