"""manage.py seed_demo: the demo accounts, team, profile and grants of the README."""

import pytest
from django.core.management import CommandError, call_command

from certificates.models import Certificate
from profiles.models import Grant, Profile, Team
from requests_app.models import Request
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
    made = (Certificate.objects.count(), Request.objects.count())
    call_command("seed_demo")
    assert (Certificate.objects.count(), Request.objects.count()) == made
    assert Profile.objects.count() == 7 and Team.objects.count() == 1
    # three webra profiles; EST, SCEP and the two ACME profiles; the team's on acme-eab
    assert Grant.objects.count() == 3 * 7 * 3 + 3 * 4 + 1


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


def test_the_demo_has_an_open_acme_profile_that_issues_validated_names_at_once(demo):
    acme = Profile.objects.get(name="acme-demo")
    assert (acme.module, acme.acme_eab_required, acme.acme_unbound_level) == (
        "acme",
        False,
        "perform",
    )
    assert (acme.centralized, acme.decentralized, acme.escrow) == (False, True, False)
    assert acme.acme_challenge_types == ["http-01", "dns-01"]
    assert acme.validity_days == 90 and "rsa-2048" in acme.authorized_key_types
    assert [(r.element, r.mandatory) for r in acme.subject_rules.all()] == [("cn.1", False)]
    assert [(r.san_type, r.min) for r in acme.san_rules.all()] == [("DNSNAME", 1)]
    acme.full_clean()  # what the editor and the admin API would accept


def test_the_demo_acme_eab_profile_needs_a_binding_and_lets_the_demo_team_perform(demo):
    acme = Profile.objects.get(name="acme-eab")
    assert (acme.acme_eab_required, acme.acme_unbound_level, acme.centralized) == (
        True,
        "",
        False,
    )
    team_grant = Grant.objects.get(profile=acme, team__name="demo-team")
    assert (team_grant.workflow, team_grant.level) == ("enroll", "perform")
    acme.full_clean()


def test_an_account_bound_to_the_demo_team_orders_on_acme_eab(demo, client):
    from acme import messages

    from acme_server.eab import create_eab_key
    from acme_server.models import AcmeAccount
    from tests.acme.client import AcmeClient

    team = Team.objects.get(name="demo-team")
    key, hmac_key = create_eab_key(
        profile=Profile.objects.get(name="acme-eab"), team=team, actor=None
    )
    acme = AcmeClient(client, "acme-eab")
    binding = messages.ExternalAccountBinding.from_data(
        acme.key.public_key(), key.kid, hmac_key, messages.Directory.from_json(acme.directory())
    )
    registered = acme.register(externalAccountBinding=binding)
    assert registered.status_code == 201, registered.content
    assert AcmeAccount.objects.get().team == team
    ordered = acme.order("www.demo.example")
    assert ordered.status_code == 201, ordered.content


def test_every_demo_profile_names_the_ocsp_responder_in_its_certificates(demo):
    assert set(Profile.objects.values_list("ocsp_in_aia", flat=True)) == {True}


def test_the_demo_gives_every_account_something_on_its_dashboard(demo, client):
    from django.contrib.auth import get_user_model

    charts = {
        "requester": ["chart-expiring", "chart-pending"],
        "approver": ["chart-expiring", "chart-queue-profile", "chart-queue-age", "chart-decisions"],
        "admin": ["chart-queue-age", "chart-issued-day", "chart-protocols", "chart-expiry-week"],
    }
    for username, ids in charts.items():
        client.force_login(get_user_model().objects.get(username=username))
        page = client.get("/").content.decode()
        for chart in ids:
            figure = page.split(f'id="{chart}"', 1)[1].split("</figure>", 1)[0]
            assert 'class="chart-link"' in figure, (username, chart, figure)
    protocols = set(Certificate.objects.values_list("module", flat=True))
    assert protocols == {"webra", "est", "scep", "acme"}
    assert Request.objects.filter(status="pending").count() >= 3
    assert Certificate.objects.filter(revocation_date__isnull=False).exists()


def test_seed_demo_without_samples_makes_no_certificate_nor_request(pki, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--without-samples")
    assert not Certificate.objects.exists() and not Request.objects.exists()
    assert Profile.objects.count() == 7
