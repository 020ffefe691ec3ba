"""Certificate authorities: Horizon's CertificateAuthorityResponse shape (the ``/api/v1/cas``
views are in administration/api/authorities.py) and the public downloads relying parties
fetch (CA certificate for AIA, CRL)."""

import copy
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from certificates.models import CaEntry, CertificateAuthority
from certificates.pki import fingerprints, names
from certificates.pki.keys import key_type_of
from certificates.services import current_crl


def _extension(cert: x509.Certificate, ext_class):
    try:
        return cert.extensions.get_extension_for_class(ext_class)
    except x509.ExtensionNotFound:
        return None


def _access_locations(aia, method) -> list[str]:
    """The URLs of an AuthorityInformationAccess extension for one access method."""
    descriptions = aia.value if aia else []
    return [d.access_location.value for d in descriptions if d.access_method == method]


def certificate_details(cert: x509.Certificate) -> dict:
    """Horizon's CFCertificateResponse: the decoded certificate, with its PEM."""
    key_usage = _extension(cert, x509.KeyUsage)
    eku = _extension(cert, x509.ExtendedKeyUsage)
    basic = _extension(cert, x509.BasicConstraints)
    ski = _extension(cert, x509.SubjectKeyIdentifier)
    aki = _extension(cert, x509.AuthorityKeyIdentifier)
    crldp = _extension(cert, x509.CRLDistributionPoints)
    aia = _extension(cert, x509.AuthorityInformationAccess)
    usages = []
    if key_usage:
        ku = key_usage.value
        for name in [
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
        ]:
            if getattr(ku, name):
                usages.append(name)
    return {
        "dn": names.name_string(cert.subject),
        "dnElements": [
            {"type": names.DN_STRING_NAMES.get(a.oid, a.oid.dotted_string), "value": a.value}
            for a in cert.subject
        ],
        "issuerDn": names.name_string(cert.issuer),
        "serial": fingerprints.serial_hex(cert),
        "notBefore": int(cert.not_valid_before_utc.timestamp() * 1000),
        "notAfter": int(cert.not_valid_after_utc.timestamp() * 1000),
        "keyType": key_type_of(cert.public_key()),
        "signingAlgorithm": fingerprints.signing_algorithm(cert),
        "pem": cert.public_bytes(Encoding.PEM).decode(),
        "subjectKeyIdentifier": ski.value.digest.hex() if ski else "",
        "authorityKeyIdentifier": aki.value.key_identifier.hex() if aki else None,
        "certificateThumbprint": fingerprints.thumbprint(cert),
        "certificateSHAOneThumbprint": fingerprints.thumbprint(cert, "sha1"),
        "publicKeyThumbprint": fingerprints.public_key_thumbprint(cert),
        "keyUsages": usages,
        "isKeyUsagesCritical": bool(key_usage and key_usage.critical),
        "extendedKeyUsages": [oid.dotted_string for oid in eku.value] if eku else [],
        "isExtendedKeyUsagesCritical": bool(eku and eku.critical),
        "selfSigned": cert.issuer == cert.subject,
        "basicConstraints": (
            {"isCa": basic.value.ca, "pathLen": basic.value.path_length} if basic else None
        ),
        "crldps": [
            name.value for point in (crldp.value if crldp else []) for name in point.full_name or []
        ],
        "aias": {
            "crt": _access_locations(aia, x509.oid.AuthorityInformationAccessOID.CA_ISSUERS),
            "ocsp": _access_locations(aia, x509.oid.AuthorityInformationAccessOID.OCSP),
        },
    }


@lru_cache(maxsize=256)
def _parsed_details(pem: str) -> dict:
    return certificate_details(x509.load_pem_x509_certificate(pem.encode()))


def pem_certificate_details(pem: str) -> dict:
    """``certificate_details`` of a PEM certificate, parsed once per process: the same bytes
    always decode to the same details, so the PEM itself is the key (a renewed or replaced
    CA certificate is other bytes, another entry). A copy: callers may change theirs."""
    return copy.deepcopy(_parsed_details(pem))


def visible_entry(ca: CertificateAuthority, viewer) -> CaEntry | None:
    """The first entry listing ``ca`` that ``viewer`` may see (staff: any; others: a public
    one). Reads ``ca.entries.all()``: lists prefetch it (``ENTRY_RELATED``), no query per row."""
    staff = viewer is not None and viewer.is_staff
    return next((entry for entry in ca.entries.all() if staff or entry.public), None)


# What ca_json reads, for lists: the CA, its parent and the parent's entries.
ENTRY_RELATED = ("authority__parent",)
ENTRY_PREFETCH = ("authority__parent__entries",)


def ca_json(entry: CaEntry, viewer=None) -> dict:
    """A CA of the list of Certificate Authorities, in Horizon's CertificateAuthorityResponse
    shape (+ ``issuer``: the entry of the CA that signed it, when listed and the ``viewer``
    may see it)."""
    ca = entry.authority
    details = pem_certificate_details(ca.certificate_pem)
    parent_entry = visible_entry(ca.parent, viewer) if ca.parent else None
    return {
        "_id": str(entry.pk),
        "name": entry.name,
        "certificate": details,
        "subjectKeyIdentifier": details["subjectKeyIdentifier"],
        "crlUrl": ca.crl_url() if ca.has_key else None,  # a trust entry publishes no CRL
        "trustedForClientAuthentication": entry.trusted_for_client_authentication,
        "trustedForServerAuthentication": entry.trusted_for_server_authentication,
        "outdatedRevocationStatusPolicy": entry.outdated_revocation_status_policy,
        "public": entry.public,
        "downloadable": entry.downloadable,
        "issuer": parent_entry.name if parent_entry else None,
    }


@require_GET
def ca_certificate(request, name: str) -> HttpResponse:
    """The CA certificate in DER (RFC 5280 §4.2.2.1: AIA caIssuers points here). A CA that
    signs here is always served (its certificates point at this URL); one known only from the
    list of CAs, when an entry says it is downloadable."""
    ca = CertificateAuthority.objects.filter(name=name).first()
    if ca is None or not (ca.has_key or ca.entries.filter(downloadable=True).exists()):
        raise Http404("no such CA")
    response = HttpResponse(ca.certificate_der, content_type="application/pkix-cert")
    response["Content-Disposition"] = f'attachment; filename="{ca.name}.crt"'
    return response


@require_GET
def ca_crl(request, name: str) -> HttpResponse:
    """The CA's current CRL in DER (RFC 5280 §5; media type from RFC 2585). A keyless CA (a
    trust entry) signs nothing here: no CRL either."""
    ca = CertificateAuthority.objects.issuers().filter(name=name).first()
    if ca is None:
        raise Http404("no such CA")
    response = HttpResponse(current_crl(ca), content_type="application/pkix-crl")
    response["Content-Disposition"] = f'attachment; filename="{ca.name}.crl"'
    response["Cache-Control"] = "public, max-age=300"
    return response
