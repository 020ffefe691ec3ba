"""A small authoritative DNS server on loopback (dnslib) for the validation tests: names are
added as records, any other name is NXDOMAIN."""

import contextlib
from collections.abc import Iterator

from dnslib import QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class Zone(BaseResolver):
    def __init__(self) -> None:
        self.records: list[RR] = []
        self.questions: list[tuple[str, str]] = []

    def add(self, zone_line: str) -> None:
        """One record in zone file syntax: ``'_acme-challenge.a.test. 60 IN TXT "value"'``."""
        self.records.extend(RR.fromZone(zone_line))

    def resolve(self, request, handler):
        reply = request.reply()
        name, qtype = request.q.qname, request.q.qtype
        self.questions.append((str(name), QTYPE[qtype]))
        same_name = [rr for rr in self.records if rr.rname == name]
        if not same_name:
            reply.header.rcode = RCODE.NXDOMAIN
        for rr in same_name:
            if rr.rtype == qtype:
                reply.add_answer(rr)
        return reply


@contextlib.contextmanager
def dns_server() -> Iterator[tuple[Zone, tuple[str, int]]]:
    """``(zone, (address, port))`` of a UDP DNS server on a free loopback port."""
    zone = Zone()
    quiet = DNSLogger(log="-request,-reply,-truncated,-error", prefix=False, logf=lambda s: None)
    server = DNSServer(zone, address="127.0.0.1", port=0, logger=quiet)
    server.start_thread()
    try:
        yield zone, server.server.server_address[:2]
    finally:
        server.stop()
        server.server.server_close()
