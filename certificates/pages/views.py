"""Certificate pages: my certificates, one certificate (details, chain, history, and what the
apps above add: certificates/extensions.py), downloads."""

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from certificates import extensions
from certificates.models import Certificate
from certificates.pages.lineage import lineage_of
from certificates.pages.list_filters import ListFilters
from certificates.pki import filenames, names
from certificates.pki.describe import describe_certificate
from certificates.renewal import PREVIOUS, RENEWED
from profiles.access import Caller
from profiles.models import Workflow
from raportal.models import AuditEvent
from raportal.query_strings import QueryField, QueryForm, reads_query

STATUSES = ("valid", "expiring", "expired", "revoked")
EXPIRING = dt.timedelta(days=30)  # "expiring soon": one month left


def status_of(certificate: Certificate, now=None) -> str:
    now = now or timezone.now()
    if certificate.revoked:
        return "revoked"
    if certificate.not_after <= now:
        return "expired"
    if certificate.not_after - now <= EXPIRING:
        return "expiring"
    return "valid"


def with_status(certificates, wanted: str, now):
    """The certificates whose ``status_of`` is ``wanted`` (one of STATUSES)."""
    live = Q(revocation_date__isnull=True)
    return certificates.filter(
        {
            "revoked": Q(revocation_date__isnull=False),
            "expired": live & Q(not_after__lte=now),
            "expiring": live & Q(not_after__gt=now, not_after__lte=now + EXPIRING),
            "valid": live & Q(not_after__gt=now + EXPIRING),  # the badge says "expiring" below
        }[wanted]
    )


class CertificateQuery(QueryForm):
    q = QueryField(label="Name, serial, SAN or label")
    status = QueryField(label="Status")
    # What the dashboard's charts narrow the list to (certificates/pages/list_filters.py).
    scope = QueryField(label="Whose")
    profile = QueryField(label="Profile")
    module = QueryField(label="Protocol")
    issued_from = QueryField(label="Issued from")
    issued_to = QueryField(label="Issued until")
    expires_from = QueryField(label="Expires from")
    expires_to = QueryField(label="Expires until")


@login_required
@reads_query(CertificateQuery)
def certificate_list(request, query: CertificateQuery):
    searched = query.value("q").strip()
    wanted = query.value("status") if query.value("status") in STATUSES else ""
    now = timezone.now()
    narrowed = ListFilters.read(query.value)
    certificates = (
        narrowed.apply(narrowed.base(request.user))
        .search(searched)
        .select_related("profile", "owner", "team")
        .defer("pem")
        if query.is_valid()
        else Certificate.objects.none()  # nothing searched for what cannot be searched
    )
    if wanted:
        certificates = with_status(certificates, wanted, now)
    page = Paginator(certificates.order_by("not_after", "pk"), 20).get_page(query.value("page"))
    shown = list(page)
    lineage = lineage_of(request.user, shown)  # one query for the page, none per row
    rows = [(c, status_of(c, now), lineage[c.pk]) for c in shown]
    return render(
        request,
        "certificates/certificate_list.html",
        {
            "query": query,
            "page": page,
            "rows": rows,
            "q": searched,
            "status": wanted,
            "statuses": STATUSES,
            "filtered": bool(searched or wanted or narrowed.shown()),
            "narrowed": narrowed,
        },
        status=query.page_status,
    )


EXPIRING_WITHIN = (7, 30, 90)  # the expiring view's choices, in days
DEFAULT_EXPIRING_WITHIN = 30


class ExpiringQuery(QueryForm):
    within = QueryField(label="Expiring within (days)")


@login_required
@reads_query(ExpiringQuery)
def expiring_certificates(request, query: ExpiringQuery):
    """The certificates of the list (the user's own and their teams') that still need
    someone: valid, not renewed, expiring within 7, 30 or 90 days — soonest first. The
    expiry notices link here."""
    try:
        within = int(query.value("within") or DEFAULT_EXPIRING_WITHIN)
    except ValueError:
        within = DEFAULT_EXPIRING_WITHIN
    if within not in EXPIRING_WITHIN:
        within = DEFAULT_EXPIRING_WITHIN
    now = timezone.now()
    certificates = (
        Certificate.objects.owned_by(request.user)  # the list's scope, nothing more
        .expiring(dt.timedelta(days=within), now)
        .select_related("profile", "owner", "team")
        .defer("pem")
        if query.is_valid()
        else Certificate.objects.none()
    )
    page = Paginator(certificates.order_by("not_after", "pk"), 20).get_page(query.value("page"))
    # Renew is offered where the access policy gives the user renew on the certificate (the
    # renew page says why it cannot be done now, if it cannot).
    caller = Caller.of(request.user, {c.profile for c in page if c.profile is not None})
    rows = [
        (
            c,
            max(0, (c.not_after - now).days),
            c.profile is not None
            and c.profile.enabled
            and caller.on_certificate(c, Workflow.RENEW) is not None,
        )
        for c in page
    ]
    return render(
        request,
        "certificates/expiring.html",
        {"query": query, "page": page, "rows": rows, "within": within, "choices": EXPIRING_WITHIN},
        status=query.page_status,
    )


def visible_certificate(user, certificate_id, *, extended: bool = False) -> Certificate:
    """The certificate if the user may see it (else 404); ``extended``: with what apps above
    show on its page (certificates/extensions.py), as this user may see it."""
    certificates = Certificate.objects.visible_to(user).select_related(
        "profile", "owner", "team", "ca", "ca__parent", "escrowed_key"
    )
    if extended:
        certificates = extensions.with_extensions(certificates, user)
    certificate = certificates.filter(pk=certificate_id).first()
    if certificate is None:
        raise Http404("no such certificate")
    return certificate


@login_required
def certificate_detail(request, certificate_id):
    certificate = visible_certificate(request.user, certificate_id, extended=True)
    parsed = x509.load_pem_x509_certificate(certificate.pem.encode())
    history = list(
        AuditEvent.objects.filter(object_type="certificate", object_id=str(certificate.pk))
        .select_related("actor")
        .order_by("at")
    )
    return render(
        request,
        "certificates/certificate_detail.html",
        {
            "certificate": certificate,
            "status": status_of(certificate),
            "sans": [
                (names.SAN_LABELS.get(s["sanType"], s["sanType"]), s["value"])
                for s in certificate.sans
            ],
            "chain": certificate.ca.chain() if certificate.ca else [],
            "history": history,
            "renewals": _renewals(request.user, certificate),
            "extensions": _extension_summary(parsed),
            "details": describe_certificate(parsed),
            "sections": extensions.page_sections(request.user, certificate),
        },
    )


def _renewals(user, certificate: Certificate) -> list[tuple[str, Certificate]]:
    """The certificate this one renewed and the one that renewed it, when the user may see
    them (a renewal keeps owner and team, so they usually can)."""
    words = {PREVIOUS: "Renews", RENEWED: "Renewed by"}
    linked = {m["value"]: words[m["key"]] for m in certificate.metadata if m["key"] in words}
    if not linked:
        return []
    others = (
        Certificate.objects.visible_to(user)
        .filter(pk__in=list(linked))
        .only("pk", "serial", "not_after")
    )
    return sorted(((linked[str(other.pk)], other) for other in others), key=lambda row: row[0])


def _extension_summary(certificate: x509.Certificate) -> list[tuple[str, str]]:
    out = []
    for extension in certificate.extensions:
        name = (
            extension.oid._name if hasattr(extension.oid, "_name") else extension.oid.dotted_string
        )
        out.append((name, "critical" if extension.critical else ""))
    return out


FORMATS = {
    "pem": ("application/x-pem-file", "pem"),
    "der": ("application/pkix-cert", "cer"),
    "chain": ("application/x-pem-file", "chain.pem"),
}


@login_required
def certificate_download(request, certificate_id, fmt: str):
    if fmt not in FORMATS:
        raise Http404("no such format")
    certificate = visible_certificate(request.user, certificate_id)  # no page sections here
    parsed = x509.load_pem_x509_certificate(certificate.pem.encode())
    if fmt == "der":
        body = parsed.public_bytes(Encoding.DER)
    elif fmt == "pem":
        body = certificate.pem.encode()
    else:  # RFC 5246 order: the certificate, then each issuer up to the root
        body = certificate.pem.encode() + b"".join(
            ca.certificate_pem.encode() for ca in (certificate.ca.chain() if certificate.ca else [])
        )
    content_type, suffix = FORMATS[fmt]
    response = HttpResponse(body, content_type=content_type)
    name = filenames.download_name(parsed, certificate.serial, suffix)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
