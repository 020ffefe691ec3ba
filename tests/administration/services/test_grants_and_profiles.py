import pytest

from administration.services import grants, profiles
from administration.services.grants import GrantEntry
from certificates.models import Certificate
from profiles.models import Grant, Profile
from raportal.errors import DomainError
from tests.factories import ProfileFactory, TeamFactory, UserFactory


@pytest.fixture
def a_profile(pki):
    return ProfileFactory(name="tls", ca=pki["issuing"])


def test_a_profiles_grants_are_replaced_as_a_whole(admin, a_profile, watch):
    alice, team = UserFactory(username="alice"), TeamFactory(name="web")
    Grant.objects.create(profile=a_profile, user=alice, workflow="revoke", level="request")
    seen = watch()
    summary = grants.set_profile_grants(
        admin,
        a_profile,
        grants=[
            GrantEntry(workflow="enroll", level="perform", user=alice),
            GrantEntry(workflow="enroll", level="request", team=team),
        ],
    )
    assert summary == {"added": 2, "removed": 1, "changed": 0}
    assert Grant.objects.filter(profile=a_profile).count() == 2
    assert seen.actions() == ["profile.grants"] and seen.bumped()


def test_a_grant_with_an_unknown_level_is_refused(admin, a_profile):
    with pytest.raises(DomainError) as refusal:
        grants.set_profile_grants(
            admin, a_profile, grants=[GrantEntry(workflow="enroll", level="all", user=admin)]
        )
    assert refusal.value.code == "REQ-002", refusal.value.detail


def test_a_teams_grants_change_only_when_they_differ(admin, a_profile, watch):
    team = TeamFactory(name="ops")
    wanted = [(a_profile, "revoke", "request")]
    assert grants.set_team_grants(admin, team, grants=wanted) is True
    seen = watch()
    assert grants.set_team_grants(admin, team, grants=wanted) is False
    assert seen.actions() == [] and not seen.bumped()


def test_enabling_and_disabling_a_profile_is_audited(admin, a_profile, watch):
    seen = watch()
    profiles.set_profile_enabled(admin, a_profile, enabled=False)
    profiles.set_profile_enabled(admin, a_profile, enabled=True)
    assert seen.actions() == ["profile.disable", "profile.enable"] and seen.bumped()


def test_a_clone_is_disabled_and_a_taken_name_is_refused(admin, a_profile):
    clone = profiles.clone_profile(admin, a_profile, new_name="tls-copy")
    assert not clone.enabled and Profile.objects.filter(name="tls").exists()
    with pytest.raises(DomainError) as refusal:
        profiles.clone_profile(admin, a_profile, new_name="tls-copy")
    assert refusal.value.reason == "exists"


def test_a_profile_with_certificates_is_not_deleted(admin, a_profile, watch, monkeypatch):
    from django.db.models.deletion import ProtectedError

    def protected(self, *args, **kwargs):
        raise ProtectedError("certificates", {Certificate()})

    monkeypatch.setattr(Profile, "delete", protected)
    seen = watch()
    with pytest.raises(DomainError) as refusal:
        profiles.delete_profile(admin, a_profile)
    assert refusal.value.status == 409 and "disable it instead" in refusal.value.detail
    assert seen.actions() == [], "the audit event rolled back with the refusal"


def test_deleting_a_profile_is_audited(admin, a_profile, watch):
    seen = watch()
    profiles.delete_profile(admin, a_profile)
    assert not Profile.objects.filter(name="tls").exists()
    assert seen.actions() == ["profile.delete"] and seen.bumped()


def test_an_account_that_is_not_an_administrator_cannot_write_profiles_nor_grants(user, a_profile):
    for write in (
        lambda: profiles.set_profile_enabled(user, a_profile, enabled=False),
        lambda: profiles.clone_profile(user, a_profile, new_name="mine"),
        lambda: profiles.delete_profile(user, a_profile),
        lambda: grants.set_profile_grants(user, a_profile, grants=[]),
        lambda: grants.set_team_grants(user, TeamFactory(name="x"), grants=[]),
    ):
        with pytest.raises(DomainError) as refusal:
            write()
        assert refusal.value.code == "SEC-PERM-001", refusal.value.detail
    assert Profile.objects.get(name="tls").enabled
