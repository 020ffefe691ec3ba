"""Discovery campaigns and what they found: Horizon's ``DiscoveryCampaign``, its
``DiscoveryInfo`` (a certificate seen in a campaign, when, by whom) and ``HostDiscoveryData``
(where: one entry per host and campaign).

The portal does not scan networks or hosts: a campaign's ``hosts`` and ``ports`` are stored
and answered for the tools that scan (Horizon's client, Ansible), which then feed what they
found (``POST /api/v1/discovery/feed``).
"""

from django.conf import settings
from django.db import models


class AccessLevel(models.TextChoices):
    # Horizon's authorization levels for a campaign's search and feed.
    AUTHORIZED = "authorized", "Accounts given the permission"
    AUTHENTICATED = "authenticated", "Every signed-in account"


class CampaignRight(models.TextChoices):
    FEED = "feed", "Feed"
    SEARCH = "search", "Search"


class DiscoveryCampaign(models.Model):
    name = models.SlugField(
        max_length=64,
        unique=True,
        help_text="Letters, digits, - and _: how feeds and the API name the campaign.",
    )
    description = models.TextField(blank=True, max_length=2000)
    enabled = models.BooleanField(default=True, help_text="Only an enabled campaign can be fed.")
    search_level = models.CharField(
        max_length=16,
        choices=AccessLevel.choices,
        default=AccessLevel.AUTHORIZED,
        help_text="Who may see the certificates it found (staff always may).",
    )
    feed_level = models.CharField(
        max_length=16,
        choices=AccessLevel.choices,
        default=AccessLevel.AUTHORIZED,
        help_text="Who may feed it (staff always may).",
    )
    # Stored and answered; the portal keeps no discovery events (Horizon's eventOn…).
    event_on_success = models.BooleanField(default=False)
    event_on_warning = models.BooleanField(default=False)
    event_on_failure = models.BooleanField(default=False)
    # What scanners should scan: stored and answered, never scanned by the portal.
    hosts = models.JSONField(default=list, blank=True)
    ports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CampaignPermission(models.Model):
    """An account's right on a campaign whose level for it is ``authorized`` (principal infos:
    ``discovery:<right>`` with the filter ``campaign = <name>``)."""

    campaign = models.ForeignKey(
        DiscoveryCampaign, on_delete=models.CASCADE, related_name="permissions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discovery_permissions"
    )
    right = models.CharField(max_length=8, choices=CampaignRight.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "user", "right"], name="uniq_campaign_permission"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} may {self.right} {self.campaign}"


class Discovery(models.Model):
    """A certificate found by a campaign (Horizon's DiscoveryInfo)."""

    campaign = models.ForeignKey(
        DiscoveryCampaign, on_delete=models.CASCADE, related_name="discoveries"
    )
    # The related name is what certificates' own code never reads: it asks
    # certificates/extensions.py, which this app's hook answers.
    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.CASCADE, related_name="discoveries"
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    identifier = models.CharField(
        max_length=150, blank=True, help_text="The account that fed it last."
    )

    class Meta:
        verbose_name_plural = "discoveries"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "certificate"], name="uniq_discovery")
        ]
        indexes = [models.Index(fields=["certificate", "campaign"], name="discovery_certificate")]

    def __str__(self) -> str:
        return f"{self.certificate_id} in {self.campaign_id}"


class DiscoveredHost(models.Model):
    """Where a campaign found the certificate (Horizon's HostDiscoveryData): one row per host
    (IP address; "" when the feed named none), updated by each feed from that host."""

    discovery = models.ForeignKey(Discovery, on_delete=models.CASCADE, related_name="hosts")
    ip = models.CharField(max_length=45, blank=True)
    hostnames = models.JSONField(default=list, blank=True)
    operating_systems = models.JSONField(default=list, blank=True)
    paths = models.JSONField(default=list, blank=True)
    usages = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list, blank=True)
    tls_ports = models.JSONField(default=list, blank=True)  # [{"port": 443, "version": "…"}]
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["ip"]
        constraints = [
            models.UniqueConstraint(fields=["discovery", "ip"], name="uniq_discovered_host")
        ]

    def __str__(self) -> str:
        return self.ip or "(no address)"
