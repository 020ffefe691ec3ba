"""A profile's grants under /manage/profiles/<name>/grants/: one matrix of principals and
workflows, saved as a whole."""

import re

import pytest

from profiles.models import Grant, Profile
from raportal.models import AuditEvent
from tests.factories import TeamFactory, UserFactory, grant


@pytest.fixture
def small(pki, requester, approver):
    """A profile where the requester may request enroll and the approver perform revoke."""
    from tests.factories import ProfileFactory

    profile = ProfileFactory(name="small", ca=pki["issuing"], rules=False)
    grant(profile, requester, "request", "enroll")
    grant(profile, approver, "perform", "revoke")
    return profile


def grants(profile) -> set[tuple]:
    return {
        (g.user.username if g.user else f"team:{g.team.name}", g.workflow, g.level)
        for g in Grant.objects.filter(profile=profile).select_related("user", "team")
    }


def matrix(signed_in, profile) -> dict:
    """The form as the page shows it: every select's selected value (none = "")."""
    page = signed_in.get(f"/manage/profiles/{profile.name}/grants/").content.decode()
    data = {}
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = selected.group(1) if selected else ""
    return data


def test_the_matrix_shows_a_row_per_principal_and_a_column_per_workflow(
    signed_in, small, requester, approver
):
    page = signed_in.get("/manage/profiles/small/grants/").content.decode()
    table = re.search(r'<table[^>]*id="grants".*?</table>', page, re.S).group(0)
    for workflow in ("Enroll", "Revoke", "Update", "Renew", "Recover", "Migrate", "Import"):
        assert f'<th scope="col">{workflow}</th>' in table, table
    data = matrix(signed_in, small)
    assert data[f"u{requester.pk}-enroll"] == "request", data
    assert data[f"u{approver.pk}-revoke"] == "perform", data
    assert data[f"u{requester.pk}-revoke"] == "", data
    assert "add" in data and "add-enroll" in data, data
    assert 'aria-label="Enroll for requester"' in table, table


def test_the_authenticated_levels_are_shown_read_only(signed_in, small):
    Profile.objects.filter(pk=small.pk).update(authenticated_levels={"enroll": "request"})
    page = signed_in.get("/manage/profiles/small/grants/").content.decode()
    everyone = re.search(r'id="everyone".*?</section>', page, re.S).group(0)
    assert "Any signed-in account may <strong>request</strong> enroll." in everyone, everyone
    assert "<select" not in everyone, everyone


def test_saving_the_matrix_replaces_the_profiles_grants(signed_in, small, requester, approver):
    team = TeamFactory(name="ops")
    data = matrix(signed_in, small)
    data[f"u{requester.pk}-enroll"] = "perform"  # changed
    data[f"u{requester.pk}-renew"] = "request"  # added
    data[f"u{approver.pk}-revoke"] = ""  # removed: the approver's row goes
    data["add"] = f"t{team.pk}"
    data["add-enroll"] = "request"
    response = signed_in.post("/manage/profiles/small/grants/", data, follow=True)
    page = response.content.decode()
    assert "Grants of small saved: 2 added, 1 changed, 1 removed." in page, page
    assert grants(small) == {
        ("requester", "enroll", "perform"),
        ("requester", "renew", "request"),
        ("team:ops", "enroll", "request"),
    }
    event = AuditEvent.objects.get(action="profile.grants")
    assert event.detail["grants"] == 3, event.detail


def test_the_add_row_says_what_is_missing_beside_its_select(signed_in, small, requester):
    data = matrix(signed_in, small)
    data["add-enroll"] = "perform"
    response = signed_in.post("/manage/profiles/small/grants/", data)
    page = response.content.decode()
    assert response.status_code == 200, page
    add_cell = re.search(r'<tr class="table-light">\s*<td>.*?</td>', page, re.S).group(0)
    assert "Choose who gets the levels set on the last row." in add_cell, add_cell
    data["add-enroll"] = ""
    data["add"] = f"u{UserFactory(username='newcomer').pk}"
    page = signed_in.post("/manage/profiles/small/grants/", data).content.decode()
    assert "Choose at least one level" in page, page
    bogus = signed_in.post(
        "/manage/profiles/small/grants/", {**data, "add": "", f"u{requester.pk}-enroll": "owner"}
    ).content.decode()
    assert "Select a valid choice" in bogus, bogus
    assert grants(small) == {("requester", "enroll", "request"), ("approver", "revoke", "perform")}


def test_an_unknown_profile_is_404(signed_in):
    response = signed_in.get("/manage/profiles/nothing-here/grants/")
    assert response.status_code == 404, response.content.decode()[:500]
