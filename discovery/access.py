"""Who may do what with a discovery campaign: the one place that decides, for the feed, the
certificate API and pages, and the campaign pages alike.

- Administrators (active staff accounts, ``raportal.callers.is_administrator``) hold every
  right on every campaign, as Horizon's administrator holds every permission; only they
  change campaigns.
- Otherwise, per campaign and right (``feed``, ``search``): its level for that right is
  ``authenticated`` (every signed-in account), or the account was given the right
  (``CampaignPermission``, written by principal infos as ``discovery:<right>`` with the
  filter ``campaign = <name>``).
- ``search`` is seeing the certificates a campaign found, and where it found them.
"""

from django.db.models import Q, QuerySet

from discovery.models import AccessLevel, CampaignPermission, CampaignRight, DiscoveryCampaign
from raportal.callers import is_administrator


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def campaigns_with(user, right: str) -> QuerySet:
    """The campaigns on which ``user`` holds ``right`` (a queryset: usable as a subquery)."""
    if not _signed_in(user):
        return DiscoveryCampaign.objects.none()
    if is_administrator(user):
        return DiscoveryCampaign.objects.all()
    levels = {CampaignRight.FEED.value: "feed_level", CampaignRight.SEARCH.value: "search_level"}
    level = levels[right]
    given = CampaignPermission.objects.filter(user=user, right=right).values("campaign")
    return DiscoveryCampaign.objects.filter(
        Q(**{level: AccessLevel.AUTHENTICATED}) | Q(pk__in=given)
    )


def may(user, right: str, campaign: DiscoveryCampaign) -> bool:
    if not _signed_in(user):
        return False
    if is_administrator(user):
        return True
    level = campaign.feed_level if right == CampaignRight.FEED else campaign.search_level
    if level == AccessLevel.AUTHENTICATED:
        return True
    return CampaignPermission.objects.filter(campaign=campaign, user=user, right=right).exists()


def may_feed(user, campaign: DiscoveryCampaign) -> bool:
    return may(user, CampaignRight.FEED, campaign)


def may_search(user, campaign: DiscoveryCampaign) -> bool:
    return may(user, CampaignRight.SEARCH, campaign)


def may_manage(user) -> bool:
    return is_administrator(user)
