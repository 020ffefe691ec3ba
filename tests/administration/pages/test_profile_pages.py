"""The profile pages under /manage/profiles/: list, editor with its preview, clone, enable or
disable, delete."""

import re

import pytest
from django.urls import reverse

from administration.pages.profile_editor import LIFECYCLE
from profiles.models import APPROVAL_WORKFLOWS, Profile, SubjectRule
from tests.conftest import enroll_body
from tests.factories import ProfileFactory, make_csr


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value is True:
                value = "on"
            if value is False:
                continue
            data[f"{prefix}-{index}-{key}"] = value
    return data


def editor_data(ca, name="vpn-users", subject=None, sans=None, labels=None, **profile) -> dict:
    fields = {
        "name": name,
        "display_name": "VPN users",
        "module": "webra",
        "enabled": True,
        "ca": ca.pk,
        "validity_days": "365",
        "extended_key_usages": "clientAuth",
        "renewal_enabled": True,
        "renewal_period_days": "30",
        "centralized": True,
        "decentralized": True,
        "authorized_key_types": "ec-secp256r1",
        "default_key_type": "ec-secp256r1",
        "p12_password_mode": "random",
        "p12_encryption": "AES_STRONG",
        "owner_editable_by_approver": True,
        "team_editable_by_requester": True,
        "team_editable_by_approver": True,
        "contact_email_editable_by_requester": True,
        "contact_email_editable_by_approver": True,
        "max_per_holder_behavior": "reject",
        "challenge_password_mode": "random",
        **{f"{workflow}_request_expiry_days": "7" for workflow in LIFECYCLE},
        **{f"{workflow}_approvals_required": "1" for workflow in APPROVAL_WORKFLOWS},
    }
    fields.update(profile)
    data = {f"profile-{k}": ("on" if v is True else v) for k, v in fields.items() if v is not False}
    data |= formset(
        "subject",
        subject
        if subject is not None
        else [{"element": "cn.1", "mandatory": True, "editable_by_requester": True}],
    )
    data |= formset("san", sans or [])
    data |= formset("label", labels or [])
    return data


def counts_in_row(html: str, name: str) -> tuple[str, str]:
    """The certificate and pending-request counts of the profile's row."""
    row = html[html.index(f">{name}</a>") :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="text-end">(\d+)</td>', row)
    return cells[0], cells[1]


def test_the_list_shows_module_state_ca_and_counts_in_few_queries(
    signed_in, profile, issue, requester_api, django_assert_max_num_queries
):
    for cn in ("a.example.com", "b.example.com", "c.example.com"):
        issue(cn)
    for _ in range(2):
        status, body = requester_api.submit(enroll_body(csr=make_csr()[0]))
        assert status == 201 and body["status"] == "pending", body
    ProfileFactory(name="empty-one", ca=profile.ca)
    with django_assert_max_num_queries(8):
        page = signed_in.get(reverse("admin-profile-list"))
    html = page.content.decode()
    assert page.status_code == 200, html
    assert profile.ca.name in html
    assert counts_in_row(html, "webra-demo") == ("3", "2"), html[:3000]
    assert counts_in_row(html, "empty-one") == ("0", "0"), html[:3000]


def test_an_admin_creates_a_profile_with_rules_in_one_form(signed_in, pki):
    data = editor_data(
        pki["issuing"],
        subject=[
            {"element": "cn.1", "mandatory": True, "editable_by_requester": True, "position": 0},
            {
                "element": "o.1",
                "value": "Example",
                "regex": "^[A-Za-z ]+$",
                "editable_by_requester": True,
                "position": 1,
            },
        ],
        sans=[{"san_type": "DNSNAME", "min": "0", "max": "10", "editable_by_requester": True}],
        everyone_enroll="request",
    )
    response = signed_in.post(reverse("admin-profile-create"), data | {"action": "save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    profile = Profile.objects.get(name="vpn-users")
    assert [(r.element, r.regex) for r in profile.subject_rules.all()] == [
        ("cn.1", ""),
        ("o.1", "^[A-Za-z ]+$"),
    ]
    assert [(r.san_type, r.max) for r in profile.san_rules.all()] == [("DNSNAME", 10)]
    assert profile.authenticated_levels == {"enroll": "request"}


def test_an_invalid_regex_is_refused_beside_its_field_and_nothing_is_saved(signed_in, pki):
    data = editor_data(
        pki["issuing"],
        subject=[{"element": "cn.1", "mandatory": True, "regex": "([a-z", "position": 0}],
    )
    response = signed_in.post(reverse("admin-profile-create"), data | {"action": "save"})
    html = response.content.decode()
    assert response.status_code == 400, html[:2000]
    assert 'id="id_subject-0-regex-error"' in html and "not a valid regular expression" in html
    assert not Profile.objects.filter(name="vpn-users").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sans": [{"san_type": "DNSNAME", "min": "3", "max": "1"}]}, "min (3) is more than max"),
        (
            {"subject": [{"element": "cn.1", "mandatory": True, "position": 0}]},
            "needs a value",
        ),
        ({"centralized": False, "decentralized": False}, "centralized or decentralized"),
        (
            {"authorized_key_types": "rsa-2048", "default_key_type": "ec-secp256r1"},
            "must be one of the authorized ones",
        ),
    ],
)
def test_the_editor_refuses_what_the_api_refuses(signed_in, pki, changes, message):
    response = signed_in.post(
        reverse("admin-profile-create"), editor_data(pki["issuing"], **changes) | {"action": "save"}
    )
    html = response.content.decode()
    assert response.status_code == 400 and message in html, html[:3000]


def test_the_preview_shows_the_enroll_form_with_unsaved_changes_and_stores_nothing(
    signed_in, profile
):
    url = reverse("admin-profile-preview", args=[profile.name])
    rules = [
        {
            "id": str(r.pk),
            "element": r.element,
            "value": r.value,
            "position": r.position,
            "mandatory": r.mandatory,
            "editable_by_requester": r.editable_by_requester,
            "editable_by_approver": r.editable_by_approver,
            "regex": r.regex,
        }
        for r in profile.subject_rules.all()
    ]
    rules.append({"element": "l.1", "editable_by_requester": True, "position": 9})
    data = editor_data(profile.ca, name=profile.name, subject=[])
    data |= formset("subject", rules, initial=len(rules) - 1)
    before = SubjectRule.objects.filter(profile=profile).count()
    response = signed_in.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200, html[:2000]
    assert 'name="subject_l.1"' in html and "<fieldset disabled inert" in html, html[:3000]
    assert SubjectRule.objects.filter(profile=profile).count() == before


def test_clone_copies_the_rules_disabled_and_delete_refuses_a_profile_with_certificates(
    signed_in, profile, issue
):
    issue()
    response = signed_in.post(
        reverse("admin-profile-clone", args=[profile.name]), {"new_name": "webra-copy"}
    )
    assert response.status_code == 302
    copy = Profile.objects.get(name="webra-copy")
    assert not copy.enabled
    assert copy.subject_rules.count() == profile.subject_rules.count() > 0

    response = signed_in.post(reverse("admin-profile-delete", args=[profile.name]), follow=True)
    assert "disable it instead" in response.content.decode()
    assert Profile.objects.filter(pk=profile.pk).exists()

    signed_in.post(reverse("admin-profile-toggle", args=[profile.name]))
    profile.refresh_from_db()
    assert not profile.enabled

    signed_in.post(reverse("admin-profile-delete", args=["webra-copy"]))
    assert not Profile.objects.filter(name="webra-copy").exists()


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("admin-profile-list", []),
        ("admin-profile-create", []),
        ("admin-profile-edit", ["webra-demo"]),
    ],
)
def test_profile_pages_are_hidden_from_non_staff_and_ask_anonymous_visitors_to_sign_in(
    client, profile, requester, name, args
):
    url = reverse(name, args=args)
    assert client.get(url).status_code == 302
    client.force_login(requester)
    assert client.get(url).status_code == 404
    for post_name in ("admin-profile-toggle", "admin-profile-delete", "admin-profile-clone"):
        response = client.post(reverse(post_name, args=["webra-demo"]), {"new_name": "x"})
        assert response.status_code == 404, post_name


def test_a_profile_on_a_root_ca_is_saved_with_a_warning(signed_in, pki):
    data = editor_data(pki["root"], name="on-root", team_members_only=True)
    response = signed_in.post(
        reverse("admin-profile-create"), data | {"action": "save"}, follow=True
    )
    page = response.content.decode()
    assert response.status_code == 200, page[:3000]
    assert "is a root CA" in page, page[:3000]
    profile = Profile.objects.get(name="on-root")
    assert profile.ca == pki["root"] and profile.team_members_only
    assert not profile.dns_names_fully_qualified


def test_the_editor_sets_whether_dns_labels_may_mix_scripts(signed_in, pki):
    data = editor_data(pki["issuing"], name="idn-hosts", allow_mixed_script_labels=True)
    response = signed_in.post(reverse("admin-profile-create"), data | {"action": "save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Profile.objects.get(name="idn-hosts").allow_mixed_script_labels
    page = signed_in.get(reverse("admin-profile-create")).content.decode()
    assert "may mix scripts" in page, page[:3000]


def test_the_editor_sets_whether_certificates_name_the_ocsp_responder(signed_in, pki):
    data = editor_data(pki["issuing"], name="with-ocsp", ocsp_in_aia=True)
    response = signed_in.post(reverse("admin-profile-create"), data | {"action": "save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Profile.objects.get(name="with-ocsp").ocsp_in_aia
    page = signed_in.get(reverse("admin-profile-create")).content.decode()
    assert "name the CA&#x27;s OCSP responder" in page, page[:3000]
