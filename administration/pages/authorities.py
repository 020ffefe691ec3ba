"""The certificate authorities under /manage/authorities/: the CAs the portal holds, and for
each one that signs, its SCEP RA certificate (RFC 8894 §2.2) with the action that renews it."""

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from administration.pages.access import staff_required
from administration.services import authorities as services
from certificates.models import CertificateAuthority, ScepRaCertificate
from certificates.pki import names
from certificates.pki.fingerprints import serial_hex
from certificates.scep_ra import RENEW_BEFORE
from raportal.errors import DomainError


@dataclass(frozen=True)
class RaSummary:
    """What the page shows of an RA certificate: never its key."""

    subject: str
    serial: str
    not_after: object
    created_at: object
    due: bool  # less than RENEW_BEFORE left: the next SCEP request makes a new one


def ra_summary(ra: ScepRaCertificate | None) -> RaSummary | None:
    if ra is None:
        return None
    certificate = ra.certificate
    return RaSummary(
        subject=names.name_string(certificate.subject),
        serial=serial_hex(certificate),
        not_after=ra.not_after,
        created_at=ra.created_at,
        due=ra.not_after <= timezone.now() + RENEW_BEFORE,
    )


@staff_required
def authority_list(request):
    authorities = CertificateAuthority.objects.select_related("parent").order_by("name")
    return render(request, "administration/authorities.html", {"authorities": authorities})


@staff_required
def authority_detail(request, name: str):
    ca = get_object_or_404(CertificateAuthority.objects.select_related("parent"), name=name)
    # The newest is the one in use (certificates/scep_ra.py current_ra); reading it here
    # creates nothing: a GET changes no key.
    ra = ca.scep_ras.first() if ca.has_key else None
    return render(
        request,
        "administration/authority_detail.html",
        {
            "ca": ca,
            "subject": names.name_string(ca.certificate.subject),
            "ra": ra_summary(ra),
            "renew_before_days": RENEW_BEFORE.days,
        },
    )


@staff_required
@require_POST
def scep_ra_renew(request, name: str):
    ca = get_object_or_404(CertificateAuthority, name=name)
    try:
        ra = services.renew_scep_ra(request.user, ca)
    except DomainError as error:
        messages.error(request, error.detail or error.message)
        return redirect("admin-authority-detail", ca.name)
    messages.success(
        request,
        f"New SCEP RA certificate for {ca.name} (serial {serial_hex(ra.certificate)}): "
        "devices receive it with their next GetCACert.",
    )
    return redirect("admin-authority-detail", ca.name)
