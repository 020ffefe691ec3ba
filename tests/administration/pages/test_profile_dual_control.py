"""Dual control in the profile editor and the profile list."""

from django.urls import reverse

from profiles.models import Profile
from tests.administration.pages.test_profile_pages import editor_data


def test_the_editor_sets_the_approvals_and_refuses_more_than_five(signed_in, pki):
    data = editor_data(pki["issuing"], recover_approvals_required="2")
    response = signed_in.post(reverse("admin-profile-create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Profile.objects.get(name="vpn-users").recover_approvals_required == 2

    data = editor_data(pki["issuing"], name="too-many", revoke_approvals_required="6")
    response = signed_in.post(reverse("admin-profile-create"), data)
    assert response.status_code != 302
    assert "less than or equal to 5" in response.content.decode()
    assert not Profile.objects.filter(name="too-many").exists()


def test_the_profile_list_names_the_workflows_under_dual_control(signed_in, profile):
    profile.recover_approvals_required = 2
    profile.revoke_approvals_required = 3
    profile.save()
    html = signed_in.get(reverse("admin-profile-list")).content.decode()
    assert "Approvals: revoke 3, recover 2" in html, html[:3000]
