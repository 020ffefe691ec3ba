"""An administrator configures a profile, its rules and grants from the admin pages alone."""

from profiles.models import APPROVAL_WORKFLOWS, Profile
from raportal.models import AuditEvent
from tests.conftest import Api, enroll_body
from tests.factories import UserFactory, make_csr


def inline(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def test_an_admin_creates_a_working_profile_through_the_admin_pages(pki, client, outsider):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/profiles/profile/add/").status_code == 200
    form = {
        "name": "vpn-users",
        "display_name": "VPN users",
        "description": "",
        "module": "webra",
        "enabled": "on",
        "ca": pki["issuing"].pk,
        "validity_days": "90",
        "extended_key_usages": ["clientAuth"],
        "centralized": "on",
        "decentralized": "on",
        "authorized_key_types": ["ec-secp256r1", "rsa-2048"],
        "default_key_type": "ec-secp256r1",
        "p12_password_mode": "random",
        "owner_editable_by_approver": "on",
        "team_editable_by_requester": "on",
        "team_editable_by_approver": "on",
        "contact_email_editable_by_requester": "on",
        "contact_email_editable_by_approver": "on",
        "renewal_enabled": "on",
        "renewal_period_days": "14",
        "max_per_holder_behavior": "reject",
        **{
            f"{w}_request_expiry_days": "3"
            for w in ("enroll", "revoke", "update", "renew", "recover", "migrate")
        },
        **{f"{w}_approvals_required": "1" for w in APPROVAL_WORKFLOWS},
        **inline(
            "subject_rules",
            [
                {
                    "position": "0",
                    "element": "cn.1",
                    "mandatory": "on",
                    "editable_by_requester": "on",
                    "editable_by_approver": "on",
                }
            ],
        ),
        **inline(
            "san_rules",
            [
                {
                    "san_type": "RFC822NAME",
                    "min": "1",
                    "max": "1",
                    "editable_by_requester": "on",
                    "editable_by_approver": "on",
                }
            ],
        ),
        **inline(
            "label_rules",
            [
                {
                    "label": "site",
                    "enum": "paris, lyon",
                    "editable_by_requester": "on",
                    "editable_by_approver": "on",
                }
            ],
        ),
        **inline("grants", [{"workflow": "enroll", "level": "perform", "user": outsider.pk}]),
    }
    response = client.post("/admin/profiles/profile/add/", form)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if (response.context) else response.content[:500]
    )
    profile = Profile.objects.get(name="vpn-users")
    assert profile.authorized_key_types == ["ec-secp256r1", "rsa-2048"]
    assert profile.label_rules.get().enum == ["paris", "lyon"]
    created = AuditEvent.objects.get(action="profile.create")  # through the services
    assert created.detail["via"] == "django-admin", created.detail
    assert client.get(f"/admin/profiles/profile/{profile.pk}/change/").status_code == 200

    csr, _ = make_csr()
    status, body = Api(outsider).submit(
        enroll_body(
            profile="vpn-users",
            csr=csr,
            sans=[{"type": "RFC822NAME", "value": ["outsider@example.com"]}],
            labels=[{"label": "site", "value": "lyon"}],
        )
    )
    assert status == 201 and body["status"] == "completed", body


def test_the_admin_offers_every_ca_holding_its_key_the_root_included(pki, client):
    # As Horizon, which issues from a self-signed integrated connector (the profile editor
    # warns about it instead).
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/profiles/profile/add/")
    choices = [str(value) for value, _ in page.context["adminform"].form.fields["ca"].choices]
    assert str(pki["issuing"].pk) in choices and str(pki["root"].pk) in choices
