"""An approver's day in the browser: the queue, an informed decision, the requester's view."""

from requests_app.models import Request
from tests.browser.conftest import sign_in
from tests.conftest import Api, enroll_body
from tests.factories import make_csr


def switch_to(page, username: str):
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, username)


def test_an_approver_approves_from_the_queue_and_the_requester_gets_the_certificate(
    page, profile, requester, approver, screenshot
):
    sign_in(page, "requester")
    page.goto("/enroll/webra-demo/")
    page.get_by_label("Common name").fill("shop.example.com")
    page.get_by_label("I have a CSR").check()
    page.get_by_label("CSR (PEM)").fill(
        make_csr(subject=[("cn.1", "shop.example.com")], sans=[("DNSNAME", "shop.example.com")])[0]
    )
    page.get_by_role("textbox", name="DNS name 1").fill("shop.example.com")
    page.get_by_role("button", name="Submit the request").click()
    page.wait_for_url("**/requests/*/")
    request_id = str(Request.objects.get().pk)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My requests").click()

    switch_to(page, "approver")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="To decide").click()
    screenshot(page, "approval-queue")
    page.locator(f'a[href="/approvals/{request_id}/"]').click()
    page.wait_for_url(f"**/approvals/{request_id}/")
    csr = page.locator("#csr").inner_text()
    assert "shop.example.com" in csr and "ec-secp256r1" in csr and "valid" in csr, csr
    assert "0 valid certificates on this profile" in page.locator("#holder").inner_text()
    screenshot(page, "approval-decision")
    page.get_by_label("Comment").fill("Checked with the shop team")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"**/requests/{request_id}/")
    assert "certificate" in page.locator(".alert-success").inner_text().lower()

    switch_to(page, "requester")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My requests").click()
    assert "decided since your last visit" in page.content(), page.content()
    page.locator(f'a[href="/requests/{request_id}/"]').click()
    body = page.content()
    assert "Checked with the shop team" in body, body
    page.locator('main a[href^="/certificates/"]', has_text="shop.example.com").first.click()
    page.wait_for_url("**/certificates/*/")
    assert "shop.example.com" in page.content()


def test_a_denied_request_shows_the_reason_to_the_requester(page, profile, requester, approver):
    status, answer = Api(requester).submit(enroll_body(csr=make_csr()[0]))
    assert status == 201, answer
    sign_in(page, "approver")
    page.goto(f"/approvals/{answer['_id']}/")
    page.get_by_role("button", name="Deny").click()
    assert "Say why" in page.content(), "a denial needs a reason"
    page.get_by_label("Comment").fill("Use the wildcard certificate instead")
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(f"**/requests/{answer['_id']}/")
    assert Request.objects.get(pk=answer["_id"]).status == "denied"

    switch_to(page, "requester")
    page.goto(f"/requests/{answer['_id']}/")
    assert "Use the wildcard certificate instead" in page.content()
