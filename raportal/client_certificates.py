"""The TLS client certificate a reverse proxy forwards (EST re-enrollment, RFC 7030 §3.3.2).

The portal does not terminate TLS: the proxy in front of it verifies the client's certificate
and forwards it, URL-encoded PEM, in a header (``RAPORTAL_CLIENT_CERT_HEADER``, nginx:
``proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;``). Anyone can send such a
header, so it is honoured only from the proxies' own addresses
(``RAPORTAL_CLIENT_CERT_PROXIES``, addresses or networks) and stripped from every other
request by ``ClientCertificateHeaderMiddleware`` before any view runs.
"""

import ipaddress
import urllib.parse
from collections.abc import Callable

from cryptography import x509
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def header_key() -> str:
    """The header's key in ``request.META`` (HTTP_X_SSL_CLIENT_CERT…)."""
    name = settings.RAPORTAL_CLIENT_CERT_HEADER
    return "HTTP_" + name.upper().replace("-", "_")


def proxy_networks() -> list[Network]:
    return [
        ipaddress.ip_network(item, strict=False) for item in settings.RAPORTAL_CLIENT_CERT_PROXIES
    ]


def from_proxy(request: HttpRequest) -> bool:
    """Whether the request's peer (REMOTE_ADDR, never a header) is one of the proxies."""
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in proxy_networks())


class ClientCertificateHeaderMiddleware:
    """Drops the client-certificate header of every request not sent by a named proxy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = header_key()
        if key in request.META and not from_proxy(request):
            del request.META[key]
        return self.get_response(request)


def presented_certificate(request: HttpRequest) -> x509.Certificate | None:
    """The certificate the proxy forwarded, or None (none, not from a proxy, unreadable)."""
    if not from_proxy(request):
        return None
    value = request.META.get(header_key(), "")
    if not value or len(value) > 64 * 1024:
        return None
    pem = urllib.parse.unquote(value).strip()
    if "-----BEGIN CERTIFICATE-----" not in pem:  # some proxies send it with spaces for newlines
        return None
    pem = _restore_newlines(pem)
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return None


def _restore_newlines(pem: str) -> str:
    """PEM whose line breaks a proxy turned into spaces (Apache, older nginx
    ``$ssl_client_cert`` folded into one line) back into PEM."""
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    body = pem.split(begin, 1)[1].split(end, 1)[0]
    return f"{begin}\n" + "\n".join(body.split()) + f"\n{end}\n"
