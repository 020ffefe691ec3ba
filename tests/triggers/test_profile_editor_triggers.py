"""The profile editor's "Triggers" section: per event, the triggers of that very event, ticked
when the profile fires them; saved through the profile service as Horizon's
CertificateProfileTriggers (checked as the admin API checks them)."""

import re

import pytest
from django.urls import reverse

from profiles.models import Profile
from raportal.models import AuditEvent
from tests.administration.pages.test_profile_pages import editor_data
from tests.factories import ProfileFactory
from triggers.models import Trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def triggers(db):
    def make(name, event, **fields):
        return Trigger.objects.create(
            name=name,
            type="email",
            event=event,
            definition={"emailTemplate": {"to": [{"type": "requester"}], "title": "t"}},
            **fields,
        )

    return [
        make("mail-submit", "on_submit_enroll"),
        make("mail-submit-team", "on_submit_enroll"),
        make("mail-expire", "on_expire", run_period="30 days"),
        make("mail-revoked", "on_revoke"),
    ]


@pytest.fixture
def bare(pki):
    return ProfileFactory(name="vpn-users", ca=pki["issuing"], rules=False)


def edit(signed_in, profile, **choices):
    profile.subject_rules.all().delete()  # the form sends its one rule (cn.1) as new
    data = editor_data(profile.ca, name=profile.name)
    for key, names in choices.items():
        data[f"profile-triggers_{key}"] = names
    return signed_in.post(
        reverse("admin-profile-edit", args=[profile.name]), data | {"action": "save"}
    )


def options(page: str, key: str) -> list[str]:
    block = re.search(rf'id="div_id_profile-triggers_{key}".*?</fieldset>|$', page, re.S)
    assert block and block.group(0), page
    return re.findall(r'name="profile-triggers_' + key + r'" value="([^"]+)"', block.group(0))


def triggers_section(profile) -> str:
    return reverse("admin-profile-edit", args=[profile.name]) + "?section=triggers"


def test_each_event_offers_only_its_own_triggers(signed_in, bare, triggers):
    page = signed_in.get(triggers_section(bare)).content.decode()
    assert 'id="profile-triggers"' in page, page
    assert options(page, "onSubmitEnroll") == ["mail-submit", "mail-submit-team"]
    assert options(page, "onExpire") == ["mail-expire"]
    assert options(page, "onRevoke") == ["mail-revoked"]
    assert "profile-triggers_onDenyEnroll" not in page, page


def test_the_editor_saves_the_chosen_triggers_as_certificate_profile_triggers(
    signed_in, bare, triggers
):
    response = edit(signed_in, bare, onSubmitEnroll=["mail-submit-team"], onExpire=["mail-expire"])
    assert response.status_code == 302, response.content.decode()[:3000]
    bare.refresh_from_db()
    assert bare.triggers == {
        "onSubmitEnroll": ["mail-submit-team"],
        "onExpire": [{"name": "mail-expire"}],
    }
    assert AuditEvent.objects.filter(action="profile.update", object_id=str(bare.pk)).exists()
    page = signed_in.get(triggers_section(bare)).content.decode()
    assert re.search(r'value="mail-submit-team"[^>]*checked', page), page
    assert not re.search(r'value="mail-submit"[^>]*checked', page), page


def test_unticking_every_trigger_empties_them_and_an_activation_date_is_kept(
    signed_in, bare, triggers
):
    bare.triggers = {
        "onSubmitEnroll": ["mail-submit"],
        "onExpire": [{"name": "mail-expire", "activationDate": 1700000000000}],
    }
    bare.save()
    assert edit(signed_in, bare, onExpire=["mail-expire"]).status_code == 302
    bare.refresh_from_db()
    assert bare.triggers == {"onExpire": [{"name": "mail-expire", "activationDate": 1700000000000}]}
    assert edit(signed_in, bare).status_code == 302
    bare.refresh_from_db()
    assert bare.triggers == {}


def test_a_trigger_of_another_event_cannot_be_chosen(signed_in, bare, triggers):
    response = edit(signed_in, bare, onSubmitEnroll=["mail-revoked"])
    assert response.status_code == 400, response.content.decode()[:3000]
    assert "not one of the available choices" in response.content.decode()
    bare.refresh_from_db()
    assert bare.triggers == {}


def test_a_new_profile_is_created_with_its_triggers(signed_in, pki, triggers):
    data = editor_data(pki["issuing"], name="new-one") | {
        "profile-triggers_onRevoke": ["mail-revoked"],
        "action": "save",
    }
    response = signed_in.post(reverse("admin-profile-create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Profile.objects.get(name="new-one").triggers == {"onRevoke": ["mail-revoked"]}


def test_without_triggers_the_section_points_to_their_page(signed_in, bare):
    page = signed_in.get(triggers_section(bare)).content.decode()
    assert 'id="profile-triggers"' in page and "No trigger yet" in page, page
    assert 'href="/manage/triggers/"' in page, page


def test_the_trigger_list_names_the_profile_once_the_editor_chose_the_trigger(
    signed_in, bare, triggers
):
    edit(signed_in, bare, onRevoke=["mail-revoked"])
    listing = signed_in.get("/manage/triggers/").content.decode()
    assert "vpn-users" in listing, listing
