import pytest

from administration.services import teams
from profiles.models import Grant, Team
from raportal.errors import DomainError
from tests.factories import ProfileFactory, UserFactory


def test_an_administrator_creates_a_team_with_managers_and_members(admin, watch):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    seen = watch()
    team = teams.create_team(
        admin, name="web", contact_email="web@example.com", managers=[alice], members=[alice, bob]
    )
    assert list(team.managers.all()) == [alice]
    assert set(team.members.all()) == {alice, bob}
    assert seen.actions() == ["team.create"] and seen.bumped()


def test_a_contact_that_is_not_an_e_mail_address_is_refused(admin):
    with pytest.raises(DomainError) as refusal:
        teams.create_team(admin, name="web", contact_email="nobody")
    assert refusal.value.code == "REQ-002" and "contact" in refusal.value.detail
    assert not Team.objects.exists()


def test_setting_members_adds_and_removes_with_one_event_each(admin, watch):
    alice, bob, carol = (UserFactory(username=name) for name in ("alice", "bob", "carol"))
    team = teams.create_team(admin, name="web", members=[alice, bob])
    seen = watch()
    assert teams.set_members(admin, team, [bob, carol]) is True
    assert set(team.members.all()) == {bob, carol}
    assert seen.actions() == ["team.members.add", "team.members.remove"]
    assert teams.set_members(admin, team, [bob, carol]) is False


def test_a_team_a_profile_relies_on_is_not_deleted(admin, pki):
    team = teams.create_team(admin, name="web")
    ProfileFactory(ca=pki["issuing"], team_default=team)
    with pytest.raises(DomainError) as refusal:
        teams.delete_team(admin, team)
    assert refusal.value.status == 409, refusal.value.detail
    assert Team.objects.filter(name="web").exists()


def test_deleting_a_team_takes_its_grants_with_it(admin, pki, watch):
    team = teams.create_team(admin, name="web")
    Grant.objects.create(
        team=team, profile=ProfileFactory(ca=pki["issuing"]), workflow="enroll", level="request"
    )
    seen = watch()
    assert teams.delete_team(admin, team) == 1
    assert not Grant.objects.exists() and seen.actions() == ["team.delete"]


def test_an_account_that_is_not_an_administrator_cannot_write_teams(admin, user, watch):
    team = teams.create_team(admin, name="web")
    seen = watch()
    for write in (
        lambda: teams.create_team(user, name="other"),
        lambda: teams.update_team(
            user, team, display_name="", description="", contact_email="", managers=[]
        ),
        lambda: teams.add_members(user, team, [user]),
        lambda: teams.set_members(user, team, [user]),
        lambda: teams.delete_team(user, team),
    ):
        with pytest.raises(DomainError) as refusal:
            write()
        assert refusal.value.code == "SEC-PERM-001", refusal.value.detail
    assert seen.actions() == [] and not team.members.exists()


def test_a_control_character_in_a_team_display_name_is_refused(admin):
    with pytest.raises(DomainError) as refusal:
        teams.create_team(admin, name="ops", display_name="Ops\u0007")
    assert refusal.value.code == "REQ-002" and "U+0007" in refusal.value.detail
    assert not Team.objects.filter(name="ops").exists()
