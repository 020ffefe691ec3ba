"""A phone (390x844): the menu folds behind a button, tables scroll inside their own box, and
a DN wraps between its RDNs only."""

from tests.browser.conftest import sign_in

PHONE = {"width": 390, "height": 844}


def test_on_a_phone_the_menu_opens_from_its_button(page, profile, approver):
    page.set_viewport_size(PHONE)
    sign_in(page, "approver")
    menu = page.get_by_role("navigation", name="Main")
    my_requests = menu.get_by_role("link", name="My requests")
    assert not my_requests.is_visible(), "folded away on a phone"
    toggler = menu.get_by_role("button", name="Menu")
    assert toggler.get_attribute("aria-expanded") == "false"
    toggler.click()
    my_requests.wait_for(state="visible")
    assert toggler.get_attribute("aria-expanded") == "true"
    my_requests.click()
    page.wait_for_url("**/requests/")


def test_on_a_desktop_the_menu_shows_without_a_button(page, profile, approver):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "approver")
    menu = page.get_by_role("navigation", name="Main")
    assert menu.get_by_role("link", name="My requests").is_visible()
    assert not menu.get_by_role("button", name="Menu").is_visible()


def test_a_wide_table_scrolls_in_its_box_and_a_dn_wraps_between_rdns(
    page, profile, approver, issue
):
    # Each RDN fits a phone's line, the whole DN does not.
    issue(
        cn="shop-01.example.com",
        subject=[
            {"element": "cn.1", "value": "shop-01.example.com"},
            {"element": "o.1", "value": "Example Shops"},
            {"element": "ou.1", "value": "Payments Team"},
            {"element": "c.1", "value": "FR"},
        ],
        owned_by=approver,
    )
    page.set_viewport_size(PHONE)
    sign_in(page, "approver")
    page.goto("/certificates/")
    root = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert root[0] <= root[1], f"the page scrolls sideways: {root}"
    box = page.locator(".table-responsive").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth"), "the table scrolls in its box"
    assert box.get_attribute("tabindex") == "0", "a box that scrolls takes the keyboard's focus"
    page.locator("a[href^='/certificates/'] code").first.click()
    page.wait_for_url("**/certificates/*/")
    rdns = page.locator("h1 .dn .rdn")
    assert rdns.all_inner_texts() == [
        "CN=shop-01.example.com,",
        "OU=Payments Team,",
        "O=Example Shops,",
        "C=FR",
    ]
    # Each RDN on one line: its height is one line's (it wraps between RDNs, not inside).
    heights = rdns.evaluate_all(
        "spans => spans.map(s => [s.getClientRects().length, s.getBoundingClientRect().height])"
    )
    line = heights[-1][1]
    assert all(rects == 1 and height <= line * 1.2 for rects, height in heights), heights
    tops = rdns.evaluate_all("spans => spans.map(s => s.getBoundingClientRect().top)")
    assert len(set(tops)) > 1, "the DN wraps on a phone"
