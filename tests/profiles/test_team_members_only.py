"""The profile option ``team_members_only``: off (Horizon's behaviour, and new profiles'), a
requester may give a certificate any team the team policy allows; on (profiles made before
the option, which kept the portal's stricter rule), only a team of their own."""

import pytest

from profiles.models import Profile
from tests.factories import TeamFactory


def move_to(api, certificate, team: str):
    return api.submit(
        {
            "workflow": "update",
            "certificateId": certificate["_id"],
            "template": {"team": {"value": team}},
        }
    )


@pytest.fixture
def elsewhere(db):
    return TeamFactory(name="elsewhere")  # the approver is no member of it


def test_without_the_option_a_requester_chooses_a_team_they_are_not_in(
    issue, profile, elsewhere, approver_api
):
    Profile.objects.filter(pk=profile.pk).update(team_members_only=False)
    status, body = move_to(approver_api, issue(), "elsewhere")
    assert status == 201 and body["certificate"]["team"] == "elsewhere", body


def test_with_the_option_a_requester_chooses_only_among_their_teams(
    issue, profile, elsewhere, team, approver_api
):
    Profile.objects.filter(pk=profile.pk).update(team_members_only=True)
    certificate = issue()
    status, body = move_to(approver_api, certificate, "elsewhere")
    assert status == 400 and body["error"] == "CERT-TEAM-001", body
    assert "not a member" in body["detail"]
    status, body = move_to(approver_api, certificate, team.name)
    assert status == 201, body


def test_the_team_whitelist_still_applies_without_the_option(
    issue, profile, elsewhere, approver_api
):
    Profile.objects.filter(pk=profile.pk).update(team_members_only=False)
    profile.team_whitelist.set([TeamFactory(name="allowed")])
    status, body = move_to(approver_api, issue(), "elsewhere")
    assert status == 400 and body["error"] == "CERT-TEAM-001", body
    assert "not allowed on this profile" in body["detail"]
