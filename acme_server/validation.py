"""One validation attempt of an ACME challenge for a dns identifier (RFC 8555 §8).

- **http-01** (§8.3): ``GET http://<name>/.well-known/acme-challenge/<token>`` on port 80
  (``RAPORTAL_ACME_HTTP_PORT`` for tests and labs); the body, trailing whitespace ignored,
  must be the key authorization. Redirects are followed, at most 10, to http on port 80 and
  https on port 443 only (§8.3, §10.2), without checking the https certificate (§8.3: the
  client may be getting its first one). At most 8 KiB of the answer are read.
- **tls-alpn-01** (RFC 8737): a TLS handshake with ``<name>:443`` negotiating ``acme-tls/1``
  must show a certificate for that name only, with the critical acmeIdentifier extension
  holding SHA-256(key authorization).
- **dns-01** (§8.4): a TXT record at ``_acme-challenge.<name>`` must hold
  base64url(SHA-256(key authorization)), unpadded; any one of them will do.

One deadline, ``RAPORTAL_ACME_VALIDATION_TIMEOUT`` seconds, covers the whole attempt: DNS,
connecting, every redirect and every read (a server trickling its answer is cut off too).

Whom this connects to (SSRF, RFC 8555 §10.2): validation connects to the names the client
ordered, wherever they resolve, on purpose. The webhook guard (public addresses only) is not
applied: an internal CA validates internal names, whose addresses are private. Which names an
account may order at all is the RA's decision, made by the profile's SAN rules before any
validation. ``RAPORTAL_ACME_RESOLVE`` pins names to addresses (the tests: loopback).
"""

import base64
import contextlib
import hashlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from cryptography import x509
from django.conf import settings

from acme_server import dns_lookup

MAX_BODY_BYTES = 8192
MAX_REDIRECTS = 10
HTTPS_PORT = 443  # where an https redirect goes (RFC 8555 §8.3); a module constant for tests
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
USER_AGENT = "RA-Portal-ACME-validation/1"
TOKEN = re.compile(r"[A-Za-z0-9_-]+")  # base64url (RFC 8555 §8.1)
LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


@dataclass(frozen=True)
class ValidationResult:
    valid: bool
    error_type: str = ""  # ACME error type suffix: "connection", "unauthorized", "dns", "tls"…
    detail: str = ""  # human-readable, safe to show the client


class _Failed(Exception):
    def __init__(self, error_type: str, detail: str):
        super().__init__(detail)
        self.error_type = error_type
        self.detail = detail


def validate(
    challenge_type: str, identifier: str, token: str, key_authorization: str
) -> ValidationResult:
    """One attempt for a dns identifier (a wildcard's base name, without ``*.``). Network
    problems are results with an error type, never exceptions; an unknown challenge type is
    a ValueError."""
    check = CHECKS.get(challenge_type)
    if check is None:
        raise ValueError(f"unknown ACME challenge type {challenge_type!r}")
    deadline = time.monotonic() + float(settings.RAPORTAL_ACME_VALIDATION_TIMEOUT)
    try:
        if not _is_dns_name(identifier):
            raise _Failed("malformed", f"{identifier!r} is not a DNS name")
        check(identifier.rstrip(".").lower(), token, key_authorization, deadline)
    except _Failed as failed:
        return ValidationResult(False, failed.error_type, failed.detail)
    except dns_lookup.LookupFailed as exc:
        return ValidationResult(False, "dns", str(exc))
    except (OSError, http.client.HTTPException) as exc:  # TimeoutError included
        return ValidationResult(False, "connection", f"{type(exc).__name__}: {exc}"[:300])
    return ValidationResult(True)


def _is_dns_name(name: str) -> bool:
    labels = name.removesuffix(".").split(".")
    return 0 < len(name) <= 253 and name.isascii() and all(LABEL.fullmatch(x) for x in labels)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the validation attempt ran out of time")
    return left


# --- dns-01 (RFC 8555 §8.4) -----------------------------------------------------------------


def dns01_digest(key_authorization: str) -> str:
    """What the TXT record holds: base64url of the key authorization's SHA-256, unpadded."""
    digest = hashlib.sha256(key_authorization.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _dns01(identifier: str, token: str, key_authorization: str, deadline: float) -> None:
    name = f"_acme-challenge.{identifier}"
    values = dns_lookup.txt_values(name, deadline - time.monotonic())
    if dns01_digest(key_authorization).encode() in values:
        return
    found = ", ".join(repr(v.decode("ascii", "replace")[:64]) for v in values[:5])
    raise _Failed("unauthorized", f"no TXT record at {name} holds the expected value ({found})")


# --- http-01 (RFC 8555 §8.3) ----------------------------------------------------------------


def _http01(identifier: str, token: str, key_authorization: str, deadline: float) -> None:
    if not TOKEN.fullmatch(token):
        raise _Failed("malformed", "the token is not base64url")
    first = url = f"http://{identifier}/.well-known/acme-challenge/{token}"
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = _get(url, deadline)
        if status in REDIRECT_STATUSES:
            if not location:
                raise _Failed("unauthorized", f"{url} answered {status} without a Location")
            url = urljoin(url, location)
            continue
        if status != 200:
            raise _Failed("unauthorized", f"{url} answered HTTP {status}, not 200")
        if body.rstrip() != key_authorization.encode():
            # What came back is never shown: after a redirect it may be an internal page
            # (RFC 8555 §10.2), and the client reads this error.
            raise _Failed(
                "unauthorized", f"{first} did not answer the key authorization ({len(body)} bytes)"
            )
        return
    raise _Failed("connection", f"more than {MAX_REDIRECTS} redirects from {first}")


def _target(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path)`` of a URL validation may fetch."""
    if any(ch.isspace() or not ch.isprintable() or not ch.isascii() for ch in url):
        raise _Failed("connection", f"redirect to an invalid URL {url[:200]!r}")
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = -1
    # §8.3, §10.2: only the ports an http-01 answer may be served on, not any service.
    http_port = int(settings.RAPORTAL_ACME_HTTP_PORT)
    if scheme == "http" and port in (None, 80, http_port):
        port = http_port
    elif scheme == "https" and port in (None, 443, HTTPS_PORT):
        port = HTTPS_PORT
    else:
        raise _Failed(
            "connection",
            f"redirect to {url[:200]} not followed: only http on port 80 and https on port 443",
        )
    if _is_ip(host):
        # §10.2: a redirect names a host by its DNS name, as the order did; an address
        # literal would reach what no order could name (a metadata service, an admin port).
        raise _Failed("connection", f"redirect to an IP address {host!r} not followed")
    if parts.username is not None or not _is_dns_name(host):
        raise _Failed("connection", f"redirect to an invalid URL {url[:200]!r}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, path


def _tls_context() -> ssl.SSLContext:
    # §8.3: the server SHOULD NOT check the certificate on an https redirect.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class _Watchdog:
    """Shuts the connection down at the deadline, whatever call is blocked on it — a peer
    sending its headers a byte at a time included, which per-call socket timeouts miss."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock = sock
        self.fired = False
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        # The plain socket's shutdown, also under TLS: it wakes a blocked read.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    found = dns_lookup.addresses(host, deadline - time.monotonic())
    why = ""
    for address in found:
        try:
            return socket.create_connection((address, port), timeout=_remaining(deadline))
        except TimeoutError:
            why = "timed out"
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
    tried = ", ".join(found)
    raise _Failed("connection", f"could not connect to {host}:{port} ({tried}): {why}")


def _get(url: str, deadline: float) -> tuple[int, str | None, bytes]:
    """``(status, Location, body)`` of one GET; a _Failed for anything else."""
    scheme, host, port, path = _target(url)
    try:
        sock = _connect(host, port, deadline)
    except TimeoutError:
        raise _Failed("connection", f"timed out connecting to {host}:{port}") from None
    watchdog = _Watchdog(sock, deadline)
    try:
        if scheme == "https":
            try:
                sock = watchdog.sock = _tls_context().wrap_socket(sock, server_hostname=host)
            except ssl.SSLError as exc:
                raise _Failed("tls", f"TLS with {host}:{port} failed: {exc.reason}") from None
        return _exchange(sock, scheme, host, port, path, deadline)
    except _Failed:
        raise
    except (OSError, http.client.HTTPException) as exc:
        if watchdog.fired or isinstance(exc, TimeoutError):
            raise _Failed("connection", f"{url} did not answer in time") from None
        raise _Failed("connection", f"{url}: {type(exc).__name__} {exc}"[:300]) from None
    finally:
        watchdog.cancel()
        sock.close()


def _exchange(
    sock: socket.socket, scheme: str, host: str, port: int, path: str, deadline: float
) -> tuple[int, str | None, bytes]:
    sock.settimeout(_remaining(deadline))
    name = f"[{host}]" if ":" in host else host
    default = 80 if scheme == "http" else 443
    # The request is written here, the answer parsed by http.client: the socket stays ours
    # (connected to the address looked up, under the watchdog).
    sock.sendall(
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {name if port == default else f'{name}:{port}'}\r\n"
        f"User-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n".encode()
    )
    response = http.client.HTTPResponse(sock, method="GET")
    response.begin()
    if response.status in REDIRECT_STATUSES:
        return response.status, response.getheader("Location"), b""
    if response.status != 200:
        return response.status, None, b""
    length = response.getheader("Content-Length", "")
    if length.strip().isdigit() and int(length) > MAX_BODY_BYTES:
        raise _Failed("unauthorized", f"the answer is larger than {MAX_BODY_BYTES} bytes")
    body = b""
    while len(body) <= MAX_BODY_BYTES:
        sock.settimeout(_remaining(deadline))
        chunk = response.read1(MAX_BODY_BYTES + 1 - len(body))
        if not chunk:
            return response.status, None, body
        body += chunk
    raise _Failed("unauthorized", f"the answer is larger than {MAX_BODY_BYTES} bytes")


# --- tls-alpn-01 (RFC 8737) -----------------------------------------------------------------

TLS_ALPN_PORT = 443  # RFC 8737 §3; a module constant for tests
ACME_TLS_ALPN = "acme-tls/1"
ACME_IDENTIFIER = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.31")  # id-pe-acmeIdentifier, §6.1


def _tls_alpn01(identifier: str, token: str, key_authorization: str, deadline: float) -> None:
    where = f"{identifier}:{TLS_ALPN_PORT}"
    try:
        sock = _connect(identifier, TLS_ALPN_PORT, deadline)
    except TimeoutError:
        raise _Failed("connection", f"timed out connecting to {where}") from None
    watchdog = _Watchdog(sock, deadline)
    try:
        context = _tls_context()  # a self-signed certificate made for this check, §3
        context.set_alpn_protocols([ACME_TLS_ALPN])
        sock = watchdog.sock = context.wrap_socket(sock, server_hostname=identifier)
        protocol = sock.selected_alpn_protocol()
        der = sock.getpeercert(binary_form=True)
    except ssl.SSLError as exc:
        raise _Failed("tls", f"TLS with {where} failed: {exc.reason}") from None
    except OSError as exc:
        if watchdog.fired or isinstance(exc, TimeoutError):
            raise _Failed("connection", f"{where} did not answer in time") from None
        raise _Failed("connection", f"{where}: {type(exc).__name__} {exc}"[:300]) from None
    finally:
        watchdog.cancel()
        sock.close()
    if protocol != ACME_TLS_ALPN:
        raise _Failed("tls", f"{where} did not negotiate the {ACME_TLS_ALPN} protocol")
    _check_alpn_certificate(where, identifier, key_authorization, der)


def _check_alpn_certificate(
    where: str, identifier: str, key_authorization: str, der: bytes | None
) -> None:
    try:
        certificate = x509.load_der_x509_certificate(der or b"")
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        marker = certificate.extensions.get_extension_for_oid(ACME_IDENTIFIER)
    except (ValueError, x509.ExtensionNotFound) as exc:
        raise _Failed("unauthorized", f"the certificate of {where} does not fit: {exc}") from None
    # §3: exactly the name validated, and the critical acmeIdentifier extension holding the
    # DER OCTET STRING of the key authorization's SHA-256.
    if [(type(n), str(n.value).lower()) for n in names.value] != [(x509.DNSName, identifier)]:
        raise _Failed("unauthorized", f"the certificate of {where} is not for {identifier} only")
    digest = hashlib.sha256(key_authorization.encode()).digest()
    value = getattr(marker.value, "value", b"")
    if not marker.critical or value != b"\x04\x20" + digest:
        raise _Failed("unauthorized", f"the acmeIdentifier of {where} does not match")


CHECKS: dict[str, Callable[[str, str, str, float], None]] = {
    "http-01": _http01,
    "dns-01": _dns01,
    "tls-alpn-01": _tls_alpn01,
}
