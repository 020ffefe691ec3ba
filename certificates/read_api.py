"""The read side of the certificate API, and the RFC 5280 trust chain tool.

- ``GET /api/v1/certificates/{id}`` → the client's ``CertificateWithPermissionsResponse``;
- ``GET /api/v1/certificates/{pem}`` (same route, a URL-encoded PEM instead of an id; the
  client's deprecated ``certificate_get_pem``) → its ``CertificateResponse``;
- ``POST /api/v1/certificates/search`` → its ``CertificateSearchResultsResponse`` (HCQL, see
  ``certificates.search_fields``);
- ``GET /api/v1/rfc5280/tc/{pem}`` → a list of ``CFCertificateResponse``: the certificate, then
  its issuing CAs up to the root (``certificates.trust_chain``).

Only certificates ``Certificate.objects.visible_to(user)`` allows are found; any other answers
404 CERT-SEARCH-003 exactly like one that does not exist.
"""

import uuid
from functools import cache

from django.views.decorators.common import no_append_slash
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates import extensions
from certificates.api import certificate_details
from certificates.models import Certificate
from certificates.outputs import certificate_json
from certificates.pki import fingerprints
from certificates.read_permissions import CertificatePermissions
from certificates.search_fields import (
    CERTIFICATE_FIELDS,
    CERTIFICATE_SORTS,
    DEFAULT_CERTIFICATE_ORDER,
)
from certificates.trigger_runs import may_rerun_certificate_trigger
from certificates.trust_chain import load_certificate_text, trust_chain
from hrql import page
from hrql.fields import QueryError
from hrql.parser import to_q
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.errors import DomainError, invalid_request
from triggers.results import results_of_certificate

RELATED = ("profile", "owner", "team", "escrowed_key")
DEFERRED = ("escrowed_key__sealed_key",)  # a search result never carries the escrowed key
ORDERS = {"leaf-to-root": False, "root-to-leaf": True}


def visible_certificates(user):
    """With what apps above add to the answer (discovery data), as this user may see it."""
    return extensions.with_extensions(
        Certificate.objects.visible_to(user).select_related(*RELATED).defer(*DEFERRED), user
    )


def not_found() -> DomainError:
    return DomainError("CERT-SEARCH-003", "Certificate not found")


def bad_search(detail: str) -> DomainError:
    return DomainError("CERT-SEARCH-002", detail)


def certificate_with_permissions(user, certificate) -> dict:
    """Horizon's CertificateWithPermissionsResponse, with the certificate's triggerResults."""
    return {
        "certificate": {
            **certificate_json(certificate),
            "triggerResults": results_of_certificate(
                certificate.pk,
                cache(lambda event: may_rerun_certificate_trigger(user, certificate, event)),
            ),
        },
        "permissions": CertificatePermissions(user, [certificate]).on(certificate),
    }


@extend_schema(responses=answers(OBJECT, 400, 404))
class CertificateDetailView(APIView):
    @classmethod
    def as_view(cls, **initkwargs):
        # Its path takes a PEM, "/" included: CommonMiddleware would answer a path one
        # slash short of matching ("…/-----BEGIN", 63 base64 characters) with an HTML 301
        # to the slashed path instead of this API's problem.
        return no_append_slash(super().as_view(**initkwargs))

    def get(self, request: ApiRequest, reference: str) -> Response:
        try:
            certificate_id = uuid.UUID(reference)
        except ValueError:
            return self.by_pem(request, reference)
        certificate = visible_certificates(request.user).filter(pk=certificate_id).first()
        if certificate is None:
            raise not_found()
        return Response(certificate_with_permissions(request.user, certificate))

    def by_pem(self, request: ApiRequest, text: str) -> Response:
        if "-----BEGIN" not in text and len(text) < 200:
            raise not_found()  # neither an id nor anything like a certificate
        try:
            parsed = load_certificate_text(text)
        except ValueError as exc:
            raise bad_search(f"the path holds neither a certificate id nor a PEM: {exc}") from None
        thumbprint = fingerprints.thumbprint(parsed)
        certificate = visible_certificates(request.user).filter(thumbprint=thumbprint).first()
        if certificate is None:
            raise not_found()
        return Response(certificate_json(certificate))


@extend_schema(request=OpenApiTypes.OBJECT, responses=answers(OBJECT, 400, 413))
class CertificateSearchView(APIView):
    def post(self, request: ApiRequest) -> Response:
        search = page.read_search_body(request.data, bad_search)
        try:
            condition = to_q(search.query, CERTIFICATE_FIELDS)
        except QueryError as exc:
            raise DomainError("HQL-001", str(exc)) from None
        order = page.ordering(search, CERTIFICATE_SORTS, DEFAULT_CERTIFICATE_ORDER, bad_search)
        queryset = visible_certificates(request.user).filter(condition).order_by(*order)
        rows, has_more, count = page.one_page(queryset, search)
        permissions = CertificatePermissions(request.user, rows)
        results = [
            page.project(
                {**certificate_json(row), "permissions": permissions.on(row)},
                search.fields,
                ("_id",),
            )
            for row in rows
        ]
        return Response(page.results_json(results, search, has_more, count))


@extend_schema(
    parameters=[OpenApiParameter("order", str, enum=list(ORDERS))],
    responses=answers(LIST_OF_OBJECTS, 400),
)
class TrustChainView(APIView):
    """The trust chain of any certificate the caller sends (its content is theirs; the CAs
    are public), leaf first — or root first with ``?order=root-to-leaf``.

    Open without credentials, as the CA certificates themselves are (``/pki/<ca>.crt``, the
    AIA of every certificate issued): a client that renewed or revoked a certificate by proof
    of possession alone, without an account, fetches the chain next (the Ansible collection
    does). Credentials that are sent are still checked: wrong ones answer 401."""

    permission_classes = [AllowAny]

    def get(self, request: ApiRequest, pem: str) -> Response:
        order = request.query_params.get("order") or "leaf-to-root"
        if order not in ORDERS:
            raise invalid_request(f"order must be one of {', '.join(ORDERS)}")
        try:
            certificate = load_certificate_text(pem)
        except ValueError as exc:
            raise DomainError("RFC5280-002", str(exc)) from None
        chain = trust_chain(certificate, request.user)
        if ORDERS[order]:
            chain.reverse()
        return Response([certificate_details(link) for link in chain])
