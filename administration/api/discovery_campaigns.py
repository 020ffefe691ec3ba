"""Horizon's discovery campaigns (``DiscoveryCampaignApi``), staff only:

- ``GET /api/v1/discovery/campaigns`` (204 when there is none), ``POST`` (201), ``PUT`` (the
  campaign named in the body, every field replaced);
- ``GET /api/v1/discovery/campaigns/{name}``, ``DELETE`` (204: the campaign and what it found;
  the certificates stay in the inventory), ``PATCH`` (Horizon's flush, 204: empties what the
  campaign found, keeps the campaign).

Bodies are the client's ``DiscoveryCampaign``; answers its ``DiscoveryCampaignResponse``.
``authorizationLevels.search`` and ``.feed`` take ``authorized`` (accounts given the right:
principal infos' ``discovery:search`` / ``discovery:feed`` with the filter ``campaign =
<name>``) or ``authenticated`` (every signed-in account); ``everyone`` is read as
``authorized`` (no anonymous feeds), ``enforcedIdentityProviders`` and ``gradingPolicies`` are
not acted on: all three are named in the ``X-RAPortal-Ignored-Fields`` header. ``hosts``,
``ports`` and the ``eventOn…`` flags are stored and answered: the portal does not scan (the
scanners read them and feed ``POST /api/v1/discovery/feed``) and keeps no discovery events.
Problems: ``DISC-CAMP-002`` invalid (400), ``DISC-CAMP-003`` not found (404),
``DISC-CAMP-004`` exists already (400).
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from administration.api.base import (
    AcceptAnyView,
    conflict_answer,
    empty_answer,
    ignore,
    no_content_if_empty,
    read_body,
)
from administration.services.validation import checked_name, max_length_of
from discovery import services
from discovery.models import AccessLevel, DiscoveryCampaign
from discovery.validation import CampaignData, checked_hosts, checked_ports
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.errors import invalid_request
from raportal.horizon_models import DiscoveryCampaign as CampaignBody

KIND = "discovery campaign"
NAME_MAX = max_length_of(DiscoveryCampaign, "name")
DESCRIPTION_MAX = max_length_of(DiscoveryCampaign, "description")
EXISTS = conflict_answer("The campaign exists already")
EMPTY = empty_answer("No campaigns")


def level_json(level: str) -> dict:
    return {"accessLevel": level}


def campaign_json(campaign: DiscoveryCampaign) -> dict:
    """Horizon's DiscoveryCampaignResponse."""
    return {
        "_id": str(campaign.pk),
        "name": campaign.name,
        "description": campaign.description or None,
        "authorizationLevels": {
            "search": level_json(campaign.search_level),
            "feed": level_json(campaign.feed_level),
        },
        "eventOnSuccess": campaign.event_on_success,
        "eventOnWarning": campaign.event_on_warning,
        "eventOnFailure": campaign.event_on_failure,
        "hosts": campaign.hosts,
        "ports": campaign.ports,
        "enabled": campaign.enabled,
    }


def _level(request, body_level, right: str) -> str:
    if body_level.enforced_identity_providers:
        ignore(request, f"authorizationLevels.{right}.enforcedIdentityProviders")
    if body_level.access_level == AccessLevel.AUTHENTICATED:
        return AccessLevel.AUTHENTICATED
    if body_level.access_level != AccessLevel.AUTHORIZED:
        read = f"authorizationLevels.{right}={body_level.access_level} (read as authorized)"
        ignore(request, read)
    return AccessLevel.AUTHORIZED


def campaign_data(request, body: CampaignBody) -> CampaignData:
    """The body as the services take it; 400 DISC-CAMP-002 naming what is wrong."""
    description = (body.description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise invalid_request(f"description: at most {DESCRIPTION_MAX} characters")
    if body.grading_policies:
        ignore(request, "gradingPolicies")
    levels = body.authorization_levels
    return CampaignData(
        name=checked_name(body.name, KIND, NAME_MAX),
        description=description,
        enabled=body.enabled,
        search_level=_level(request, levels.search, "search"),
        feed_level=_level(request, levels.feed, "feed"),
        event_on_success=body.event_on_success,
        event_on_warning=body.event_on_warning,
        event_on_failure=body.event_on_failure,
        hosts=checked_hosts(body.hosts),
        ports=checked_ports(body.ports),
    )


def _campaign(name: str) -> DiscoveryCampaign:
    campaign = DiscoveryCampaign.objects.filter(name=name).first()
    if campaign is None:
        raise services.not_found(name)
    return campaign


class CampaignListView(AcceptAnyView):
    """Discovery campaigns (staff only). The portal does not scan: ``hosts`` and ``ports``
    are stored for the scanners, which feed what they find to ``POST
    /api/v1/discovery/feed``; the ``eventOn…`` flags are stored (no discovery events are
    kept). ``PUT`` replaces the campaign named in the body."""

    kind = KIND

    @extend_schema(
        operation_id="discovery_campaign_list",
        responses={**answers(LIST_OF_OBJECTS, 403), **EMPTY},
    )
    def get(self, request):
        return no_content_if_empty([campaign_json(c) for c in DiscoveryCampaign.objects.all()])

    @extend_schema(
        operation_id="discovery_campaign_add",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, ok_status=201), **EXISTS},
    )
    def post(self, request):
        data = campaign_data(request, read_body(request, CampaignBody))
        campaign = services.create_campaign(request.user, data)
        return Response(campaign_json(campaign), status=201)

    @extend_schema(
        operation_id="discovery_campaign_update",
        request=OBJECT,
        responses=answers(OBJECT, 400, 403, 404),
    )
    def put(self, request):
        data = campaign_data(request, read_body(request, CampaignBody))
        campaign = services.update_campaign(request.user, data.name, data)
        return Response(campaign_json(campaign))


class CampaignDetailView(AcceptAnyView):
    """A discovery campaign (staff only): ``DELETE`` removes it with what it found, ``PATCH``
    (Horizon's flush) forgets what it found; the certificates stay in the inventory either
    way. The portal does not scan its hosts and ports."""

    kind = KIND

    @extend_schema(operation_id="discovery_campaign_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, name):
        return Response(campaign_json(_campaign(name)))

    @extend_schema(
        operation_id="discovery_campaign_delete",
        responses=answers(None, 403, 404, ok_status=204),
    )
    def delete(self, request, name):
        services.delete_campaign(request.user, name)
        return Response(status=204)

    @extend_schema(
        operation_id="discovery_campaign_flush",
        request=None,
        responses=answers(None, 403, 404, ok_status=204),
    )
    def patch(self, request, name):
        services.flush_campaign(request.user, name)
        return Response(status=204)


urlpatterns = [
    path("api/v1/discovery/campaigns", CampaignListView.as_view()),
    path("api/v1/discovery/campaigns/<text:name>", CampaignDetailView.as_view()),
]
