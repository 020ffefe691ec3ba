"""``POST /api/v1/discovery/feed`` (the client's ``DiscoveryFeedApi.discovery_feed``): a
scanner reports a certificate it found, and where.

The body is Horizon's ``DiscoveryFeed``, read with the official client's model: ``campaign``,
``certificate`` (PEM, or bare base64 DER), ``hostDiscoveryData`` (``ip``, ``hostnames``,
``operatingSystems``, ``paths``, ``usages``, ``sources``, ``tlsPorts``). What the portal does
not act on (``sessionId`` and ``code``: no feed sessions nor discovery events here;
``metadata``; ``privateKey``: a key is only ever kept by a profile that escrows, see the
import workflow) is accepted and named in the ``X-RAPortal-Ignored-Fields`` answer header, as
the admin API does.

Answers ``204`` (no body) whether the certificate was new to the portal or not: the answer
tells nothing of what the inventory holds. Problems: an unknown campaign, or one the caller
may neither feed nor search, ``404 DISC-CAMP-003``; one they may search but not feed, ``403
SEC-PERM-001``; a disabled campaign, an unreadable certificate or host data, a CA certificate
``400 DISC-FEED-002``. The portal does not scan: campaigns' hosts and ports are for the
scanners.
"""

import logging

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.trust_chain import load_certificate_text
from discovery import services
from discovery.validation import (
    INVALID_FEED,
    HostData,
    checked_ip,
    checked_texts,
    checked_tls_ports,
)
from raportal.api.bodies import IGNORED_HEADER, unknown_fields, validated
from raportal.api.negotiation import AnyAccept
from raportal.api.schema import OBJECT, answers
from raportal.errors import DomainError
from raportal.horizon_models import DiscoveryFeed

log = logging.getLogger(__name__)

NOT_ACTED_ON = ("sessionId", "code", "metadata", "privateKey")


def invalid(detail: str) -> DomainError:
    return DomainError(INVALID_FEED, detail)


def read_feed(data) -> tuple[DiscoveryFeed, list[str]]:
    """The body as the client's model, and the fields it carried that the portal ignores."""
    if not isinstance(data, dict):
        raise invalid("expected a JSON object")
    ignored = unknown_fields(data, DiscoveryFeed)
    ignored += [key for key in NOT_ACTED_ON if data.get(key) not in (None, "", [])]
    return validated(DiscoveryFeed, data, invalid), sorted(set(ignored))


def host_data(body: DiscoveryFeed) -> HostData:
    raw = body.host_discovery_data
    return HostData(
        ip=checked_ip(raw.ip),
        hostnames=checked_texts(raw.hostnames, "hostDiscoveryData.hostnames"),
        operating_systems=checked_texts(
            raw.operating_systems, "hostDiscoveryData.operatingSystems"
        ),
        paths=checked_texts(raw.paths, "hostDiscoveryData.paths"),
        usages=checked_texts(raw.usages, "hostDiscoveryData.usages"),
        sources=checked_texts(raw.sources, "hostDiscoveryData.sources"),
        tls_ports=checked_tls_ports(
            None
            if raw.tls_ports is None
            else [{"port": p.port, "version": p.version} for p in raw.tls_ports]
        ),
    )


class DiscoveryFeedView(APIView):
    """A scanner reports a certificate it found on a host (Horizon's DiscoveryFeed). Unknown
    certificates join the inventory unmanaged; known ones gain the discovery data. Answers
    204. The portal itself never scans: campaigns' hosts and ports are for the scanners."""

    # The client asks for application/problem+json only (the success has no body).
    content_negotiation_class = AnyAccept

    def handle_exception(self, exc):
        if isinstance(exc, ParseError):
            exc = invalid(f"the body is not valid JSON: {exc.detail}")
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="discovery_feed",
        request=OBJECT,
        responses=answers(
            OpenApiResponse(description="Fed: the certificate and where it was found"),
            400,
            403,
            404,
            ok_status=204,
        ),
    )
    def post(self, request):
        body, ignored = read_feed(request.data)
        try:
            certificate = load_certificate_text(body.certificate)
        except ValueError as exc:
            raise invalid(f"certificate: {exc}") from None
        services.feed(request.user, body.campaign, certificate, host_data(body))
        response = Response(status=204)
        if ignored:
            log.info("discovery feed: ignored fields %s", ignored)
            response[IGNORED_HEADER] = ", ".join(ignored)
        return response
