"""The profile editor in sections: each section (?section=…) shows and saves only its own
fields; a change to a profile in use is saved once its summary is confirmed."""

import re

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from administration.pages.profile_editor import ProfileEditor
from administration.pages.profile_sections import BY_SLUG
from administration.services import profiles as services
from certificates.pki.names import DN_TYPES, SAN_TYPES
from profiles.models import Profile
from tests.administration.pages.forms import form_values
from tests.conftest import enroll_body
from tests.factories import ProfileFactory, make_csr

CHANGED_FIELD = {
    "general": ("display_name", "Renamed"),
    "sans": ("allow_wildcards", "on"),
    "labels": ("contact_email_regex", r"^.+@example\.com$"),
    "keys": ("escrow", None),
    "lifetimes": ("validity_days", "200"),
    "permissions": ("max_per_holder", "3"),
    "protocols": ("dn_whitelist", "on"),
}


def section_url(profile, section: str) -> str:
    return reverse("admin-profile-edit", args=[profile.name]) + f"?section={section}"


def section_form(client, profile, section: str) -> dict:
    page = client.get(section_url(profile, section))
    assert page.status_code == 200, page.content.decode()[:3000]
    return form_values(page.content.decode())


def saved_state(profile) -> tuple[dict, list, list, list]:
    profile = Profile.objects.get(pk=profile.pk)
    fields = model_to_dict(profile)
    fields["team_whitelist"] = sorted(t.pk for t in fields["team_whitelist"])
    return (
        fields,
        list(profile.subject_rules.values_list("element", "regex", "position", "mandatory")),
        list(profile.san_rules.values_list("san_type", "min", "max")),
        list(profile.label_rules.values_list("label", "enum")),
    )


def problems(response) -> str:
    """The page's error summary (or its start), for assertion messages."""
    page = response.content.decode()
    start = page.find('id="error-summary"')
    return page[start : start + 2000] if start >= 0 else page[:3000]


def post(client, profile, section: str, data: dict, **extra):
    return client.post(section_url(profile, section), data | {"action": "save"} | extra)


def test_the_editor_opens_on_the_general_section_and_names_every_section(signed_in, profile):
    page = signed_in.get(reverse("admin-profile-edit", args=[profile.name])).content.decode()
    assert 'name="profile-display_name"' in page and 'name="profile-validity_days"' not in page
    assert 'name="subject-TOTAL_FORMS"' not in page
    for slug in ("general", "subject", "sans", "labels", "keys", "lifetimes"):
        assert f'href="?section={slug}"' in page, slug
    assert 'href="?section=permissions"' in page and 'href="?section=triggers"' in page


def test_a_section_page_holds_only_that_sections_fields(signed_in, profile):
    page = signed_in.get(section_url(profile, "lifetimes")).content.decode()
    assert 'name="profile-validity_days"' in page and 'name="profile-name"' not in page
    assert 'name="subject-TOTAL_FORMS"' not in page and 'name="san-TOTAL_FORMS"' not in page
    assert 'action="?section=lifetimes"' in page and 'aria-current="page">Lifetimes<' in page
    subject = signed_in.get(section_url(profile, "subject")).content.decode()
    assert 'name="subject-TOTAL_FORMS"' in subject and 'name="profile-validity_days"' not in subject


def test_an_unknown_section_is_404(signed_in, profile):
    assert signed_in.get(section_url(profile, "everything")).status_code == 404


@pytest.mark.parametrize("section", sorted(CHANGED_FIELD))
def test_saving_a_section_changes_its_field_and_leaves_the_rest_of_the_profile(
    signed_in, profile, section
):
    fields, *rules = saved_state(profile)
    name, value = CHANGED_FIELD[section]
    data = section_form(signed_in, profile, section)
    key = f"profile-{name}"
    assert key in data or value is not None, data  # a ticked box, unticked by leaving it out
    if value is None:
        del data[key]
    else:
        data[key] = value
    response = post(signed_in, profile, section, data)
    assert response.status_code == 302, problems(response)
    assert response["Location"].endswith(f"?section={section}")
    after, *rules_after = saved_state(profile)
    changed = {k for k in fields if fields[k] != after[k]}
    assert changed == {name}, (changed, fields, after)
    assert rules_after == rules


def test_saving_the_subject_section_changes_its_rules_and_no_profile_field(signed_in, profile):
    fields, _, sans, labels = saved_state(profile)
    data = section_form(signed_in, profile, "subject")
    data["subject-2-element_0"] = "l"  # ou.1 becomes l.1
    data["subject-3-DELETE"] = "on"  # c.1 goes
    response = post(signed_in, profile, "subject", data)
    assert response.status_code == 302, problems(response)
    after, subject, sans_after, labels_after = saved_state(profile)
    assert [element for element, *_ in subject] == ["cn.1", "o.1", "l.1"]
    assert (after, sans_after, labels_after) == (fields, sans, labels)


def test_a_section_does_not_write_back_what_another_section_changed_meanwhile(
    signed_in, profile, staff
):
    data = section_form(signed_in, profile, "lifetimes") | {"profile-validity_days": "90"}
    editor = ProfileEditor(
        data, instance=Profile.objects.get(pk=profile.pk), section=BY_SLUG["lifetimes"]
    )
    assert editor.is_valid(), editor.errors_summary()
    # Another admin saves the general section between this page's read and its write.
    Profile.objects.filter(pk=profile.pk).update(display_name="Changed meanwhile")
    services.update_profile(staff, profile, source=editor)
    profile.refresh_from_db()
    assert (profile.display_name, profile.validity_days) == ("Changed meanwhile", 90)


def test_an_invalid_section_is_refused_beside_its_field_and_nothing_is_saved(signed_in, profile):
    before = saved_state(profile)
    data = section_form(signed_in, profile, "lifetimes") | {"profile-validity_days": "0"}
    response = post(signed_in, profile, "lifetimes", data)
    assert response.status_code == 400, response.content.decode()[:3000]
    assert 'id="error-summary"' in response.content.decode()
    assert saved_state(profile) == before


def test_the_dn_element_is_chosen_by_type_and_index_among_every_known_type(signed_in, profile):
    page = signed_in.get(section_url(profile, "subject")).content.decode()
    select = re.search(r'<select name="subject-0-element_0".*?</select>', page, re.S)
    assert select, page[:3000]
    offered = re.findall(r'<option value="([^"]*)"', select.group(0))
    assert offered == ["", *DN_TYPES]
    for known in ("cn", "o", "ou", "c", "l", "st", "e", "serialNumber"):
        assert known in offered
    assert re.search(r'<option value="cn" selected>CN — Common name</option>', select.group(0))
    assert 'name="subject-0-element_1" value="1"' in page

    data = section_form(signed_in, profile, "subject")
    index = int(data["subject-TOTAL_FORMS"]) - 1  # the blank row
    data |= {f"subject-{index}-element_0": "ou", f"subject-{index}-element_1": "2"}
    data[f"subject-{index}-position"] = "9"
    assert post(signed_in, profile, "subject", data).status_code == 302
    assert profile.subject_rules.filter(element="ou.2").exists()


def test_the_san_type_offers_every_type_in_a_select_sized_for_its_longest_name(signed_in, profile):
    page = signed_in.get(section_url(profile, "sans")).content.decode()
    select = re.search(r'<select name="san-0-san_type"[^>]*>.*?</select>', page, re.S)
    assert select, page[:3000]
    assert 'class="form-select form-select-sm rule-type"' in select.group(0)
    assert re.findall(r'<option value="([^"]+)"', select.group(0)) == list(SAN_TYPES)


@pytest.fixture
def in_use(profile, issue, requester_api):
    for cn in ("a.example.com", "b.example.com"):
        issue(cn)
    status, body = requester_api.submit(enroll_body(csr=make_csr()[0]))
    assert status == 201 and body["status"] == "pending", body
    return profile


def confirm_token(page: str) -> str:
    match = re.search(r'name="confirm" value="([0-9a-f]+)"', page)
    assert match, page[:5000]
    return match.group(1)


def test_a_change_to_a_profile_in_use_is_summarized_with_its_reach_and_not_saved(signed_in, in_use):
    before = saved_state(in_use)
    data = section_form(signed_in, in_use, "lifetimes") | {"profile-validity_days": "200"}
    response = post(signed_in, in_use, "lifetimes", data)
    page = response.content.decode()
    assert response.status_code == 200, page[:3000]
    assert 'id="confirm-change"' in page
    assert '<strong data-count="certificates">2</strong> certificates' in page, page[:5000]
    assert '<strong data-count="pending">1</strong> pending request' in page
    assert re.search(r"Validity \(days\)</th><td><del>365</del></td><td><ins>200</ins>", page)
    assert "Save the change (2 certificates affected)" in page
    assert saved_state(in_use) == before


def test_the_confirmed_change_is_saved(signed_in, in_use):
    data = section_form(signed_in, in_use, "lifetimes") | {"profile-validity_days": "200"}
    token = confirm_token(post(signed_in, in_use, "lifetimes", data).content.decode())
    response = signed_in.post(section_url(in_use, "lifetimes"), data | {"confirm": token})
    assert response.status_code == 302, problems(response)
    in_use.refresh_from_db()
    assert in_use.validity_days == 200


def test_a_confirmation_of_other_changes_is_asked_again_and_saves_nothing(signed_in, in_use):
    data = section_form(signed_in, in_use, "lifetimes") | {"profile-validity_days": "200"}
    token = confirm_token(post(signed_in, in_use, "lifetimes", data).content.decode())
    other = data | {"profile-validity_days": "100", "confirm": token}
    response = signed_in.post(section_url(in_use, "lifetimes"), other)
    page = response.content.decode()
    assert response.status_code == 200 and "<ins>100</ins>" in page, page[:3000]
    in_use.refresh_from_db()
    assert in_use.validity_days == 365


def test_the_summary_names_the_rules_added_removed_and_changed(signed_in, in_use):
    data = section_form(signed_in, in_use, "subject")
    data["subject-1-regex"] = "^[A-Z]+$"  # o.1
    data["subject-3-DELETE"] = "on"  # c.1
    index = int(data["subject-TOTAL_FORMS"]) - 1
    data |= {f"subject-{index}-element_0": "l", f"subject-{index}-position": "9"}
    page = post(signed_in, in_use, "subject", data).content.decode()
    assert "Subject element o.1: pattern (regex)</th><td><del>—</del></td><td><ins>^[A-Z]+$" in page
    assert "Subject element c.1</th>" in page and "<ins>removed</ins>" in page, page[:6000]
    assert "Subject element l.1</th><td><del>(new)</del>" in page
    assert in_use.subject_rules.filter(element="c.1").exists()


def test_saving_a_section_without_change_or_a_profile_not_in_use_asks_nothing(
    signed_in, in_use, pki
):
    unchanged = section_form(signed_in, in_use, "lifetimes")
    assert post(signed_in, in_use, "lifetimes", unchanged).status_code == 302
    unused = ProfileFactory(name="not-used", ca=pki["issuing"])
    data = section_form(signed_in, unused, "lifetimes") | {"profile-validity_days": "30"}
    assert post(signed_in, unused, "lifetimes", data).status_code == 302
    unused.refresh_from_db()
    assert unused.validity_days == 30


def test_the_preview_of_a_section_shows_its_unsaved_rules_with_the_rest_as_saved(
    signed_in, profile
):
    data = section_form(signed_in, profile, "subject")
    index = int(data["subject-TOTAL_FORMS"]) - 1
    data |= {f"subject-{index}-element_0": "l", f"subject-{index}-position": "9"}
    url = reverse("admin-profile-preview", args=[profile.name]) + "?section=subject"
    response = signed_in.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200, html[:2000]
    assert 'name="subject_l.1"' in html and 'name="subject_cn.1"' in html, html[:3000]
    assert 'name="san_DNSNAME' in html, html[:3000]  # the SAN rules, as saved
    assert not profile.subject_rules.filter(element="l.1").exists()
