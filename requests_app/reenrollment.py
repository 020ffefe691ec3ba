"""A device renews its own certificate (EST simplereenroll, RFC 7030 §4.2.2; SCEP
RenewalReq, RFC 8894 §3.3.1.2): authenticated by the certificate it renews, it sends a CSR
with the same subject and SANs, inside the profile's renewal period. The new certificate
keeps the old one's names, owner, team and labels, and the two are linked as a WebRA renewal
links them (certificates/renewal.py); a completed ``renew`` request of the protocol's module
records it.
"""

import datetime as dt

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certificates.models import Certificate
from certificates.pki import names
from certificates.pki.fingerprints import thumbprint
from certificates.pki.keys import key_type_of
from certificates.renewal import PREVIOUS, mark_renewed
from certificates.services import issue_certificate
from profiles.models import Profile, Workflow
from raportal.errors import DomainError
from raportal.models import record
from requests_app import notifications
from requests_app.challenges import ENROLLMENT, DevicePrincipal, Enrollment, EnrollmentRefused
from requests_app.models import Request, Status
from requests_app.workflows.holder_limit import enforce_holder_limit
from requests_app.workflows.renew import check_renewable


def certificate_presented(presented: x509.Certificate, profile: Profile) -> Certificate:
    """The inventory row of the certificate a device authenticated with, if it was issued on
    ``profile``; EnrollmentRefused("unauthorized") otherwise."""
    row = Certificate.objects.filter(thumbprint=thumbprint(presented)).first()
    if row is None or row.profile_id != profile.pk:
        raise EnrollmentRefused(
            "unauthorized", f"the client certificate was not issued on profile {profile.name}"
        )
    return row


def reenroll(
    presented: x509.Certificate,
    csr: x509.CertificateSigningRequest,
    *,
    profile: Profile,
    protocol: str,
    address: str,
) -> Enrollment:
    """Issues the successor of ``presented`` for the key of ``csr``, in one transaction."""
    row = certificate_presented(presented, profile)
    if csr.subject != presented.subject or _sans(csr) != _sans(presented):
        raise EnrollmentRefused(
            "invalid",
            "the CSR must carry the same subject and subject alternative names as the "
            "certificate it renews (RFC 7030 §4.2.2)",
        )
    key_type = key_type_of(csr.public_key())
    if key_type not in profile.authorized_key_types:
        raise EnrollmentRefused(
            "invalid", f"key type {key_type} is not allowed by profile {profile.name}"
        )
    device = DevicePrincipal(protocol, address, {"certificate": row.serial})
    with transaction.atomic():
        old = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("owner", "team")
            .get(pk=row.pk)
        )
        try:
            check_renewable(old, profile)
            enforce_holder_limit(profile, old.holder_id, device, replacing=old)
            new, certificate = issue_certificate(
                profile=profile,
                public_key=csr.public_key(),
                subject=presented.subject,
                sans=[(san["sanType"], san["value"]) for san in old.sans],
                owner=old.owner,
                team=old.team,
                contact_email=old.contact_email,
                labels=old.labels,
                metadata=[{"key": PREVIOUS, "value": str(old.pk)}],
                actor=device,
            )
        except DomainError as exc:
            kind = "unavailable" if exc.status >= 500 else "invalid"
            raise EnrollmentRefused(kind, exc.detail) from None
        mark_renewed(old, new)
        now = timezone.now()
        expires_at = now + dt.timedelta(days=profile.request_expiry_days(Workflow.RENEW))
        request = Request.objects.create(
            module=protocol,
            workflow=Workflow.RENEW,
            status=Status.COMPLETED,
            profile=profile,
            certificate=new,
            requester_identifier=device.get_username(),
            owner=old.owner,
            team=old.team,
            contact_email=old.contact_email,
            labels=old.labels,
            dn=new.dn,
            holder_id=new.holder_id,
            template={
                PREVIOUS: str(old.pk),
                ENROLLMENT: {
                    "protocol": protocol,
                    "clientAddress": address,
                    "date": now.isoformat(),
                },
            },
            created_at=now,
            updated_at=now,
            expires_at=expires_at,
            remove_at=expires_at + dt.timedelta(days=settings.RAPORTAL_REQUEST_RETENTION_DAYS),
        )
        record(
            device,
            "request.submit.renew",
            request,
            status=request.status,
            serial=new.serial,
            previous=old.serial,
            protocol=protocol,
            clientAddress=address,
        )
        notifications.request_carried_out(request)
    return Enrollment(request, new, certificate)


def _sans(item: x509.Certificate | x509.CertificateSigningRequest) -> list[tuple[str, str]]:
    try:
        general = item.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    found = []
    for name in general:
        try:
            found.append(names.san_of(name))
        except ValueError:
            found.append(("OTHER", repr(name)))
    return sorted(found)
