"""What discovery adds to certificates, through certificates/extensions.py (certificates
import nothing from here):

- who may see a certificate: also whoever may search a campaign that found it, when the
  portal manages it on no profile — a managed certificate's record (owner, team, labels,
  history) stays with those its profile's grants name: a certificate is public, and feeding
  one must not open its record (administrators see every certificate anyway);
- its JSON: Horizon's ``discoveryInfo`` (one entry per campaign: name, last discovery date,
  who fed it) and ``discoveryData`` (one entry per host: ip, hostnames, operatingSystems,
  paths, usages, sources, tlsPorts), from campaigns the caller may search only;
- its page: where it was found.

One query more per page of certificates (two when some were discovered); none on paths that
do not ask (``with_extensions``), such as a request's answer.
"""

from django.db.models import Prefetch, Q

from certificates import extensions
from discovery import access
from discovery.models import CampaignRight, Discovery
from raportal.callers import is_administrator

ATTRIBUTE = "visible_discoveries"  # where the prefetch puts what the viewer may see


def visible(user) -> Q | None:
    if not getattr(user, "is_authenticated", False) or is_administrator(user):
        return None  # administrators see every certificate (Certificate.objects.visible_to)
    found = Discovery.objects.filter(
        campaign__in=access.campaigns_with(user, CampaignRight.SEARCH),
        certificate__profile__isnull=True,
    )
    # ``pk IN (subquery)``, not a correlated EXISTS: the database computes the (small) set of
    # discovered certificates once, not once per certificate row it looks at.
    return Q(pk__in=found.values("certificate_id"))


def prefetch(user) -> list:
    found = (
        Discovery.objects.filter(campaign__in=access.campaigns_with(user, CampaignRight.SEARCH))
        .select_related("campaign")
        .prefetch_related("hosts")
        .order_by("campaign__name")
    )
    return [Prefetch("discoveries", queryset=found, to_attr=ATTRIBUTE)]


def epoch_ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def discovery_json(certificate) -> dict:
    discoveries = getattr(certificate, ATTRIBUTE, None)
    if discoveries is None:  # not prefetched: the caller did not ask (certificates/extensions)
        return {}
    info = [
        {
            "campaign": d.campaign.name,
            "lastDiscoveryDate": epoch_ms(d.last_seen),
            "identifier": d.identifier or None,
        }
        for d in discoveries
    ]
    return {"discoveryInfo": info, "discoveryData": hosts_json(discoveries)}


LISTS = (
    ("hostnames", "hostnames"),
    ("operatingSystems", "operating_systems"),
    ("paths", "paths"),
    ("usages", "usages"),
    ("sources", "sources"),
)


def hosts_json(discoveries) -> list[dict]:
    """Horizon's HostDiscoveryData, one entry per host: a host seen by several campaigns is
    one entry, with what each of them saw."""
    by_ip: dict[str, dict] = {}
    for discovery in discoveries:
        for host in discovery.hosts.all():
            entry = by_ip.setdefault(host.ip, {key: [] for key, _ in LISTS} | {"tlsPorts": []})
            for key, attribute in LISTS:
                entry[key] += [v for v in getattr(host, attribute) if v not in entry[key]]
            entry["tlsPorts"] += [p for p in host.tls_ports if p not in entry["tlsPorts"]]
    return [({"ip": ip} if ip else {}) | entry for ip, entry in sorted(by_ip.items())]


def page_section(user, certificate) -> list[extensions.PagePart]:
    discoveries = getattr(certificate, ATTRIBUTE, None)  # as the viewer may see them
    if not discoveries:
        return []
    return [
        extensions.PagePart(
            "main", "discovery/certificate_section.html", {"discoveries": discoveries}
        )
    ]


def register() -> None:
    extensions.register(
        extensions.CertificateExtension(
            name="discovery",
            visible=visible,
            prefetch=prefetch,
            json=discovery_json,
            page=page_section,
        )
    )
