"""The home dashboard in Chromium, on the demo's data (manage.py seed_demo): each role's charts
are drawn with their numbers, and a click on a bar opens the list of exactly what it counts."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from certificates.models import Certificate
from requests_app.models import Request
from tests.browser.conftest import sign_in


@pytest.fixture
def demo(pki, settings):
    settings.DEBUG = True
    call_command("seed_demo")


def bars(page, chart_id: str) -> dict[str, int]:
    """The chart's bars: accessible name → the number it starts with."""
    links = page.locator(f"#{chart_id} svg a.chart-link")
    names = [links.nth(n).get_attribute("aria-label") or "" for n in range(links.count())]
    return {name: int(name.split(" ", 1)[0]) for name in names}


def shown(page, pattern: str) -> set[str]:
    """What the list page's table shows, by the first group of ``pattern`` in its body."""
    return set(re.findall(pattern, page.locator("main table tbody").inner_html()))


def subjects(page) -> set[str]:
    """The subjects the list page's table shows, as the reader sees them."""
    cells = page.locator("main table tbody tr td:first-child code")
    return {cells.nth(n).inner_text() for n in range(cells.count())}


def test_a_requester_clicks_the_bar_of_certificates_expiring_within_30_days(demo, page, screenshot):
    sign_in(page, "requester", "requester-password")
    expiring = bars(page, "chart-expiring")
    assert len(expiring) == 3 and all(expiring.values()), expiring
    assert bars(page, "chart-pending"), "the demo's requests waiting for approval"
    screenshot(page, "dashboard-requester")
    name = next(n for n in expiring if n.endswith("within 30 days"))
    page.get_by_role("link", name=name).click()
    page.wait_for_url("**/certificates/expiring/?within=30")
    expected = {
        c.dn
        for c in Certificate.objects.owned_by(
            get_user_model().objects.get(username="requester")
        ).expiring(dt.timedelta(days=30), timezone.now())
    }
    assert len(expected) == expiring[name]
    assert subjects(page) == expected


def test_an_approver_clicks_the_queue_bar_of_requests_waiting_1_to_3_days(demo, page, screenshot):
    sign_in(page, "approver", "approver-password")
    by_age = bars(page, "chart-queue-age")
    assert by_age.get("2 requests waiting 1 to 3 days") == 2, by_age
    assert any(bars(page, "chart-decisions").values()), "the demo's decisions of the last days"
    screenshot(page, "dashboard-approver")
    page.get_by_role("link", name="2 requests waiting 1 to 3 days").click()
    page.wait_for_url("**/approvals/?age=1-3")
    expected = {
        str(pk)
        for pk in Request.objects.filter(
            dn__in=["CN=partner.sample.example", "CN=reports.sample.example"]
        ).values_list("pk", flat=True)
    }
    assert shown(page, r'name="ids" value="([0-9a-f-]{36})"') == expected


def test_an_administrator_clicks_the_est_segment_of_the_protocol_mix(demo, page, screenshot):
    sign_in(page, "admin", "admin-password")
    assert sum(bars(page, "chart-issued-day").values()) == Certificate.objects.count()
    assert sum(bars(page, "chart-expiry-week").values()) > 0
    mix = bars(page, "chart-protocols")
    est = next(name for name in mix if "through EST" in name)
    assert mix[est] == 2, mix
    screenshot(page, "dashboard-admin")
    page.get_by_role("link", name=est).click()
    page.wait_for_url(re.compile(r".*/certificates/\?scope=all&issued_from=.*&module=est$"))
    assert subjects(page) == {
        "CN=printer-1.sample.example",
        "CN=camera-2.sample.example",
    }
    assert "Protocol: est" in page.locator("#narrowed").inner_text()
