"""A profile's expiry notice thresholds (issue 15 part 2): 30, 7 and 1 days unless told, set
in the profile editor, through the admin API's ``raportal`` extras (the official client's
models still parse the answers) and in the configuration file."""

import pytest
from django.urls import reverse
from horizon.models.certificate_profiles import CertificateProfiles
from horizon.models.web_ra_profile import WebRAProfile

from administration.config_io import export_config, import_config
from profiles.models import Label, Profile, Team
from tests.administration.pages.test_profile_pages import editor_data
from tests.administration.test_profiles_api import webra_body
from tests.factories import ProfileFactory


@pytest.fixture
def catalogue(db):
    Label.objects.get_or_create(name="env")
    return Team.objects.create(name="web-team")


def test_a_new_profile_notices_at_30_7_and_1_days(pki):
    profile = ProfileFactory(ca=pki["issuing"])
    assert profile.expiry_notice_days == [30, 7, 1]
    assert profile.notice_thresholds() == [30, 7, 1]


def test_the_editor_sets_the_thresholds_most_distant_first(signed_in, pki):
    data = editor_data(pki["issuing"], name="short-lived", expiry_notice_days="2, 14")
    response = signed_in.post(reverse("admin-profile-create"), data | {"action": "save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Profile.objects.get(name="short-lived").expiry_notice_days == [14, 2]
    url = reverse("admin-profile-edit", args=["short-lived"]) + "?section=lifetimes"
    page = signed_in.get(url).content.decode()
    assert 'value="14, 2"' in page, page[:3000]


def test_the_editor_offers_the_defaults_for_a_new_profile(signed_in, pki):
    page = signed_in.get(reverse("admin-profile-create")).content.decode()
    assert "Expiry notices" in page and 'value="30, 7, 1"' in page, page[:3000]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("30, soon", "is not a whole number of days"),
        ("0", "between 1 and 3650"),
        ("7, 7", "each number of days once"),
    ],
)
def test_the_editor_refuses_thresholds_that_make_no_sense(signed_in, pki, typed, message):
    data = editor_data(pki["issuing"], name="odd", expiry_notice_days=typed)
    response = signed_in.post(reverse("admin-profile-create"), data | {"action": "save"})
    html = response.content.decode()
    assert response.status_code == 400 and message in html, html[:3000]
    assert not Profile.objects.filter(name="odd").exists()


def test_the_thresholds_travel_in_the_raportal_extras_of_the_admin_api(
    pki, catalogue, staff_api, profiles_api
):
    body = webra_body(pki["issuing"].name, raportal={"expiryNoticeDays": [1, 60]})
    response = staff_api.post("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["raportal"]["expiryNoticeDays"] == [60, 1], response.json()
    assert Profile.objects.get(name="tls-servers").expiry_notice_days == [60, 1]
    # The official client reads it back; a body from Horizon's own tools keeps the setting.
    profiles_api.certificate_profile_get("tls-servers")
    profiles_api.certificate_profile_update(
        CertificateProfiles(WebRAProfile.from_dict(webra_body(pki["issuing"].name)))
    )
    assert Profile.objects.get(name="tls-servers").expiry_notice_days == [60, 1]


def test_the_admin_api_refuses_bad_thresholds_as_an_invalid_profile(pki, catalogue, staff_api):
    body = webra_body(pki["issuing"].name, raportal={"expiryNoticeDays": ["30"]})
    response = staff_api.post("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "CERT-PROFILE-002", response.json()
    assert "expiry_notice_days" in response.json()["detail"], response.json()


def test_the_thresholds_are_exported_and_imported_with_the_configuration(pki, catalogue):
    ProfileFactory(name="notices", ca=pki["issuing"], expiry_notice_days=[45, 3])
    exported = export_config()
    (profile,) = [p for p in exported["profiles"] if p["name"] == "notices"]
    assert profile["raportal"]["expiryNoticeDays"] == [45, 3]
    profile["raportal"]["expiryNoticeDays"] = [10]
    import_config(exported)
    assert Profile.objects.get(name="notices").expiry_notice_days == [10]
