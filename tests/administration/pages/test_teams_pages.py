"""Teams under /manage/teams/: the list, the form (members and managers), deletion."""

import re

from profiles.models import Grant, Team
from raportal.models import AuditEvent
from tests.administration.pages.forms import field_block
from tests.factories import TeamFactory, grant


def test_an_admin_creates_a_team_with_members_and_managers(signed_in, requester, approver):
    response = signed_in.post(
        "/manage/teams/new/",
        {
            "name": "web-ops",
            "display_name": "Web operations",
            "description": "Runs the web servers.",
            "contact_email": "web-ops@example.com",
            "members": [requester.pk, approver.pk],
            "managers": [approver.pk],
        },
        follow=True,
    )
    page = response.content.decode()
    assert (
        'Team <a href="/manage/teams/web-ops/"><abbr class="tech-name" title="web-ops">'
        "Web operations</abbr></a> created."
    ) in page, page
    team = Team.objects.get(name="web-ops")
    assert set(team.members.all()) == {requester, approver}
    assert list(team.managers.all()) == [approver]
    assert team.contact_email == "web-ops@example.com"
    event = AuditEvent.objects.get(action="team.create")
    assert event.detail == {"name": "web-ops", "members": 2, "managers": 1}, event.detail


def test_the_list_shows_members_count_managers_and_contact_and_filters_by_name(
    signed_in, requester, approver
):
    team = TeamFactory(name="web-ops", contact_email="web@example.com")
    team.members.add(requester, approver)
    team.managers.add(approver)
    TeamFactory(name="db-ops")
    page = signed_in.get("/manage/teams/").content.decode()
    row = re.search(r"<tr>\s*<td><a href=\"/manage/teams/web-ops/\">.*?</tr>", page, re.S)
    assert row, page
    assert "<td>2</td>" in row.group(0) and "approver" in row.group(0), row.group(0)
    assert "web@example.com" in row.group(0), row.group(0)
    filtered = signed_in.get("/manage/teams/?q=db").content.decode()
    assert "/manage/teams/db-ops/" in filtered and "/manage/teams/web-ops/" not in filtered, (
        filtered
    )


def test_the_form_shows_each_error_beside_its_field(signed_in):
    TeamFactory(name="taken")
    response = signed_in.post(
        "/manage/teams/new/", {"name": "Not a slug!", "contact_email": "nope", "members": [999]}
    )
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "valid “slug”" in field_block(page, "name"), page
    assert "is-invalid" in field_block(page, "name"), page
    assert "valid email address" in field_block(page, "contact_email"), page
    assert "999 is not one of the available choices" in field_block(page, "members"), page
    assert 'id="error-summary"' in page, page
    duplicate = signed_in.post("/manage/teams/new/", {"name": "taken"}).content.decode()
    assert "already exists" in field_block(duplicate, "name"), duplicate
    reserved = signed_in.post("/manage/teams/new/", {"name": "new"}).content.decode()
    assert "reserved" in field_block(reserved, "name"), reserved
    assert Team.objects.count() == 1


def test_an_admin_edits_a_team_and_changes_its_members(signed_in, requester, approver):
    team = TeamFactory(name="web-ops")
    team.members.add(requester)
    form = signed_in.get("/manage/teams/web-ops/").content.decode()
    assert re.search(rf'value="{requester.pk}"[^>]*checked', form), form
    assert "data-filter-input" in form and "js/admin-filter.js" in form, form
    response = signed_in.post(
        "/manage/teams/web-ops/",
        {"name": "web-ops", "display_name": "Web", "members": [approver.pk]},
        follow=True,
    )
    saved = 'Team <a href="/manage/teams/web-ops/"><abbr class="tech-name" title="web-ops">Web'
    assert saved in response.content.decode(), response.content.decode()
    team.refresh_from_db()
    assert team.display_name == "Web"
    assert list(team.members.all()) == [approver]


def test_the_delete_page_says_which_grants_go_and_deletes_only_when_confirmed(
    signed_in, profile, requester
):
    team = TeamFactory(name="web-ops")
    grant(profile, team, "perform", "revoke")
    confirm = signed_in.get("/manage/teams/web-ops/delete/").content.decode()
    effects = re.search(r'<ul class="mb-0" id="effects">.*?</ul>\s*</div>', confirm, re.S).group(0)
    assert "1 grant</strong> is deleted" in effects, effects
    assert "perform revoke on" in effects and "webra-demo" in effects, effects
    assert "stay, without a team" in effects, effects

    unconfirmed = signed_in.post("/manage/teams/web-ops/delete/", follow=True)
    assert "to confirm" in unconfirmed.content.decode(), unconfirmed.content.decode()
    assert Team.objects.filter(name="web-ops").exists()

    done = signed_in.post("/manage/teams/web-ops/delete/", {"confirm": "1"}, follow=True)
    page = done.content.decode()
    assert "Team web-ops deleted, with its 1 grant." in page, page
    assert not Team.objects.filter(name="web-ops").exists()
    assert not Grant.objects.filter(team__isnull=False).exists()
    assert AuditEvent.objects.filter(action="team.delete", object_id=str(team.pk)).exists()


def test_names_and_texts_are_escaped(signed_in):
    TeamFactory(name="evil", display_name="<script>alert(1)</script>")
    page = signed_in.get("/manage/teams/").content.decode()
    assert "<script>alert(1)</script>" not in page, page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, page


def test_an_unknown_team_is_404(signed_in):
    response = signed_in.get("/manage/teams/nobody/")
    assert response.status_code == 404, response.content.decode()[:500]


def test_a_team_a_profile_relies_on_is_not_deleted_from_the_page_either(signed_in, profile):
    ops = TeamFactory(name="ops")
    profile.team_whitelist.add(ops)
    response = signed_in.post("/manage/teams/ops/delete/", {"confirm": "1"}, follow=True)
    html = response.content.decode()
    assert "in the team whitelist of profile(s) webra-demo" in html, html[:3000]
    assert Team.objects.filter(name="ops").exists()
