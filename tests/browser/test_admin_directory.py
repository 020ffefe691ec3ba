"""An administrator in the browser: a team with a member, an API key shown once with its copy
button, and pages without console errors (the CSP lets no inline script run)."""

from profiles.models import Team
from raportal.models import ApiCredential
from tests.browser.conftest import sign_in
from tests.factories import UserFactory


def console_error(message) -> list[str]:
    """A console error, unless it is the browser's own request for /favicon.ico (the portal
    has no icon: that 404 is no page's fault)."""
    if message.type != "error" or message.location.get("url", "").endswith("/favicon.ico"):
        return []
    return [f"{message.text} ({message.location.get('url')})"]


def test_an_admin_creates_a_team_and_an_api_key_shown_once(page, requester, screenshot):
    UserFactory(username="admin", is_staff=True)
    problems = []
    page.on("console", lambda message: problems.extend(console_error(message)))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    sign_in(page, "admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    page.wait_for_url("**/manage/")
    screenshot(page, "admin-home")
    page.get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="New team").click()
    page.locator("#id_name").fill("web-ops")
    page.get_by_label("Display name").fill("Web operations")
    page.get_by_label("Contact email").fill("web-ops@example.com")
    members_filter = page.get_by_placeholder("Filter members by name or email")
    members_filter.fill("requ")
    members = page.locator("#div_id_members")
    assert members.get_by_label("admin (admin@example.com)").is_hidden()
    members.get_by_label("requester (requester@example.com)").check()
    screenshot(page, "admin-team-form")
    page.get_by_role("button", name="Create the team").click()
    page.wait_for_url("**/manage/teams/")
    assert "Team Web operations created." in page.locator("[role=status]").first.inner_text()
    assert list(Team.objects.get(name="web-ops").members.values_list("username", flat=True)) == [
        "requester"
    ]

    page.goto(f"/manage/accounts/{requester.pk}/")
    page.locator("#id_description").fill("deploy script")
    page.get_by_role("button", name="Create the key").click()
    key_box = page.get_by_label("API key (X-API-KEY)")
    key = key_box.input_value()
    assert ApiCredential.objects.get(user=requester).check_key(key)
    copy = page.get_by_role("button", name="Copy")
    copy.wait_for(state="visible")  # revealed by admin-copy.js where the clipboard exists
    copy.click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    key_box.focus()
    assert page.evaluate(
        "document.activeElement.selectionEnd - document.activeElement.selectionStart"
    ) == len(key)
    screenshot(page, "admin-api-key-once")

    page.get_by_role("link", name="Done: back to requester").click()
    assert key not in page.content(), "the key is shown once only"
    assert "deploy script" in page.content()
    assert problems == [], problems
