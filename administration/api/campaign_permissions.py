"""Discovery rights in principal infos: permission ``discovery:feed`` or ``discovery:search``
with the filter ``campaign = <name>`` (``campaign equals "<name>"`` is read too), written the
way lifecycle permissions name their profile. They matter on campaigns whose level for that
right is ``authorized``; staff hold every right anyway (discovery/access.py).

A malformed one (no campaign filter, a wildcard, an unknown right or campaign) → 400 naming
it, as for lifecycle permissions."""

import re

from administration.api.base import permission_filter_value
from discovery.models import CampaignPermission, CampaignRight, DiscoveryCampaign
from raportal.errors import invalid_request

PREFIX = "discovery:"
DISCOVERY = re.compile(r"discovery:(?P<right>[^:]*)")


def is_discovery(value: str) -> bool:
    return value.strip().startswith(PREFIX)


def permission_json(permission: CampaignPermission) -> dict:
    return {
        "value": f"{PREFIX}{permission.right}",
        "filter": f"campaign = {permission.campaign.name}",
    }


def permissions_json(user) -> list[dict]:
    """The account's discovery permissions (prefetch ``discovery_permissions__campaign``)."""
    held = sorted(user.discovery_permissions.all(), key=lambda p: (p.campaign.name, p.right))
    return [permission_json(permission) for permission in held]


def wanted_rights(permissions) -> set[tuple[int, str]]:
    """{(campaign id, right)} for the body's discovery permissions; 400 naming a bad one."""
    parsed = []
    for index, permission in enumerate(permissions or []):
        value = permission.value.strip()
        if not value.startswith(PREFIX):
            continue
        shown = f"permissions[{index}] {value[:80]!r}"
        match = DISCOVERY.fullmatch(value)
        if match is None or "*" in value or match["right"] not in CampaignRight.values:
            raise invalid_request(
                f"{shown}: expected discovery:feed or discovery:search (no wildcards)"
            )
        name = permission_filter_value("campaign", permission.filter)
        if name is None:
            got = str(permission.filter)[:80]
            raise invalid_request(f"{shown}: needs the filter 'campaign = <name>' (got {got!r})")
        parsed.append((shown, match["right"], name))
    campaigns = DiscoveryCampaign.objects.in_bulk({name for *_, name in parsed}, field_name="name")
    wanted = set()
    for shown, right, name in parsed:
        campaign = campaigns.get(name)
        if campaign is None:
            raise invalid_request(f"{shown}: no discovery campaign named {name[:80]!r}")
        wanted.add((campaign.pk, right))
    return wanted
