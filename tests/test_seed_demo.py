"""manage.py seed_demo: the demo accounts, team, profile and grants of the README."""

import pytest
from django.core.management import CommandError, call_command

from profiles.models import Grant, Profile, Team
from tests.conftest import Api, enroll_body
from tests.factories import make_csr


@pytest.fixture
def demo(pki, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    return Profile.objects.get(name="webra-demo")


def test_seed_demo_refuses_to_run_with_debug_off(pki, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("seed_demo")


def test_seed_demo_is_idempotent(demo):
    call_command("seed_demo")
    assert Profile.objects.count() == 5 and Team.objects.count() == 1
    assert Grant.objects.count() == 3 * 7 * 3 + 3 * 2  # three webra profiles, EST, SCEP


def test_the_demo_includes_a_renewable_profile_a_migration_target_and_device_profiles(demo):
    renewable = Profile.objects.get(name="webra-renewable")
    assert (renewable.validity_days, renewable.renewal_period_days) == (20, 30)
    assert Profile.objects.get(name="webra-alt").subject_rules.count() == 4
    assert Profile.objects.get(name="est-demo").module == "est"
    scep = Profile.objects.get(name="scep-demo")
    assert (scep.module, scep.dn_whitelist, scep.challenge_password_mode) == (
        "scep",
        True,
        "random",
    )
    assert set(Grant.objects.filter(profile=scep).values_list("workflow", flat=True)) == {"enroll"}


def test_demo_profile_matches_the_documented_policy(demo):
    assert demo.authorized_key_types == [
        "rsa-2048",
        "rsa-3072",
        "ec-secp256r1",
        "ec-secp384r1",
        "ed-25519",
    ]
    assert (demo.default_key_type, demo.escrow, demo.p12_password_mode) == (
        "ec-secp256r1",
        True,
        "manual",
    )
    assert [(r.element, r.mandatory, r.regex) for r in demo.subject_rules.all()] == [
        ("cn.1", True, ""),
        ("o.1", False, ""),
        ("ou.1", False, ""),
        ("c.1", False, "^[A-Z]{2}$"),
    ]
    assert {(r.san_type, r.min, r.max) for r in demo.san_rules.all()} == {
        ("DNSNAME", 0, 5),
        ("IPADDRESS", 0, 2),
        ("RFC822NAME", 0, 2),
    }
    assert demo.label_rules.get().enum == ["dev", "staging", "prod"]
    assert (demo.validity_days, demo.renewal_period_days, demo.enroll_request_expiry_days) == (
        365,
        30,
        7,
    )
    team = Team.objects.get(name="demo-team")
    assert set(team.members.values_list("username", flat=True)) == {"approver", "requester"}


def test_demo_accounts_work_with_their_documented_api_keys_and_passwords(demo, client):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    for name in ("admin", "approver", "requester"):
        assert users.get(username=name).check_password(f"{name}-password")
    csr, _ = make_csr()
    requester = Api()
    requester.headers = {"HTTP_X_API_ID": "requester", "HTTP_X_API_KEY": "requester-key"}
    status, pending = requester.submit(enroll_body(csr=csr))
    assert (status, pending["status"]) == (201, "pending"), pending
    approver = Api()
    approver.headers = {"HTTP_X_API_ID": "approver", "HTTP_X_API_KEY": "approver-key"}
    status, approved = approver.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert (status, approved["status"]) == (200, "completed"), approved
    assert users.get(username="admin").is_superuser


def test_a_fresh_demo_certificate_is_renewable_at_once(demo):
    csr, _ = make_csr()
    approver = Api()
    approver.headers = {"HTTP_X_API_ID": "approver", "HTTP_X_API_KEY": "approver-key"}
    status, enrolled = approver.submit(enroll_body(profile="webra-renewable", csr=csr))
    assert status == 201, enrolled
    status, renewed = approver.submit(
        {
            "module": "webra",
            "workflow": "renew",
            "certificateId": enrolled["certificate"]["_id"],
            "template": {"csr": make_csr()[0]},
        }
    )
    assert status == 201 and renewed["status"] == "completed", renewed


def test_every_demo_profile_names_the_ocsp_responder_in_its_certificates(demo):
    assert set(Profile.objects.values_list("ocsp_in_aia", flat=True)) == {True}
