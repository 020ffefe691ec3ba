"""``/api/v1/cas``: certificate authorities in Horizon's CertificateAuthorityRequest /
CertificateAuthorityResponse shapes.

Reading is for every signed-in account (relying parties build chains with it); writing is for
staff. A CA added here is a trust entry: its certificate only, no key, so it completes chains
and never signs. A CA that signs is added with its key as an integrated PKI connector
(administration/api/connectors.py); both are rows of ``CertificateAuthority``.
"""

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.urls import path
from django.utils.text import slugify
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response

from administration.api.base import (
    AdminApiView,
    IsStaff,
    conflict_answer,
    ignore,
    named,
    no_content_if_empty,
    not_found,
    read_body,
    set_fields,
)
from certificates.api import ca_json
from certificates.models import CertificateAuthority
from certificates.pki import names
from certificates.services import (
    authority_with_certificate,
    check_ca_certificate,
    conflict,
    delete_authority,
    register_authority,
    replace_authority_certificate,
)
from certificates.trust_chain import load_certificate_text
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.errors import invalid_request
from raportal.horizon_models import CertificateAuthorityRequest
from raportal.models import record

ACTED_ON = {"name", "certificate"}  # the rest of CertificateAuthorityRequest is ignored
NAME_LENGTH = CertificateAuthority._meta.get_field("name").max_length
# A name or certificate already registered, or a CA that others depend on.
CONFLICT = conflict_answer("Already registered, or in use (REQ-002)")


def check_name(name: str, field: str = "name") -> str:
    """A CA's name is a slug: it is part of the URLs of its certificate and CRL."""
    try:
        validate_slug(name)
    except ValidationError:
        valid = False
    else:
        valid = len(name) <= NAME_LENGTH
    if not valid:
        raise invalid_request(
            f"{field}: {name[:80]!r} is not a valid name: use letters, digits, '-' and '_' "
            f"(at most {NAME_LENGTH} characters); it names the CA in URLs"
        )
    return name


def derived_name(certificate) -> str:
    """A slug from the certificate's CN (or its whole DN), made unique."""
    common_names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    text = str(common_names[0].value) if common_names else names.name_string(certificate.subject)
    base = slugify(text)[: NAME_LENGTH - 4].strip("-_") or "ca"
    name, number = base, 1
    while CertificateAuthority.objects.filter(name=name).exists():
        number += 1
        name = f"{base}-{number}"
    return name


def read_certificate(text: str, field: str = "certificate"):
    try:
        certificate = load_certificate_text(text)
    except ValueError as exc:
        raise invalid_request(f"{field}: {exc}") from None
    check_ca_certificate(certificate)
    return certificate


def refuse_rename(ca: CertificateAuthority) -> None:
    """The name of a CA that signed here is in the certificates it signed (CRL distribution
    point, CA issuers URL): they would point nowhere."""
    if ca.has_key and (ca.certificates.exists() or ca.children.exists()):
        raise conflict(
            f"the CA {ca.name} cannot be renamed: its name is in the CRL and CA certificate "
            "URLs of the certificates it signed"
        )


def authority(name: str) -> CertificateAuthority:
    return named(CertificateAuthority.objects.select_related("parent"), "CA", name)


class ReadForAllWriteForStaff:
    """GETs for every signed-in account, as before the admin API; writes for staff."""

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsAuthenticated()]
        return [IsStaff()]


class CaListView(ReadForAllWriteForStaff, AdminApiView):
    kind = "CA"

    # Named: drf-spectacular would call it v1_cas_retrieve, as it does the detail below.
    @extend_schema(operation_id="v1_cas_list", responses=answers(LIST_OF_OBJECTS))
    def get(self, request):
        cas = CertificateAuthority.objects.select_related("parent").order_by("created_at")
        return no_content_if_empty([ca_json(ca) for ca in cas])

    @extend_schema(
        operation_id="v1_cas_add",
        responses={**answers(OBJECT, 400, 403, ok_status=201), **CONFLICT},
    )
    def post(self, request):
        body = read_body(request, CertificateAuthorityRequest)
        certificate = read_certificate(body.certificate)
        ignore(request, *sorted(set_fields(body) - ACTED_ON))
        with transaction.atomic():
            name = check_name(body.name) if body.name else derived_name(certificate)
            ca = register_authority(name=name, certificate=certificate, actor=request.user)
        return Response(ca_json(authority(ca.name)), status=201)

    @extend_schema(
        operation_id="v1_cas_update",
        responses={**answers(OBJECT, 400, 403, 404), **CONFLICT},
    )
    def put(self, request):
        """The CA named in the body, or the one with the body's certificate (renamed then).
        A trust entry may get a new certificate; a connector's changes with its key."""
        body = read_body(request, CertificateAuthorityRequest)
        certificate = read_certificate(body.certificate)
        ignore(request, *sorted(set_fields(body) - ACTED_ON))
        with transaction.atomic():
            by_name = None
            if body.name:
                check_name(body.name)
                by_name = CertificateAuthority.objects.select_for_update()
                by_name = by_name.filter(name=body.name).first()
            ca = by_name or authority_with_certificate(certificate)
            if ca is None:
                raise not_found("CA", body.name or names.name_string(certificate.subject))
            if by_name is None and body.name and body.name != ca.name:
                refuse_rename(ca)
                old = ca.name
                ca.name = body.name
                ca.save(update_fields=["name"])
                record(request.user, "ca.rename", ca, name=ca.name, previous=old)
            if ca.certificate_der != certificate.public_bytes(Encoding.DER):
                if ca.has_key:
                    raise invalid_request(
                        f"the CA {ca.name} signs here (an integrated connector): its "
                        "certificate changes with its key, through /api/v1/pki/connectors"
                    )
                replace_authority_certificate(ca, certificate, actor=request.user)
        return Response(ca_json(authority(ca.name)))


class CaDetailView(ReadForAllWriteForStaff, AdminApiView):
    kind = "CA"

    @extend_schema(operation_id="v1_cas_get", responses=answers(OBJECT, 404))
    def get(self, request, name: str):
        return Response(ca_json(authority(name)))

    @extend_schema(
        operation_id="v1_cas_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, name: str):
        with transaction.atomic():
            ca = named(CertificateAuthority.objects, "CA", name, lock=True)
            delete_authority(ca, actor=request.user)
        return Response(status=204)


urlpatterns = [
    path("api/v1/cas", CaListView.as_view(), name="api-cas"),
    path("api/v1/cas/<str:name>", CaDetailView.as_view(), name="api-ca"),
]
