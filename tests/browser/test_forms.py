"""Forms in the browser (issue 17): the PKCS#12 import upload, and a refused PKCS#12 password
that names the rule it breaks."""

from requests_app.models import Request
from tests.browser.conftest import sign_in
from tests.pages.test_import_pkcs12 import pkcs12_of
from tests.requests_app.test_import import external_certificate

FILE_PASSWORD = "File-Password-42-secret"


def test_a_requester_imports_a_certificate_from_its_pkcs12_file_and_password(
    page, profile, requester, screenshot
):
    pem, key_pem = external_certificate()
    p12 = {"name": "legacy.p12", "mimeType": "application/x-pkcs12"}
    p12["buffer"] = pkcs12_of(pem, key_pem, FILE_PASSWORD)
    sign_in(page, "requester")
    page.goto("/import/")
    page.get_by_label("PKCS#12 file (.p12 or .pfx)").set_input_files(p12)
    page.get_by_label("Password of the PKCS#12 file").fill("Not-the-password-1")
    page.get_by_role("button", name="Import").click()
    block = page.locator("#div_id_pkcs12_password")
    assert "This password does not open this file." in block.inner_text()
    assert page.get_by_label("Password of the PKCS#12 file").input_value() == ""
    assert "choose the file again" in page.locator("#div_id_pkcs12_file").inner_text()
    screenshot(page, "import-pkcs12-wrong-password")
    page.get_by_label("PKCS#12 file (.p12 or .pfx)").set_input_files(p12)
    page.get_by_label("Password of the PKCS#12 file").fill(FILE_PASSWORD)
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/requests/*/")
    assert Request.objects.get(workflow="import").status == "pending"
    assert FILE_PASSWORD not in page.content() and "PRIVATE KEY" not in page.content()


def test_a_too_short_pkcs12_password_shows_the_rule_it_breaks(page, profile, approver, screenshot):
    sign_in(page, "approver")
    page.goto("/enroll/webra-demo/")
    page.get_by_label("Common name").fill("web.example.com")
    page.get_by_label("Generate a key for me").check()
    page.get_by_label("PKCS#12 password", exact=True).fill("Short-pw-1")
    page.get_by_label("PKCS#12 password, again").fill("Short-pw-1")
    page.get_by_role("button", name="Submit the request").click()
    block = page.locator("#div_id_password")
    assert "The PKCS#12 password needs at least 12 characters." in block.inner_text()
    assert "differ" not in page.content()
    summary = page.locator("#error-summary").inner_text()
    assert "needs at least 12 characters" in summary
    screenshot(page, "enroll-password-rule")
    assert not Request.objects.exists()


def test_a_revoked_certificate_s_page_offers_no_update_nor_move_and_says_why(
    page, issue, approver, screenshot
):
    from django.utils import timezone

    from certificates.models import Certificate

    certificate = issue("gone.example.com")["_id"]
    Certificate.objects.filter(pk=certificate).update(
        owner=approver, revocation_date=timezone.now()
    )
    sign_in(page, "approver")
    page.goto(f"/certificates/{certificate}/")
    unavailable = page.locator("#actions-unavailable")
    assert "The certificate is revoked, so its labels" in unavailable.inner_text()
    assert "This key was not kept, so it cannot be recovered." in unavailable.inner_text()
    assert page.get_by_role("link", name="Update labels").count() == 0
    assert page.get_by_role("link", name="Move to another profile").count() == 0
    screenshot(page, "certificate-actions-revoked")
