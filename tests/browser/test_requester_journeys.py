"""What a requester and an approver do in the browser, end to end."""

import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils import timezone

from certificates.models import Certificate
from requests_app.models import Request
from tests.browser.conftest import sign_in
from tests.factories import ProfileFactory, grant, make_csr

PASSWORD = "Correct-Horse-9-battery"


def test_a_requester_enrolls_with_a_pasted_csr_and_the_request_waits(
    page, profile, requester, screenshot
):
    sign_in(page, "requester")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Request a certificate"
    ).click()
    page.get_by_role("link", name="Request a webra-demo").click()
    page.get_by_label("Common name").fill("web.example.com")
    page.get_by_label("I have a CSR").check()
    csr, _ = make_csr()
    page.get_by_label("CSR (PEM)").fill(csr)
    page.get_by_role("textbox", name="DNS name 1").fill("web.example.com")
    screenshot(page, "enroll-form")
    page.get_by_role("button", name="Submit the request").click()
    page.wait_for_url("**/requests/*/")
    assert "Waiting for approval" in page.content()
    assert Request.objects.get().status == "pending"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My requests").click()
    screenshot(page, "request-list")
    assert "pending" in page.content()


def test_a_bad_subject_shows_its_error_next_to_the_field(page, profile, requester):
    sign_in(page, "requester")
    page.goto("/enroll/webra-demo/")
    page.get_by_label("Common name").fill("web.example.com")
    page.get_by_label("I have a CSR").check()
    page.get_by_label("CSR (PEM)").fill(make_csr()[0])
    page.get_by_role("textbox", name="DNS name 1").fill("not a host name")
    page.get_by_role("button", name="Submit the request").click()
    field = page.locator("#id_san_DNSNAME_0")
    assert "is-invalid" in field.get_attribute("class")
    # The message sits right under the field, in the field's own block.
    block = page.locator("#div_id_san_DNSNAME_0")
    assert "not a valid host name" in block.inner_text()
    assert not Request.objects.exists()


def test_the_browser_checks_a_subject_rule_before_sending_and_a_csr_lifts_required_names(
    page, profile, requester
):
    sign_in(page, "requester")
    page.goto("/enroll/webra-demo/")
    country = page.get_by_label("Country")
    country.fill("fr")
    assert country.evaluate("el => el.validity.patternMismatch") is True
    country.fill("FR")
    assert country.evaluate("el => el.validity.valid") is True
    common_name = page.get_by_label("Common name")
    assert common_name.evaluate("el => el.required") is True
    page.get_by_label("I have a CSR").check()
    assert common_name.evaluate("el => el.required") is False


def test_an_approver_gets_a_generated_key_as_a_pkcs12_it_can_open(page, profile, approver):
    sign_in(page, "approver")
    page.goto("/enroll/webra-demo/")
    page.get_by_label("Common name").fill("me.example.com")
    page.get_by_label("Generate a key for me").check()
    page.get_by_label("Key type").select_option("ec-secp256r1")
    page.get_by_label("PKCS#12 password", exact=True).fill(PASSWORD)
    page.get_by_label("PKCS#12 password, again").fill(PASSWORD)
    page.get_by_role("button", name="Submit the request").click()
    page.wait_for_url("**/requests/*/")
    page.get_by_role("button", name="Get my PKCS#12 file and password").click()
    with page.expect_download() as download_info:
        page.locator("#download-p12").click()
    data = Path(download_info.value.path()).read_bytes()
    page.get_by_text("Show the password").click()
    shown = page.locator("#p12-password").inner_text()
    key, cert, _ = pkcs12.load_key_and_certificates(data, shown.encode())
    assert shown == PASSWORD and key.public_key() == cert.public_key()
    # Handed over once: a reload shows neither the file nor the button again.
    page.reload()
    assert page.locator("#download-p12").count() == 0
    assert page.get_by_role("button", name="Get my PKCS#12 file and password").count() == 0


def test_an_approver_revokes_a_certificate_from_its_page(
    page, profile, approver, issue, screenshot
):
    certificate = issue(cn="to-revoke.example.com")
    sign_in(page, "approver")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My certificates").click()
    page.get_by_role("link", name="CN=to-revoke.example.com").click()
    screenshot(page, "certificate-page")
    page.get_by_role("link", name="Revoke").click()
    page.get_by_label("Why").select_option("keycompromise")
    page.get_by_label("Yes, revoke this certificate").check()
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/requests/*/")
    stored = Certificate.objects.get(pk=certificate["_id"])
    assert stored.revoked and stored.revocation_reason == "keycompromise"


def test_an_approver_renews_on_the_renewable_profile(page, pki, approver, live_server):
    renewable = ProfileFactory(
        name="webra-renewable", ca=pki["issuing"], validity_days=20, renewal_period_days=30
    )
    for workflow in ("enroll", "renew"):
        grant(renewable, approver, "perform", workflow)
    sign_in(page, "approver")
    page.goto("/enroll/webra-renewable/")
    page.get_by_label("Common name").fill("short.example.com")
    page.get_by_label("I have a CSR").check()
    page.get_by_label("CSR (PEM)").fill(make_csr()[0])
    page.get_by_role("button", name="Submit the request").click()
    page.wait_for_url("**/requests/*/")
    page.locator('main a[href^="/certificates/"]', has_text="short.example.com").first.click()
    page.get_by_role("link", name="Renew").click()
    page.get_by_label("I have a CSR").check()
    page.get_by_label("CSR (PEM)").fill(make_csr()[0])
    page.get_by_role("button", name="Renew").click()
    page.wait_for_url("**/requests/*/")
    renewed = Certificate.objects.order_by("-created_at").first()
    assert renewed.metadata[0]["key"] == "previous_certificate_id"
    assert renewed.not_after > timezone.now() + dt.timedelta(days=19)
