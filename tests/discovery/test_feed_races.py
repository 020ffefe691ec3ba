"""Feeds racing on one certificate (PostgreSQL: real row locks): scanners report the same
certificate at the same moment, and the inventory still holds it once, with one entry per
campaign and per host."""

import threading

import pytest

from certificates.models import Certificate
from certificates.trust_chain import load_certificate_text
from discovery import services
from discovery.models import DiscoveredHost, Discovery
from discovery.validation import HostData
from tests.discovery.helpers import make_campaign, self_signed
from tests.requests_app.test_concurrency import race

THREADS = 12


@pytest.mark.django_db(transaction=True)
def test_scanners_feeding_one_new_certificate_at_once_record_it_once(postgres_only, staff):
    make_campaign("datacenter")
    certificate = load_certificate_text(self_signed()[0])
    hosts, lock = iter(["10.0.0.1", "10.0.0.2"] * THREADS), threading.Lock()

    def feed():
        with lock:
            ip = next(hosts)
        host = HostData(ip=ip, hostnames=["found.example.com"])
        return services.feed(staff, "datacenter", certificate, host).new_certificate

    results = race(feed, count=THREADS)
    assert sorted(results, key=str) == [False] * (THREADS - 1) + [True], results
    assert Certificate.objects.count() == 1
    assert Discovery.objects.count() == 1
    assert sorted(DiscoveredHost.objects.values_list("ip", flat=True)) == ["10.0.0.1", "10.0.0.2"]
