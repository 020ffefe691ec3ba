"""Django's admin writes profiles through the administration services, and shows teams,
grants and password policies without changing them (the /manage/ pages do)."""

import pytest

from profiles.models import Profile, Team
from raportal.models import AuditEvent
from tests.factories import ProfileFactory, UserFactory


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_deleting_a_profile_in_djangos_admin_goes_through_the_service(superuser_client, pki):
    profile = ProfileFactory(name="old", ca=pki["issuing"])
    response = superuser_client.post(
        f"/admin/profiles/profile/{profile.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302, response.content[:500]
    assert not Profile.objects.filter(name="old").exists()
    event = AuditEvent.objects.get(action="profile.delete")
    assert event.detail == {"name": "old", "via": "django-admin"}, event.detail


@pytest.mark.parametrize("model", ["team", "grant", "passwordpolicy"])
def test_teams_grants_and_policies_are_read_only_in_djangos_admin(superuser_client, model):
    assert superuser_client.get(f"/admin/profiles/{model}/").status_code == 200
    assert superuser_client.get(f"/admin/profiles/{model}/add/").status_code == 403
    superuser_client.post(f"/admin/profiles/{model}/add/", {"name": "sneaky"})
    assert not Team.objects.filter(name="sneaky").exists()
