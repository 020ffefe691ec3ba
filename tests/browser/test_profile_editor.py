"""An admin builds a profile in the editor and a requester enrolls on it, in Chromium."""

from certificates.models import Certificate
from profiles.models import Profile
from tests.browser.conftest import sign_in
from tests.factories import UserFactory, make_csr


def test_an_admin_builds_a_profile_watching_the_preview_and_a_requester_enrolls_on_it(
    page, pki, requester, screenshot
):
    UserFactory(username="admin-1", is_staff=True)
    sign_in(page, "admin-1")
    page.goto("/manage/profiles/new/")
    page.locator("#id_profile-name").fill("vpn-users")
    page.get_by_label("Display name").fill("VPN users")
    page.locator("#id_profile-ca").select_option(label=pki["issuing"].name)
    page.get_by_label("ECDSA P-256", exact=True).check()
    page.locator('[name="subject-0-element"]').fill("cn.1")
    page.locator('[name="subject-0-mandatory"]').check()
    preview = page.locator("#preview-pane")
    preview.get_by_label("Common name").wait_for()

    # A SAN rule: the preview grows DNS name fields.
    page.locator('[name="san-0-san_type"]').select_option("DNSNAME")
    page.locator('[name="san-0-max"]').fill("3")
    preview.get_by_role("textbox", name="DNS name 1").wait_for()

    # A regex on a new subject element: invalid first.
    page.locator("[data-rules=subject] [data-add-row]").click()
    page.locator('[name="subject-1-element"]').fill("o.1")
    page.locator('[name="subject-1-regex"]').fill("([A-Z")
    preview.get_by_text("not a valid regular expression").first.wait_for()
    page.get_by_label("Enroll without a grant").select_option("perform")
    screenshot(page, "admin-profile-editor")
    page.get_by_role("button", name="Save the profile").click()
    error = page.locator("#id_subject-1-regex-error")
    assert "not a valid regular expression" in error.inner_text()
    assert not Profile.objects.filter(name="vpn-users").exists()

    page.locator('[name="subject-1-regex"]').fill("^[A-Za-z ]+$")
    preview.get_by_label("Organization").wait_for()
    page.get_by_role("button", name="Save the profile").click()
    page.wait_for_url("**/manage/profiles/vpn-users/")
    assert "Profile vpn-users saved" in page.content() or "created" in page.content()
    profile = Profile.objects.get(name="vpn-users")
    assert [(r.element, r.regex) for r in profile.subject_rules.all()] == [
        ("cn.1", ""),
        ("o.1", "^[A-Za-z ]+$"),
    ]

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "requester")
    page.goto("/enroll/vpn-users/")
    page.get_by_label("Common name").fill("laptop-42")
    page.get_by_label("I have a CSR").check()
    page.get_by_label("CSR (PEM)").fill(make_csr(subject=[("cn.1", "laptop-42")])[0])
    page.get_by_role("button", name="Submit the request").click()
    page.wait_for_url("**/requests/*/")
    assert Certificate.objects.filter(profile=profile, dn__contains="laptop-42").exists()


def test_choosing_acme_on_the_new_profile_page_shows_the_acme_section_and_hides_pkcs12(page, pki):
    UserFactory(username="admin-1", is_staff=True)
    sign_in(page, "admin-1")
    page.goto("/manage/profiles/new/")
    acme_section = page.locator("#profile-acme")
    centralized = page.locator("#id_profile-centralized")
    assert acme_section.is_hidden() and centralized.is_visible()

    page.locator("#id_profile-module").select_option("acme")
    acme_section.wait_for(state="visible")
    assert centralized.is_hidden() and page.locator("#id_profile-escrow").is_hidden()
    assert page.locator("#id_profile-challenge_enabled").is_hidden()

    page.locator("#id_profile-name").fill("acme-web")
    page.locator("#id_profile-ca").select_option(label=pki["issuing"].name)
    page.get_by_label("New accounts need an External Account Binding key made here").check()
    page.locator("#id_profile-acme_order_lifetime").fill("4 hours")
    page.locator('[name="subject-0-element"]').fill("cn.1")
    page.get_by_role("button", name="Save the profile").click()
    page.wait_for_url("**/manage/profiles/acme-web/")
    profile = Profile.objects.get(name="acme-web")
    assert (profile.module, profile.centralized, profile.acme_eab_required) == (
        "acme",
        False,
        True,
    )
    page.get_by_role("link", name="External Account Binding keys").click()
    page.wait_for_url("**/manage/acme/acme-web/eab/")
