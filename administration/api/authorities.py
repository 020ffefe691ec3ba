"""``/api/v1/cas``: Horizon's list of Certificate Authorities, in its
CertificateAuthorityRequest / CertificateAuthorityResponse shapes.

A CA entry names a CA certificate and says how far it is trusted: for client authentication
(proof of possession, X.509 sign-in), for server authentication, whether it is shown to
everyone (``public``) and offered for download (``downloadable``). As in Horizon, entries are
apart from PKI connectors (administration/api/connectors.py): a connector issues, an entry is
trusted; a connector's certificate may be listed too, under a name of its own. A certificate
known only from this list completes chains and never signs.

Reading: staff see every entry, other signed-in accounts the public ones (404 for the rest).
Writing: staff. What Horizon has and the portal does not act on (CRL/OCSP fetching, proxies,
principal mappings) is accepted and named in the ``X-RAPortal-Ignored-Fields`` header.
"""

from cryptography import x509
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import models
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from administration.api.base import (
    AdminApiView,
    IsStaff,
    conflict_answer,
    ignore,
    named,
    no_content_if_empty,
    read_body,
    set_fields,
)
from administration.services import authorities as services
from administration.services.checks import not_found
from administration.services.validation import max_length_of
from certificates.api import ENTRY_PREFETCH, ENTRY_RELATED, ca_json
from certificates.models import CaEntry
from certificates.pki import names
from certificates.services import (
    ENTRY_FLAGS,
    authority_with_certificate,
    check_ca_certificate,
    free_name,
)
from certificates.trust_chain import load_certificate_text
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.errors import invalid_request
from raportal.horizon_models import CertificateAuthorityRequest

ACTED_ON = {
    "name",
    "certificate",
    "trustedForClientAuthentication",
    "trustedForServerAuthentication",
    "outdatedRevocationStatusPolicy",
    "public",
    "downloadable",
}
NAME_LENGTH = max_length_of(CaEntry, "name")
# A name or certificate already in the list.
CONFLICT = conflict_answer("Already in the list of CAs (CA-004)")


def check_name(name: str, field: str = "name") -> str:
    """A CA's name is a slug: it is part of URLs (its entry's, and a connector's CRL)."""
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
    """A slug from the certificate's CN (or its whole DN), unique among entries."""
    common_names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    text = str(common_names[0].value) if common_names else names.name_string(certificate.subject)
    return free_name(text, CaEntry.objects, NAME_LENGTH)


def read_certificate(text: str, field: str = "certificate"):
    try:
        certificate = load_certificate_text(text)
    except ValueError as exc:
        raise invalid_request(f"{field}: {exc}") from None
    check_ca_certificate(certificate)
    return certificate


def flags_of(body: CertificateAuthorityRequest, entry: CaEntry | None = None) -> dict:
    """The entry's trust flags from the body; one the body leaves out keeps its value (a new
    entry: Horizon's default, false — and ``unknown`` for a stale revocation status)."""
    flags = {}
    for field in ENTRY_FLAGS:
        value = getattr(body, field)
        if value is None:
            if entry:
                value = getattr(entry, field)
            else:
                model_field = CaEntry._meta.get_field(field)
                assert isinstance(model_field, models.Field), "ENTRY_FLAGS are CaEntry's fields"
                value = model_field.default
        flags[field] = value
    return flags


def entry_for(name: str | None, certificate) -> CaEntry:
    """The entry named ``name``, else the one listing ``certificate``; 404 when none."""
    entry = CaEntry.objects.filter(name=check_name(name)).first() if name else None
    if entry is None:
        authority = authority_with_certificate(certificate)
        entry = CaEntry.objects.filter(authority=authority).first() if authority else None
    if entry is None:
        raise not_found("CA", name or names.name_string(certificate.subject))
    return entry


def visible_entries(user):
    entries = CaEntry.objects.select_related(*ENTRY_RELATED).prefetch_related(*ENTRY_PREFETCH)
    return entries if user.is_staff else entries.public()


def read_entry(document) -> tuple[CertificateAuthorityRequest, x509.Certificate]:
    body = read_body(document, CertificateAuthorityRequest)
    certificate = read_certificate(body.certificate)
    ignore(document, *sorted(set_fields(body) - ACTED_ON))
    return body, certificate


def add_entry(actor, document) -> CaEntry:
    """Adds the entry a Horizon document describes (a request, or ``base.Document``): the
    API's POST, and import_config's."""
    body, certificate = read_entry(document)
    name = check_name(body.name) if body.name else derived_name(certificate)
    return services.add_ca_entry(actor, name=name, certificate=certificate, **flags_of(body))


def change_entry(actor, document) -> CaEntry:
    """Updates the entry named in the document, or the one listing its certificate: the
    API's PUT, and import_config's."""
    body, certificate = read_entry(document)
    entry = entry_for(body.name, certificate)
    return services.update_ca_entry(
        actor, entry, certificate=certificate, name=body.name, **flags_of(body, entry)
    )


class ReadForAllWriteForStaff(APIView):
    """GETs for every signed-in account (relying parties build chains with it); writes for
    staff (a mixin, before AdminApiView)."""

    def get_permissions(self):
        if self.request.method in SAFE_METHODS:
            return [IsAuthenticated()]
        return [IsStaff()]


class CaListView(ReadForAllWriteForStaff, AdminApiView):
    kind = "CA"

    # Named: drf-spectacular would call it v1_cas_retrieve, as it does the detail below.
    @extend_schema(operation_id="v1_cas_list", responses=answers(LIST_OF_OBJECTS))
    def get(self, request):
        return no_content_if_empty(
            [ca_json(entry, request.user) for entry in visible_entries(request.user)]
        )

    @extend_schema(
        operation_id="v1_cas_add",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, ok_status=201), **CONFLICT},
    )
    def post(self, request):
        return Response(ca_json(add_entry(request.user, request), request.user), status=201)

    @extend_schema(
        operation_id="v1_cas_update",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, 404), **CONFLICT},
    )
    def put(self, request):
        """The entry named in the body, or the one listing the body's certificate (renamed
        then): its certificate and flags become the body's (flags left out keep theirs)."""
        entry = change_entry(request.user, request)
        return Response(
            ca_json(named(visible_entries(request.user), "CA", entry.name), request.user)
        )


class CaDetailView(ReadForAllWriteForStaff, AdminApiView):
    kind = "CA"

    @extend_schema(operation_id="v1_cas_get", responses=answers(OBJECT, 404))
    def get(self, request, name: str):
        return Response(ca_json(named(visible_entries(request.user), "CA", name), request.user))

    @extend_schema(
        operation_id="v1_cas_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, name: str):
        services.delete_ca_entry(request.user, named(CaEntry.objects, "CA", name))
        return Response(status=204)


urlpatterns = [
    path("api/v1/cas", CaListView.as_view(), name="api-cas"),
    path("api/v1/cas/<text:name>", CaDetailView.as_view(), name="api-ca"),
]
