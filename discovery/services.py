"""Every write of discovery, one function each, behind both the API and the pages: campaigns
(create, update, enable/disable, delete, flush) and the feed. Each runs in one transaction,
writes an audit event in it, and raises ``DomainError`` with the contract's code.

What a feed does (``feed``):

- an unknown certificate (by SHA-256 thumbprint) joins the inventory as Horizon's unmanaged
  certificates do: no profile, no owner, module ``discovery``, recorded by the same function
  as any certificate (``certificates.services.record_certificate``: holderId, thumbprints,
  dates…), recognised as the built-in CA's when one of them signed it;
- the certificate is attached to the campaign (Horizon's DiscoveryInfo: first and last seen,
  who fed it) with the host data (one entry per IP address, replaced field by field by the
  next feed from the same host);
- a known certificate only gains the discovery data: nothing else of it changes.
"""

from dataclasses import dataclass

from cryptography import x509
from django.db import IntegrityError, transaction
from django.utils import timezone

from certificates.models import Certificate
from certificates.pki import fingerprints
from certificates.services import issuing_authority, record_certificate
from discovery import access
from discovery.models import DiscoveredHost, Discovery, DiscoveryCampaign
from discovery.validation import INVALID_FEED, CampaignData, HostData
from raportal import audit_changes
from raportal.errors import DomainError, forbidden
from raportal.models import record
from requests_app.workflows.fitness import refuse_authorities

MODULE = "discovery"  # the module of certificates the portal knows from discovery only
FIELDS = (
    "description",
    "enabled",
    "search_level",
    "feed_level",
    "event_on_success",
    "event_on_warning",
    "event_on_failure",
    "hosts",
    "ports",
)


def not_found(name: str) -> DomainError:
    return DomainError("DISC-CAMP-003", f"no discovery campaign named {name[:80]!r}")


def _require_staff(actor) -> None:
    if not access.may_manage(actor):
        raise forbidden("discovery campaigns are managed by staff accounts")


def _locked(name: str) -> DiscoveryCampaign:
    campaign = DiscoveryCampaign.objects.select_for_update().filter(name=name).first()
    if campaign is None:
        raise not_found(name)
    return campaign


def _summary(campaign: DiscoveryCampaign) -> dict:
    return {"name": campaign.name, "enabled": campaign.enabled}


# --- campaigns ---------------------------------------------------------------------------


def create_campaign(actor, data: CampaignData) -> DiscoveryCampaign:
    _require_staff(actor)
    campaign = DiscoveryCampaign(name=data.name, **{f: getattr(data, f) for f in FIELDS})
    try:
        with transaction.atomic():
            campaign.save(force_insert=True)
            record(actor, "campaign.create", campaign, **_summary(campaign))
    except IntegrityError:
        raise DomainError(
            "DISC-CAMP-004", f"a discovery campaign named {data.name!r} already exists"
        ) from None
    return campaign


def update_campaign(actor, name: str, data: CampaignData) -> DiscoveryCampaign:
    """Sets every field of the campaign named ``name`` (renaming it to ``data.name``)."""
    _require_staff(actor)
    try:
        with transaction.atomic():
            campaign = _locked(name)
            before = audit_changes.snapshot(campaign, ("name", *FIELDS))
            changed = [f for f in FIELDS if getattr(campaign, f) != getattr(data, f)]
            if data.name != campaign.name:
                changed.append("name")
            campaign.name = data.name
            for f in FIELDS:
                setattr(campaign, f, getattr(data, f))
            campaign.save()
            changed.sort()
            after = audit_changes.snapshot(campaign, ("name", *FIELDS))
            record(
                actor,
                "campaign.update",
                campaign,
                changed=changed,
                **_summary(campaign),
                **audit_changes.detail(before, after),
            )
    except IntegrityError:
        raise DomainError(
            "DISC-CAMP-004", f"a discovery campaign named {data.name!r} already exists"
        ) from None
    return campaign


def set_enabled(actor, name: str, enabled: bool) -> DiscoveryCampaign:
    _require_staff(actor)
    with transaction.atomic():
        campaign = _locked(name)
        if campaign.enabled != enabled:
            campaign.enabled = enabled
            campaign.save(update_fields=["enabled", "updated_at"])
            record(actor, "campaign.enable" if enabled else "campaign.disable", campaign)
    return campaign


def delete_campaign(actor, name: str) -> int:
    """Deletes the campaign with its discovery data and permissions; the certificates it found
    stay in the inventory. Returns how many certificates it had found."""
    _require_staff(actor)
    with transaction.atomic():
        campaign = _locked(name)
        found = campaign.discoveries.count()
        record(actor, "campaign.delete", campaign, name=campaign.name, certificates=found)
        campaign.delete()
    return found


def flush_campaign(actor, name: str) -> int:
    """Empties what the campaign found (Horizon's flush); the certificates stay in the
    inventory. Returns how many certificates it had found."""
    _require_staff(actor)
    with transaction.atomic():
        campaign = _locked(name)
        found = campaign.discoveries.count()
        campaign.discoveries.all().delete()  # and their hosts
        record(actor, "campaign.flush", campaign, name=campaign.name, certificates=found)
    return found


# --- the feed ----------------------------------------------------------------------------


@dataclass
class FeedOutcome:
    certificate: Certificate
    new_certificate: bool  # it joined the inventory with this feed
    new_discovery: bool  # first time this campaign found it


def feedable_campaign(actor, name: str) -> DiscoveryCampaign:
    """The campaign ``actor`` may feed. Outsiders (who may neither feed nor search it) are
    told it does not exist (404 DISC-CAMP-003); those who may search but not feed get 403; a
    disabled campaign cannot be fed (400 DISC-FEED-002)."""
    campaign = DiscoveryCampaign.objects.filter(name=name).first()
    if campaign is None:
        raise not_found(name)
    if not access.may_feed(actor, campaign):
        if not access.may_search(actor, campaign):
            raise not_found(name)
        raise forbidden(f"you may not feed discovery campaign {name!r}")
    if not campaign.enabled:
        raise DomainError(INVALID_FEED, f"discovery campaign {name!r} is disabled: enable it first")
    return campaign


def feed(actor, campaign_name: str, certificate: x509.Certificate, host: HostData) -> FeedOutcome:
    campaign = feedable_campaign(actor, campaign_name)
    # The inventory is of end-entity certificates (a scan that fetched a chain feeds its leaf).
    refuse_authorities(certificate, code=INVALID_FEED)
    now = timezone.now()
    with transaction.atomic():
        row, new_certificate = _inventory_row(certificate)
        discovery, new_discovery = Discovery.objects.get_or_create(
            campaign=campaign,
            certificate=row,
            defaults={"first_seen": now, "last_seen": now, "identifier": _name(actor)},
        )
        if not new_discovery:
            discovery.last_seen, discovery.identifier = now, _name(actor)
            discovery.save(update_fields=["last_seen", "identifier"])
        _save_host(discovery, host, now)
        record(
            actor,
            "certificate.discover",
            row,
            campaign=campaign.name,
            ip=host.ip,
            new=new_certificate,
            serial=row.serial,
        )
    return FeedOutcome(row, new_certificate, new_discovery)


def _name(actor) -> str:
    return actor.get_username() if getattr(actor, "pk", None) else ""


def _inventory_row(certificate: x509.Certificate) -> tuple[Certificate, bool]:
    """The certificate's row, locked until the end of the transaction (feeds of one
    certificate queue behind each other), and whether this feed created it."""
    thumbprint = fingerprints.thumbprint(certificate)
    existing = Certificate.objects.select_for_update(of=("self",)).filter(thumbprint=thumbprint)
    row = existing.first()
    if row is not None:
        return row, False
    try:
        with transaction.atomic():  # a concurrent first feed of the same certificate: one wins
            row = record_certificate(
                certificate, ca=issuing_authority(certificate), profile=None, module=MODULE
            )
    except IntegrityError:
        row = existing.first()
        if row is None:  # not the same certificate: its issuer and serial are taken
            raise DomainError(
                INVALID_FEED,
                "certificate: another certificate with this issuer and serial number is "
                "already registered",
            ) from None
        return row, False
    return row, True


def _save_host(discovery: Discovery, host: HostData, now) -> None:
    given = {
        name: value
        for name, value in (
            ("hostnames", host.hostnames),
            ("operating_systems", host.operating_systems),
            ("paths", host.paths),
            ("usages", host.usages),
            ("sources", host.sources),
            ("tls_ports", host.tls_ports),
        )
        if value is not None
    }
    row = DiscoveredHost.objects.filter(discovery=discovery, ip=host.ip).first()
    if row is None:
        DiscoveredHost.objects.create(discovery=discovery, ip=host.ip, last_seen=now, **given)
        return
    for name, value in given.items():
        setattr(row, name, value)
    row.last_seen = now
    row.save(update_fields=[*given, "last_seen"])
