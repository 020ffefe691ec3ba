"""The profile editor for ACME profiles: an ACME section with the directory's settings, none
of what makes no sense for ACME (the portal making the key, PKCS#12, device challenges), the
directory URL and the links to the profile's EAB keys and accounts; ACME on the new-profile
page."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from profiles.models import Profile
from tests.administration.pages.test_profile_pages import editor_data
from tests.factories import ProfileFactory

ACME = {
    "module": "acme",
    "acme_eab_required": True,
    "acme_unbound_level": "",
    "acme_challenge_types": "dns-01",
    "acme_order_lifetime": "8 hours",
    "acme_verify_retry_count": "5",
    "acme_verify_retry_delay": "30 s",
    "acme_max_dns_names": "10",
    "acme_terms_of_service": "https://example.com/tos",
    "acme_website": "",
}


def acme_data(ca, **changes) -> dict:
    return editor_data(ca, name="acme-servers", **(ACME | changes)) | {"action": "save"}


@pytest.fixture
def acme_profile(pki):
    return ProfileFactory(name="acme-web", module="acme", ca=pki["issuing"], centralized=False)


def test_an_admin_creates_an_acme_profile_in_the_editor_and_it_is_decentralized_only(
    signed_in, pki
):
    # The new-profile page sent every module's fields: the server keeps ACME's, and never
    # lets the portal make an ACME client's key, whatever the hidden checkboxes said.
    response = signed_in.post(reverse("admin-profile-create"), acme_data(pki["issuing"]))
    assert response.status_code == 302, response.content.decode()[:3000]
    profile = Profile.objects.get(name="acme-servers")
    assert (profile.module, profile.centralized, profile.decentralized, profile.escrow) == (
        "acme", False, True, False
    )  # fmt: skip
    assert profile.acme_eab_required is True and profile.acme_unbound_level == ""
    assert profile.acme_challenge_types == ["dns-01"]
    assert profile.acme_order_lifetime == dt.timedelta(hours=8)
    assert (profile.acme_verify_retry_count, profile.acme_verify_retry_delay) == (
        5, dt.timedelta(seconds=30)
    )  # fmt: skip
    assert profile.acme_max_dns_names == 10
    assert profile.acme_terms_of_service == "https://example.com/tos"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"acme_order_lifetime": "10 s"}, "between 1 minute and 30 days"),
        ({"acme_order_lifetime": "soon"}, "is not a duration like"),
        ({"acme_verify_retry_delay": "2 hours"}, "between 0 seconds and 1 hour"),
        ({"acme_verify_retry_count": "0"}, "between 1 and 10 attempts"),
        ({"acme_challenge_types": False}, "one or more of http-01, dns-01"),
        ({"acme_unbound_level": "everything"}, "Select a valid choice"),
    ],
)
def test_the_editor_refuses_acme_settings_out_of_bounds(signed_in, pki, changes, message):
    response = signed_in.post(reverse("admin-profile-create"), acme_data(pki["issuing"], **changes))
    html = response.content.decode()
    assert response.status_code == 400 and message in html, html[:3000]
    assert not Profile.objects.filter(name="acme-servers").exists()


def test_an_acme_profile_page_has_the_acme_section_the_directory_and_no_pkcs12_fields(
    signed_in, acme_profile, settings
):
    url = reverse("admin-profile-edit", args=[acme_profile.name])
    page = signed_in.get(url + "?section=protocols")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="profile-acme"' in html and 'name="profile-acme_order_lifetime"' in html
    assert 'value="1 days"' in html  # the order lifetime, as Horizon writes durations
    keys = signed_in.get(url + "?section=keys").content.decode()
    for absent in ("centralized", "escrow", "p12_password_mode", "challenge_enabled"):
        assert f'name="profile-{absent}"' not in html + keys, absent
    assert 'name="profile-authorized_key_types"' in keys
    assert f"{settings.RAPORTAL_BASE_URL}/acme/acme-web/directory" in html
    assert "/manage/acme/acme-web/eab/" in html and "/manage/acme/acme-web/accounts/" in html


def test_saving_an_acme_profile_made_centralized_elsewhere_makes_it_decentralized(signed_in, pki):
    profile = ProfileFactory(name="acme-servers", module="acme", ca=pki["issuing"], rules=False)
    assert profile.centralized  # as a factory (or an old row) left it
    data = acme_data(pki["issuing"], acme_max_dns_names="3")
    response = signed_in.post(reverse("admin-profile-edit", args=[profile.name]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    profile.refresh_from_db()
    assert (profile.centralized, profile.acme_max_dns_names) == (False, 3)


def test_a_webra_profile_page_has_no_acme_section(signed_in, profile):
    url = reverse("admin-profile-edit", args=[profile.name])
    html = signed_in.get(url + "?section=protocols").content.decode()
    assert 'id="profile-acme"' not in html and "profile-acme_" not in html
    assert 'name="profile-challenge_enabled"' in html
    keys = signed_in.get(url + "?section=keys").content.decode()
    assert 'name="profile-centralized"' in keys


def test_the_new_profile_page_offers_acme_and_marks_each_modules_fields(signed_in, pki):
    html = signed_in.get(reverse("admin-profile-create") + "?module=acme").content.decode()
    assert '<option value="acme" selected>ACME</option>' in html, html
    assert 'id="profile-acme" data-modules="acme"' in html
    wrapper = re.search(
        r'<div data-modules="([^"]*)">\s*<div class="mb-3">\s*<div id="div_id_profile-centralized"',
        html,
    )
    assert wrapper and wrapper.group(1) == "webra est scep", html


def test_the_model_refuses_centralized_generation_for_acme(pki):
    profile = Profile(name="acme-x", module="acme", ca=pki["issuing"], centralized=True)
    with pytest.raises(ValidationError) as refused:
        profile.full_clean()
    assert "ACME is decentralized only" in str(refused.value.message_dict["centralized"])
