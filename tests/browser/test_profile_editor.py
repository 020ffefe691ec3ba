"""An admin builds a profile in the editor and a requester enrolls on it, in Chromium."""

from certificates.models import Certificate
from profiles.models import Profile
from tests.browser.conftest import sign_in
from tests.factories import UserFactory, make_csr


def open_tab(page, title: str):
    """The new-profile page shows one section at a time, chosen in the section list."""
    page.get_by_role("navigation", name="Profile sections").get_by_role("link", name=title).click()


def test_an_admin_builds_a_profile_watching_the_preview_and_a_requester_enrolls_on_it(
    page, pki, requester, screenshot
):
    UserFactory(username="admin-1", is_staff=True)
    sign_in(page, "admin-1")
    page.goto("/manage/profiles/new/")
    page.locator("#id_profile-name").fill("vpn-users")
    page.get_by_label("Display name").fill("VPN users")
    page.locator("#id_profile-ca").select_option(label=pki["issuing"].name)
    assert page.locator("#section-keys").is_hidden()  # one section at a time
    open_tab(page, "Keys and PKCS#12")
    assert page.locator("#section-general").is_hidden()
    page.get_by_label("ECDSA P-256", exact=True).check()
    open_tab(page, "Subject")
    page.locator('[name="subject-0-element_0"]').select_option("cn")
    page.locator('[name="subject-0-mandatory"]').check()
    preview = page.locator("#preview-pane")
    preview.get_by_label("Common name").wait_for()

    # A SAN rule: the preview grows DNS name fields.
    open_tab(page, "SANs")
    page.locator('[name="san-0-san_type"]').select_option("DNSNAME")
    page.locator('[name="san-0-max"]').fill("3")
    preview.get_by_role("textbox", name="DNS name 1").wait_for()

    # A regex on a new subject element: invalid first.
    open_tab(page, "Subject")
    page.locator("[data-rules=subject] [data-add-row]").click()
    page.locator('[name="subject-1-element_0"]').select_option("o")
    page.locator('[name="subject-1-regex"]').fill("([A-Z")
    preview.get_by_text("not a valid regular expression").first.wait_for()
    open_tab(page, "Permissions")
    page.get_by_label("Enroll without a grant").select_option("perform")
    screenshot(page, "admin-profile-editor")
    page.get_by_role("button", name="Save the profile").click()
    error = page.locator("#id_subject-1-regex-error")  # its section opens
    error.wait_for(state="visible")
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
    open_tab(page, "Protocols")
    assert acme_section.is_hidden()
    open_tab(page, "Keys and PKCS#12")
    assert centralized.is_visible()

    open_tab(page, "General")
    page.locator("#id_profile-module").select_option("acme")
    open_tab(page, "Protocols")
    acme_section.wait_for(state="visible")
    assert page.locator("#id_profile-challenge_enabled").is_hidden()
    open_tab(page, "Keys and PKCS#12")
    assert centralized.is_hidden() and page.locator("#id_profile-escrow").is_hidden()

    open_tab(page, "General")
    page.locator("#id_profile-name").fill("acme-web")
    page.locator("#id_profile-ca").select_option(label=pki["issuing"].name)
    open_tab(page, "Protocols")
    page.get_by_label("New accounts need an External Account Binding key made here").check()
    page.locator("#id_profile-acme_order_lifetime").fill("4 hours")
    open_tab(page, "Subject")
    page.locator('[name="subject-0-element_0"]').select_option("cn")
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


SECTIONS = ["general", "subject", "sans", "labels", "keys", "lifetimes", "permissions"]
SECTIONS += ["protocols", "triggers"]

# The widest option's text against the room a select gives it (its padding holds the arrow).
WIDEST_OPTION = """select => {
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const widest = Math.max(...Array.from(select.options, o => context.measureText(o.text).width));
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [widest, room];
}"""


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None, selector
    return box["y"] >= 0 and box["y"] + min(box["height"], 40) <= size["height"]


def open_editor(page, profile, section: str | None = None):
    page.set_viewport_size({"width": 1280, "height": 800})
    UserFactory(username="admin-1", is_staff=True)
    sign_in(page, "admin-1")
    page.goto(f"/manage/profiles/{profile.name}/" + (f"?section={section}" if section else ""))


def test_an_admin_saves_the_lifetimes_section_without_scrolling_past_the_others(
    page, profile, screenshot
):
    open_editor(page, profile)
    page.get_by_role("navigation", name="Profile sections").get_by_role(
        "link", name="Lifetimes"
    ).click()
    page.wait_for_url("**/?section=lifetimes")
    assert page.get_by_label("Display name").count() == 0  # the other sections are not here
    page.get_by_label("Validity (days)").fill("200")
    save = page.get_by_role("button", name="Save Lifetimes")
    assert in_view(page, "button[value=save]"), "the save button is in view without scrolling"
    assert page.evaluate("window.scrollY") < 50
    screenshot(page, "admin-profile-editor-lifetimes")
    save.click()
    page.wait_for_url("**/?section=lifetimes")
    assert "Lifetimes of profile webra-demo saved" in page.content()
    assert page.evaluate("window.scrollY") < 50
    profile.refresh_from_db()
    assert (profile.validity_days, profile.display_name) == (200, "")


def test_the_preview_stays_in_view_in_every_section(page, profile):
    open_editor(page, profile)
    for section in SECTIONS:
        page.goto(f"/manage/profiles/{profile.name}/?section={section}")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_function("window.scrollY > 0 || document.body.scrollHeight <= innerHeight")
        assert in_view(page, "#preview-title"), section
        aside = page.locator(".editor-aside").bounding_box()
        assert aside is not None and aside["y"] + aside["height"] <= 800, section


def test_the_type_dropdowns_are_wide_enough_for_their_longest_type(page, profile):
    open_editor(page, profile, "subject")
    widest, room = page.locator('[name="subject-0-element_0"]').evaluate(WIDEST_OPTION)
    assert widest <= room, (widest, room)
    page.goto(f"/manage/profiles/{profile.name}/?section=sans")
    widest, room = page.locator('[name="san-0-san_type"]').evaluate(WIDEST_OPTION)
    assert widest <= room, (widest, room)


def test_a_profile_in_use_asks_for_confirmation_with_the_count_of_its_certificates(
    page, profile, issue, screenshot
):
    for cn in ("a.example.com", "b.example.com", "c.example.com"):
        issue(cn)
    open_editor(page, profile, "lifetimes")
    page.get_by_label("Validity (days)").fill("90")
    page.get_by_role("button", name="Save Lifetimes").click()
    confirmation = page.locator("#confirm-change")
    confirmation.wait_for()
    assert "3 certificates" in confirmation.inner_text()
    assert "365" in confirmation.inner_text() and "90" in confirmation.inner_text()
    assert in_view(page, "#confirm-change button")
    screenshot(page, "admin-profile-editor-confirm")
    profile.refresh_from_db()
    assert profile.validity_days == 365  # nothing saved before confirming

    confirmation.get_by_role("button", name="Save the change (3 certificates affected)").click()
    page.wait_for_url("**/?section=lifetimes")
    assert "Lifetimes of profile webra-demo saved" in page.content()
    profile.refresh_from_db()
    assert profile.validity_days == 90


def test_no_section_of_the_editor_scrolls_sideways_on_a_phone(page, profile):
    open_editor(page, profile)
    page.set_viewport_size({"width": 390, "height": 844})
    for section in SECTIONS:
        page.goto(f"/manage/profiles/{profile.name}/?section={section}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (section, width)
