"""In the browser: a renewed certificate and its renewal are two distinguishable rows of the
list — different serials and dates, the old one marked renewed with a link that opens its
successor — and the copy button copies the whole serial."""

import datetime as dt

import pytest
from django.utils import timezone

from certificates.models import Certificate
from tests.browser.conftest import sign_in
from tests.conftest import Api, enroll_body

PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture
def renewed(profile, requester, approver):
    """short.example.com, renewed: the old certificate and its successor, the requester's."""
    api = Api(approver)
    status, answer = api.submit(
        enroll_body(
            subject=[{"element": "cn.1", "value": "short.example.com"}],
            sans=[{"type": "DNSNAME", "value": ["short.example.com"]}],
            keyType="ec-secp256r1",
        )
        | {"password": {"value": PASSWORD}}
    )
    assert status == 201 and answer["status"] == "completed", answer
    old_id = answer["certificate"]["_id"]
    Certificate.objects.filter(pk=old_id).update(
        owner=requester, not_after=timezone.now() + dt.timedelta(days=10)
    )
    status, answer = api.submit(
        {
            "module": "webra",
            "workflow": "renew",
            "certificateId": old_id,
            "template": {"keyType": "ec-secp384r1"},
            "password": {"value": PASSWORD},
        }
    )
    assert status == 201 and answer["status"] == "completed", answer
    return Certificate.objects.get(pk=old_id), Certificate.objects.get(
        pk=answer["certificate"]["_id"]
    )


def test_a_renewed_certificate_and_its_successor_are_told_apart_in_the_list(
    page, renewed, screenshot
):
    old, new = renewed
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, "requester")
    page.goto("/certificates/")
    old_row, new_row = (
        page.locator(f"#certificate-{old.pk}"),
        page.locator(f"#certificate-{new.pk}"),
    )
    # Same subject on both rows...
    assert "CN=short.example.com" in old_row.inner_text()
    assert "CN=short.example.com" in new_row.inner_text()
    # ...but different serials (the whole one on hover) and dates, both visible.
    old_serial, new_serial = old_row.locator("a.serial").first, new_row.locator("a.serial").first
    assert old_serial.inner_text() != new_serial.inner_text()
    assert old_serial.inner_text().rstrip("…") == old.serial[:8]
    assert old_serial.get_attribute("title") == f"Serial {old.serial}"
    old_dates = old_row.locator("td").nth(2).inner_text()
    new_dates = new_row.locator("td").nth(2).inner_text()
    assert old_dates != new_dates, (old_dates, new_dates)
    assert old_row.locator("td").nth(4).inner_text() != new_row.locator("td").nth(4).inner_text()
    # The old one says it was renewed; the new one does not.
    assert old_row.locator(".marker").inner_text() == "renewed"
    assert new_row.locator(".marker").count() == 0
    screenshot(page, "certificate-list-renewed")

    # The copy button copies the whole serial.
    button = old_row.locator("button.copy-value")
    assert button.is_visible()
    button.click()
    assert page.evaluate("navigator.clipboard.readText()") == old.serial

    # The link beside the marker opens the successor.
    old_row.locator(".successor a").click()
    page.wait_for_url(f"**/certificates/{new.pk}/")
    assert new.serial in page.locator("#serial").inner_text()
    assert page.locator("#technical-details").is_visible()
    assert "ECDSA P-384" in page.locator("#technical-details").inner_text()
