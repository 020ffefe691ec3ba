"""What a campaign and a feed must look like, checked at the edges (the API views and the
page forms) before the services run. Each check raises ``DomainError`` with the code the
edge answers, naming the field."""

import ipaddress
import re
from dataclasses import dataclass, field

from raportal.errors import DomainError

INVALID_CAMPAIGN = "DISC-CAMP-002"
INVALID_FEED = "DISC-FEED-002"

MAX_ITEMS = 100  # per list: hosts, ports, hostnames, paths…
MAX_TEXT = 1024  # per item of host data (a path may be long)
# A host to scan as Horizon takes it: a name, an address, a CIDR block or a range "a-b".
HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:/\-_*\[\]]{0,252}")
PORT = re.compile(r"(\d{1,5})(?:-(\d{1,5}))?")


@dataclass
class CampaignData:
    """A campaign as the services take it, whatever the edge (API body or page form)."""

    name: str
    description: str = ""
    enabled: bool = True
    search_level: str = "authorized"
    feed_level: str = "authorized"
    event_on_success: bool = False
    event_on_warning: bool = False
    event_on_failure: bool = False
    hosts: list[str] = field(default_factory=list)
    ports: list[str] = field(default_factory=list)


@dataclass
class HostData:
    """Where a certificate was found (Horizon's HostDiscoveryData). ``None``: not sent (the
    stored value stays); a list: replaces the stored one."""

    ip: str = ""
    hostnames: list[str] | None = None
    operating_systems: list[str] | None = None
    paths: list[str] | None = None
    usages: list[str] | None = None
    sources: list[str] | None = None
    tls_ports: list[dict] | None = None


def checked_hosts(values, *, code: str = INVALID_CAMPAIGN) -> list[str]:
    out = []
    for value in _items(values, "hosts", code):
        value = value.strip()
        if not HOST.fullmatch(value):
            raise DomainError(
                code,
                f"hosts: {value[:80]!r} is not a host name, an IP address, a CIDR block or a range",
                fields={"hosts": f"“{value[:80]}” is not a host name, address, block or range."},
            )
        out.append(value)
    return list(dict.fromkeys(out))


def checked_ports(values, *, code: str = INVALID_CAMPAIGN) -> list[str]:
    out = []
    for value in _items(values, "ports", code):
        value = value.strip()
        match = PORT.fullmatch(value)
        numbers = [int(n) for n in match.groups() if n] if match else []
        if not numbers or not all(1 <= n <= 65535 for n in numbers) or numbers != sorted(numbers):
            raise DomainError(
                code,
                f"ports: {value[:80]!r} is not a port (1-65535) or a range of ports (low-high)",
                fields={"ports": f"“{value[:80]}” is not a port (1-65535) or a range low-high."},
            )
        out.append(value)
    return list(dict.fromkeys(out))


def checked_ip(value: str | None) -> str:
    """The address in canonical form ("" for none), or 400 DISC-FEED-002."""
    if value is None or not value.strip():
        return ""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise DomainError(
            INVALID_FEED, f"hostDiscoveryData.ip: {value[:80]!r} is not an IP address"
        ) from None


def checked_texts(values, name: str) -> list[str] | None:
    """A list of short texts, or None when not sent."""
    if values is None:
        return None
    out = [value.strip() for value in _items(values, name, INVALID_FEED)]
    return list(dict.fromkeys(value for value in out if value))


def checked_tls_ports(values) -> list[dict] | None:
    if values is None:
        return None
    if len(values) > MAX_ITEMS:
        raise DomainError(INVALID_FEED, f"hostDiscoveryData.tlsPorts: at most {MAX_ITEMS}")
    out = []
    for item in values:
        if not 1 <= item["port"] <= 65535 or len(item["version"]) > 32:
            raise DomainError(
                INVALID_FEED,
                "hostDiscoveryData.tlsPorts: a port from 1 to 65535 and a short version",
            )
        out.append({"port": item["port"], "version": item["version"]})
    return out


def _items(values, name: str, code: str) -> list[str]:
    values = list(values or [])
    if len(values) > MAX_ITEMS:
        raise DomainError(code, f"{name}: at most {MAX_ITEMS} entries")
    for value in values:
        if not isinstance(value, str) or len(value) > MAX_TEXT or not value.isprintable():
            raise DomainError(
                code, f"{name}: entries are printable texts of at most {MAX_TEXT} characters"
            )
    return values
