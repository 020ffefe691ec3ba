"""Outbound HTTP for webhooks, safe to point at the internet from inside a PKI zone.

- **Targets** (SSRF): the host is resolved once and every address it resolves to must be a
  public one; loopback, private (RFC 1918, ULA), link-local (169.254/16 — cloud metadata
  services — and fe80::/10), shared (100.64/10), multicast, reserved and unspecified
  addresses are refused unless ``RAPORTAL_WEBHOOK_ALLOWED_NETWORKS`` names a network that
  holds them. The connection then goes to the address that was checked (no second lookup a
  DNS rebinding could answer differently); TLS still verifies the certificate for the name.
- **Redirects** are followed only to the same scheme, host and port (at most 3); a redirect
  elsewhere is not followed and the 3xx is the answer.
- **Time and size**: one timeout covers the whole call — connecting, sending, every read,
  redirects (``RAPORTAL_WEBHOOK_TIMEOUT`` at most), so a receiver trickling its answer a
  byte at a time is cut off too — and at most ``RAPORTAL_WEBHOOK_MAX_RESPONSE_BYTES`` of the
  answer are read.
- **Signature**: ``X-RAPortal-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`` over
  ``"<t>.<body>"`` with the trigger's secret; receivers recompute it and refuse a ``t`` more
  than a few minutes old (replay).
"""

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings

SIGNATURE_HEADER = "X-RAPortal-Signature"
MAX_REDIRECTS = 3
USER_AGENT = "RA-Portal-webhooks/1"


HTTPException = http.client.HTTPException


class TargetRefused(Exception):
    """The URL may not be called (scheme, name that does not resolve, address refused)."""


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    truncated: bool = False
    url: str = ""


def sign(secret: str, body: bytes, at: int | None = None) -> str:
    """The signature header's value for ``body`` sent at unix time ``at``."""
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify_signature(secret: str, body: bytes, header: str, *, tolerance: int = 300) -> bool:
    """What a receiver does (and the tests): the MAC matches and ``t`` is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        at = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - at) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, at), header)


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return list(getattr(settings, "RAPORTAL_WEBHOOK_ALLOWED_NETWORKS", []))


# IPv6 forms that carry an IPv4 address (RFC 6052 NAT64, RFC 6145 SIIT, the deprecated
# IPv4-compatible form, 6to4) reach that IPv4 address: it is the one checked. Site-local
# (fec0::/10, deprecated) is private whatever Python's tables say.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
EMBEDDED_V4 = (ipaddress.ip_network("::/96"), ipaddress.ip_network("::ffff:0:0:0/96"))
SITE_LOCAL = ipaddress.ip_network("fec0::/10")


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if any(address in net for net in (*NAT64, *EMBEDDED_V4)) and int(address) > 0xFFFF_FFFF:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    if address in EMBEDDED_V4[0] and int(address) > 1:  # ::a.b.c.d (not :: nor ::1)
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def _address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if any(address in network for network in allowed_networks()):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address in SITE_LOCAL:
            return False
        inner = _embedded_v4(address)
        if inner is not None:
            return _address_allowed(inner)
    return address.is_global and not address.is_multicast


def resolve_target(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, address)`` of a URL that may be called; else TargetRefused."""
    if any(ch.isspace() or ord(ch) < 0x21 or ord(ch) > 0x7E for ch in url):
        raise TargetRefused("the URL holds spaces, control or non-ASCII characters: encode them")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused(f"only http and https URLs are called, not {scheme or 'this'!r}")
    host = parts.hostname
    if not host:
        raise TargetRefused("the URL names no host")
    if parts.username or parts.password:
        raise TargetRefused("credentials in the URL are refused: use a header")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused(f"invalid port: {exc}") from None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"{host} does not resolve: {exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    refused = sorted({str(a) for a in addresses if not _address_allowed(a)})
    if refused or not addresses:
        raise TargetRefused(
            f"{host} resolves to {', '.join(refused) or 'nothing'}: private, loopback, "
            "link-local and reserved addresses are refused (RAPORTAL_WEBHOOK_ALLOWED_NETWORKS "
            "allows chosen networks)"
        )
    return scheme, host, port, str(addresses[0])


def check_target(url: str) -> None:
    """When a trigger is saved: its URL must be callable now, except that a name which does
    not resolve from here yet is accepted (it is resolved and checked at every call)."""
    try:
        resolve_target(url)
    except TargetRefused as exc:
        if "does not resolve" not in str(exc):
            raise


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a checked address while verifying TLS for the host name."""

    def __init__(self, host: str, address: str, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def _left(connection: http.client.HTTPConnection, deadline: float) -> None:
    """Lets the next socket operation wait only for what remains of the call's time."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("the webhook call took longer than its timeout")
    if connection.sock is not None:
        connection.sock.settimeout(remaining)


def request(
    method: str,
    url: str,
    *,
    headers: list[tuple[str, str]],
    body: bytes | None,
    timeout: float,
) -> Answer:
    """Calls ``url`` as the module docstring says; raises TargetRefused or OSError."""
    limit = int(getattr(settings, "RAPORTAL_WEBHOOK_MAX_RESPONSE_BYTES", 65536))
    timeout = min(timeout, float(getattr(settings, "RAPORTAL_WEBHOOK_TIMEOUT", 10)))
    origin = None
    deadline = time.monotonic() + timeout  # the whole call, redirects included
    for _ in range(MAX_REDIRECTS + 1):
        scheme, host, port, address = resolve_target(url)
        if origin is None:
            origin = (scheme, host, port)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = _PinnedHTTPSConnection(
                host, address, port=port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = _PinnedHTTPConnection(host, address, port=port, timeout=timeout)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            sent = {name.lower() for name, _ in headers}
            if "user-agent" not in sent:
                connection.putheader("User-Agent", USER_AGENT)
            for name, value in headers:
                # A value that Latin-1 cannot carry (a DN with "☃") goes as UTF-8 bytes.
                try:
                    value.encode("latin-1")
                    connection.putheader(name, value)
                except UnicodeEncodeError:
                    connection.putheader(name, value.encode())
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            _left(connection, deadline)
            response = connection.getresponse()
            data = b""
            while len(data) <= limit:  # a receiver trickling bytes meets the deadline
                _left(connection, deadline)
                chunk = response.read1(limit + 1 - len(data))
                if not chunk:
                    break
                data += chunk
            answer = Answer(
                status=response.status,
                headers=list(response.getheaders()),
                body=data[:limit].decode("utf-8", errors="replace"),
                truncated=len(data) > limit,
                url=url,
            )
        finally:
            connection.close()
        location = response.getheader("Location")
        if answer.status in (301, 302, 303, 307, 308) and location:
            target = urljoin(url, location)
            moved = urlsplit(target)
            same = (
                moved.scheme.lower(),
                moved.hostname,
                moved.port or (443 if moved.scheme.lower() == "https" else 80),
            )
            if same != origin:
                return answer  # never followed to another host: the 3xx is the answer
            if answer.status == 303:
                method, body = "GET", None
            url = target
            continue
        return answer
    return answer
