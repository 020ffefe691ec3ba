"""DNS for ACME challenge validation: the TXT records of dns-01 (RFC 8555 §8.4) and the
addresses http-01 connects to (§8.3).

- ``RAPORTAL_ACME_RESOLVE`` answers for names without asking DNS (``{"*": "127.0.0.1"}``: every
  name; the tests run on loopback with it).
- ``RAPORTAL_ACME_DNS_RESOLVER`` ``(address, port)`` is the DNS server asked; unset, the
  system's resolver is (``getaddrinfo`` for addresses, so ``/etc/hosts`` counts too).
- Nothing is cached here: each attempt asks again (a client fixes its record and retries).

Every failure is a ``LookupFailed`` whose message is safe to show the client.
"""

import ipaddress
import socket
import threading

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
from django.conf import settings

# getaddrinfo's "no such name" and "no address for it" (glibc's EAI_NODATA).
NO_ADDRESS = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


class LookupFailed(Exception):
    """The name could not be looked up: does not exist, has no such record, timed out."""


def _resolver(timeout: float) -> dns.resolver.Resolver:
    server = getattr(settings, "RAPORTAL_ACME_DNS_RESOLVER", None)
    if server:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [server[0]]
        resolver.port = int(server[1])
    else:
        try:
            resolver = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            raise LookupFailed("the validation server has no DNS resolver configured") from None
    resolver.timeout = resolver.lifetime = max(timeout, 0.001)
    resolver.cache = None
    return resolver


def _why(name: str, record: str, exc: dns.exception.DNSException) -> str:
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return f"{name} does not exist (NXDOMAIN)"
    if isinstance(exc, dns.resolver.NoAnswer):
        return f"{name} has no {record} record"
    if isinstance(exc, dns.exception.Timeout):
        return f"the DNS lookup of {name} timed out"
    if isinstance(exc, dns.resolver.NoNameservers):
        return f"no DNS server answered for {name} (SERVFAIL or refused)"
    return f"the DNS lookup of {name} failed ({type(exc).__name__})"


def txt_values(name: str, timeout: float) -> list[bytes]:
    """The TXT records at ``name``, each one's strings joined (one value per record)."""
    try:
        qname = dns.name.from_text(name)
        answer = _resolver(timeout).resolve(qname, dns.rdatatype.TXT, search=False)
    except dns.exception.DNSException as exc:
        raise LookupFailed(_why(name, "TXT", exc)) from None
    # A TXT record longer than 255 bytes is several strings: they form one value.
    return [b"".join(rdata.strings) for rdata in answer]


def _override(name: str) -> str | None:
    table = getattr(settings, "RAPORTAL_ACME_RESOLVE", None) or {}
    key = name.lower().rstrip(".")
    return table.get(key) or table.get("*")


def addresses(name: str, timeout: float) -> list[str]:
    """The addresses to try for ``name``, IPv6 first where the resolver gives both."""
    if (pinned := _override(name)) is not None:
        return [pinned]
    try:
        return [str(ipaddress.ip_address(name))]
    except ValueError:
        pass
    if getattr(settings, "RAPORTAL_ACME_DNS_RESOLVER", None):
        return _dns_addresses(name, timeout)
    return _system_addresses(name, timeout)


def _dns_addresses(name: str, timeout: float) -> list[str]:
    resolver = _resolver(timeout)
    found: list[str] = []
    for rdtype in (dns.rdatatype.AAAA, dns.rdatatype.A):
        try:
            answer = resolver.resolve(dns.name.from_text(name), rdtype, search=False)
        except dns.resolver.NoAnswer:
            continue
        except dns.exception.DNSException as exc:
            raise LookupFailed(_why(name, dns.rdatatype.to_text(rdtype), exc)) from None
        found.extend(rdata.address for rdata in answer)
    if not found:
        raise LookupFailed(f"{name} has no A or AAAA record")
    return found


def _system_addresses(name: str, timeout: float) -> list[str]:
    # getaddrinfo takes no timeout: it runs in a thread of its own that is left behind (to
    # end with the system resolver's own timeout) when it outlasts the attempt's.
    answers: list[list[tuple]] = []
    errors: list[Exception] = []

    def lookup() -> None:
        try:
            answers.append(socket.getaddrinfo(name, None, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            errors.append(exc)

    worker = threading.Thread(target=lookup, name="acme-getaddrinfo", daemon=True)
    worker.start()
    worker.join(max(timeout, 0))
    if errors:
        error = errors[0]
        if isinstance(error, socket.gaierror) and error.errno in NO_ADDRESS:
            raise LookupFailed(f"{name} does not resolve to an address")
        raise LookupFailed(f"the DNS lookup of {name} failed ({error})")
    if not answers:
        raise LookupFailed(f"the DNS lookup of {name} timed out")
    found: list[str] = []
    for info in answers[0]:
        address = str(info[4][0])
        if address not in found:
            found.append(address)
    return found
