"""``/api/v1/pki/connectors``: PKI connectors, of one type here: ``integrated``, the built-in
CA. An integrated connector IS a ``CertificateAuthority`` with its key: caCert and caKey become
its certificate and its sealed key; crtLifetime, crtBackDate and crlLifetime its certificate
lifetime, backdating and CRL validity. Profiles issue with it by choosing that CA.

The key goes one way: it is read, checked against the certificate and sealed at rest
(certificates/ca_keys.py). No answer carries it, no log line or audit event holds it.
"""

import datetime as dt

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from administration.api.authorities import CONFLICT, check_name, read_certificate
from administration.api.base import (
    AdminApiView,
    ignore,
    named,
    no_content_if_empty,
    read_body,
    set_fields,
)
from administration.services import authorities as services
from certificates.models import CertificateAuthority
from certificates.services import load_ca_key
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.durations import format_duration, parse_duration
from raportal.errors import invalid_request
from raportal.horizon_models import IntegratedCAConnector

TYPE = "integrated"
ACTED_ON = {"name", "type", "caCert", "caKey", "crtLifetime", "crtBackDate", "crlLifetime"}
DEFAULT_CRL_HOURS = CertificateAuthority._meta.get_field("crl_validity_hours").default


def read_connector(request) -> IntegratedCAConnector:
    data = request.data
    if not isinstance(data, dict):
        raise invalid_request("expected a JSON object")
    kind = data.get("type")
    if kind != TYPE:
        raise invalid_request(
            f"type: {str(kind)[:40]!r} is not supported here; only integrated connectors "
            "(the built-in CA, with its certificate and key) are"
        )
    body = read_body(request, IntegratedCAConnector)  # reports unknown fields itself
    ignored = set_fields(body) - ACTED_ON
    if body.crypto_type == "legacy":
        ignored.discard("cryptoType")  # the one we do: RSA, ECDSA and EdDSA keys
    ignore(request, *sorted(ignored))
    check_name(body.name)
    return body


MAX_BACKDATE = dt.timedelta(hours=48)


def duration(field: str, text: str) -> dt.timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise invalid_request(f"{field}: {exc}") from None


def lifetimes(body: IntegratedCAConnector) -> dict:
    """crtLifetime, crtBackDate and crlLifetime as the CA's fields; absent: the defaults (the
    profile's validity, no backdating, a week)."""
    certificate_lifetime = None
    if body.crt_lifetime is not None:
        certificate_lifetime = duration("crtLifetime", body.crt_lifetime)
        if certificate_lifetime < dt.timedelta(seconds=1):
            raise invalid_request("crtLifetime: must be at least 1 second")
    backdate = dt.timedelta(0)
    if body.crt_back_date is not None:
        backdate = duration("crtBackDate", body.crt_back_date)
        if backdate > MAX_BACKDATE:
            raise invalid_request(
                "crtBackDate: at most 48 hours (it absorbs clock skew; the CA/Browser Forum "
                "allows no more)"
            )
    crl_hours = DEFAULT_CRL_HOURS
    if body.crl_lifetime is not None:
        crl = duration("crlLifetime", body.crl_lifetime)
        if crl < dt.timedelta(hours=1) or crl.total_seconds() % 3600:
            raise invalid_request(
                f"crlLifetime: {body.crl_lifetime!r} must be a whole number of hours, at "
                "least 1 hour (the CRL's nextUpdate)"
            )
        crl_hours = int(crl.total_seconds() // 3600)
    return {
        "certificate_lifetime": certificate_lifetime,
        "backdate": backdate,
        "crl_validity_hours": crl_hours,
    }


def read_key(body: IntegratedCAConnector):
    """The key of the body, or None when it has none (an update that keeps the key)."""
    if body.ca_key is None or body.ca_key.value is None:
        return None
    return load_ca_key(body.ca_key.value)


def check_valid_now(certificate) -> None:
    now = dt.datetime.now(dt.UTC)
    if certificate.not_valid_after_utc <= now:
        raise invalid_request(
            f"caCert: the CA certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}"
        )


def status_of(ca: CertificateAuthority) -> dict:
    """Horizon's PKIConnectorStatus: whether the CA can sign now."""
    now = dt.datetime.now(dt.UTC)
    certificate = ca.certificate
    status = {"lastCheck": int(now.timestamp() * 1000), "status": "success"}
    if not certificate.not_valid_before_utc <= now < certificate.not_valid_after_utc:
        status["status"] = "failure"
        status["message"] = (
            f"the CA certificate is valid from {certificate.not_valid_before_utc:%Y-%m-%d} "
            f"to {certificate.not_valid_after_utc:%Y-%m-%d}"
        )
    return status


def connector_json(ca: CertificateAuthority) -> dict:
    """Horizon's IntegratedCAConnectorResponse, without caKey: the key is never given back."""
    answer = {
        "_id": str(ca.pk),
        "name": ca.name,
        "type": TYPE,
        "caCert": ca.certificate_pem,
        "crlLifetime": format_duration(dt.timedelta(hours=ca.crl_validity_hours)),
        "crtBackDate": format_duration(ca.backdate),
        "cryptoType": "legacy",
        "status": status_of(ca),
    }
    if ca.certificate_lifetime:
        answer["crtLifetime"] = format_duration(ca.certificate_lifetime)
    return answer


def connector(name: str) -> CertificateAuthority:
    return named(CertificateAuthority.objects.issuers(), "PKI connector", name)


def add_connector(actor, document) -> CertificateAuthority:
    """Creates the connector a Horizon document describes (a request, or
    ``base.Document``): the API's POST, and import_config's."""
    body = read_connector(document)
    if not body.ca_cert:
        raise invalid_request("caCert: the CA certificate (PEM) is required")
    certificate = read_certificate(body.ca_cert, "caCert")
    check_valid_now(certificate)
    key = read_key(body)
    if key is None:
        raise invalid_request("caKey: the CA's private key (PEM, in caKey.value) is required")
    return services.create_connector(
        actor, name=body.name, certificate=certificate, key=key, **lifetimes(body)
    )


def change_connector(actor, document) -> CertificateAuthority:
    """Updates the connector a Horizon document names: the API's PUT, and import_config's."""
    body = read_connector(document)
    certificate = read_certificate(body.ca_cert, "caCert") if body.ca_cert else None
    if certificate is not None:
        check_valid_now(certificate)
    key = read_key(body)
    return services.update_connector(
        actor, connector(body.name), certificate=certificate, key=key, **lifetimes(body)
    )


class ConnectorListView(AdminApiView):
    kind = "PKI connector"

    @extend_schema(operation_id="v1_pki_connectors_list", responses=answers(LIST_OF_OBJECTS, 403))
    def get(self, request):
        cas = CertificateAuthority.objects.issuers().order_by("created_at")
        return no_content_if_empty([connector_json(ca) for ca in cas])

    @extend_schema(
        operation_id="v1_pki_connectors_add",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, ok_status=201), **CONFLICT},
    )
    def post(self, request):
        return Response(connector_json(add_connector(request.user, request)), status=201)

    @extend_schema(
        operation_id="v1_pki_connectors_update",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, 404), **CONFLICT},
    )
    def put(self, request):
        """Lifetimes always (absent: the defaults); the certificate, the key or both when
        given. A new certificate without a key must be for the key the CA has."""
        ca = change_connector(request.user, request)
        return Response(connector_json(connector(ca.name)))


class ConnectorDetailView(AdminApiView):
    kind = "PKI connector"

    @extend_schema(operation_id="v1_pki_connectors_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, name: str):
        return Response(connector_json(connector(name)))

    @extend_schema(
        operation_id="v1_pki_connectors_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, name: str):
        services.delete_connector(request.user, connector(name))
        return Response(status=204)


urlpatterns = [
    path("api/v1/pki/connectors", ConnectorListView.as_view(), name="api-pki-connectors"),
    path(
        "api/v1/pki/connectors/<text:name>",
        ConnectorDetailView.as_view(),
        name="api-pki-connector",
    ),
]
