"""Profiles as Horizon writes and uses them: its spelling of subject types, its selfPop
permissions and PKCS#12 encryption, a self-signed connector issuing, its administrator role
holding every permission, and the stricter rules kept as options."""

import base64
import subprocess

import pytest
from horizon.models.certificate_profiles import CertificateProfiles
from horizon.models.web_ra_profile import WebRAProfile

from profiles.models import Label, Profile, Team
from tests.administration.test_profiles_api import webra_body
from tests.conftest import Api, enroll_body
from tests.factories import UserFactory, make_csr

PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture
def catalogue(db):
    Label.objects.get_or_create(name="env")
    return Team.objects.create(name="web-team")


def add(profiles_api, body: dict):
    return profiles_api.certificate_profile_add(
        CertificateProfiles(WebRAProfile.from_dict(body))
    ).actual_instance


def test_subject_types_in_horizons_spelling_are_numbered_in_order_and_answered_so(
    pki, catalogue, profiles_api
):
    subject = [
        {"type": "CN", "mandatory": True},
        {"type": "O", "mandatory": False},
        {"type": "OU", "mandatory": False},
        {"type": "OU", "mandatory": False, "value": "Ops"},
    ]
    body = webra_body(pki["issuing"].name)
    body["certificateTemplate"]["subject"] = subject
    created = add(profiles_api, body)
    stored = Profile.objects.get(name="tls-servers")
    assert [r.element for r in stored.subject_rules.all()] == ["cn.1", "o.1", "ou.1", "ou.2"]
    assert [e.type for e in created.certificate_template.subject] == ["CN", "O", "OU", "OU"]
    read = profiles_api.certificate_profile_get("tls-servers").actual_instance
    assert [e.type for e in read.certificate_template.subject] == ["CN", "O", "OU", "OU"]


def test_an_unknown_subject_type_is_refused_naming_it(pki, catalogue, staff_api):
    body = webra_body(pki["issuing"].name)
    body["certificateTemplate"]["subject"] = [{"type": "XX", "mandatory": True}]
    response = staff_api.post("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 400, response.content
    assert "'XX' is not a DN element type" in response.json()["detail"], response.json()


def test_self_pop_permissions_and_pkcs12_encryption_round_trip(pki, catalogue, profiles_api):
    body = webra_body(
        pki["issuing"].name,
        selfPermissions={"selfRevoke": True, "selfPopRevoke": True, "selfPopRenew": True},
    )
    body["cryptoPolicy"]["p12storeEncryptionType"] = "DES_AVERAGE"
    created = add(profiles_api, body)
    assert created.self_permissions.self_pop_revoke is True, created.self_permissions
    assert created.self_permissions.self_pop_update is False, created.self_permissions
    assert created.crypto_policy.p12store_encryption_type == "DES_AVERAGE", created
    stored = Profile.objects.get(name="tls-servers")
    assert (stored.self_pop_revoke, stored.self_pop_renew, stored.self_pop_update) == (
        True,
        True,
        False,
    )


def test_an_unknown_pkcs12_encryption_is_refused_with_the_known_ones(pki, catalogue, staff_api):
    body = webra_body(pki["issuing"].name)
    body["cryptoPolicy"]["p12storeEncryptionType"] = "RC2_WEAK"
    response = staff_api.post("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 400, response.content
    assert "AES_STRONG, DES_AVERAGE" in response.json()["detail"], response.json()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encryption", "algorithm"),
    [("AES_STRONG", "AES-256-CBC"), ("DES_AVERAGE", "pbeWithSHA1And3-KeyTripleDES-CBC")],
)
def test_the_pkcs12_is_encrypted_as_the_profile_says_and_openssl_reads_it(
    profile, approver_api, tmp_path, encryption, algorithm
):
    profile.p12_encryption = encryption
    profile.save()
    status, body = approver_api.submit(
        enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}}
    )
    assert status == 201, body
    p12 = tmp_path / "bundle.p12"
    p12.write_bytes(base64.b64decode(body["pkcs12"]["value"]))
    info = subprocess.run(
        ["openssl", "pkcs12", "-info", "-in", str(p12), "-passin", f"pass:{PASSWORD}", "-noout"],
        capture_output=True,
        text=True,
    )
    assert info.returncode == 0, info.stderr
    assert algorithm in info.stderr + info.stdout, info.stderr + info.stdout


def test_a_profile_on_a_self_signed_connector_is_accepted(pki, catalogue, profiles_api):
    created = add(profiles_api, webra_body(pki["root"].name))
    assert created.pki_connector == pki["root"].name


def test_an_administrator_acts_at_once_on_a_profile_it_just_created(
    pki, catalogue, profiles_api, staff
):
    # Horizon's administrator role holds every permission: no grant needed.
    add(profiles_api, webra_body(pki["issuing"].name))
    body = enroll_body(
        profile="tls-servers", csr=make_csr()[0], sans=[{"type": "DNSNAME", "value": ["a.b.c"]}]
    )
    status, answer = Api(staff).submit(body)
    assert status == 201 and answer["status"] == "completed", answer
    status, profiles = Api(staff).get("/api/v1/requests/profiles")
    assert "tls-servers" in [p["name"] for p in profiles], profiles


def test_an_account_without_a_grant_only_requests_where_the_profile_lets_everyone(
    pki, catalogue, profiles_api
):
    add(profiles_api, webra_body(pki["issuing"].name))  # requestEnroll: authenticated
    someone = UserFactory(username="someone")
    body = enroll_body(
        profile="tls-servers", csr=make_csr()[0], sans=[{"type": "DNSNAME", "value": ["a.b.c"]}]
    )
    status, answer = Api(someone).submit(body)
    assert status == 201 and answer["status"] == "pending", answer
    status, profiles = Api(someone).get("/api/v1/requests/profiles")
    listed = {p["name"]: p for p in profiles}
    assert listed["tls-servers"]["workflows"] == [
        {"workflow": "enroll", "request": True, "perform": False}
    ], listed


@pytest.mark.parametrize(("strict", "expected"), [(False, 201), (True, 400)])
def test_single_label_dns_names_are_accepted_unless_the_profile_wants_them_qualified(
    profile, approver_api, strict, expected
):
    profile.dns_names_fully_qualified = strict
    profile.save()
    status, body = approver_api.submit(
        enroll_body(csr=make_csr()[0], sans=[{"type": "DNSNAME", "value": ["intranet"]}])
    )
    assert status == expected, body
    if strict:
        assert body["error"] == "WEBRA-ENROLL-005" and "fully qualified" in body["detail"], body


def test_the_stricter_options_travel_in_the_raportal_extras(pki, catalogue, staff_api):
    body = webra_body(
        pki["issuing"].name, raportal={"dnsNamesFullyQualified": True, "teamMembersOnly": True}
    )
    response = staff_api.post("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["raportal"]["dnsNamesFullyQualified"] is True, response.json()
    stored = Profile.objects.get(name="tls-servers")
    assert stored.dns_names_fully_qualified and stored.team_members_only


def test_a_body_from_horizons_own_tools_keeps_the_stricter_options(
    pki, catalogue, profiles_api, staff_api
):
    body = webra_body(
        pki["issuing"].name, raportal={"dnsNamesFullyQualified": True, "teamMembersOnly": True}
    )
    assert staff_api.post("/api/v1/certificate/profiles", body, format="json").status_code == 201
    profiles_api.certificate_profile_update(
        CertificateProfiles(WebRAProfile.from_dict(webra_body(pki["issuing"].name)))
    )
    stored = Profile.objects.get(name="tls-servers")
    assert stored.dns_names_fully_qualified and stored.team_members_only


def test_mixed_script_labels_are_off_by_default_and_travel_in_the_raportal_extras(
    pki, catalogue, staff_api
):
    from administration.config_io import export_config

    body = webra_body(pki["issuing"].name)
    response = staff_api.post("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["raportal"]["allowMixedScriptLabels"] is False, response.json()
    body["raportal"] = {"allowMixedScriptLabels": True}
    response = staff_api.put("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 200, response.content
    assert Profile.objects.get(name="tls-servers").allow_mixed_script_labels
    (exported,) = export_config()["profiles"]
    assert exported["raportal"]["allowMixedScriptLabels"] is True, exported["raportal"]


def test_the_ocsp_url_in_the_aia_is_off_by_default_and_travels_in_the_raportal_extras(
    pki, catalogue, staff_api
):
    from administration.config_io import export_config

    body = webra_body(pki["issuing"].name)
    response = staff_api.post("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["raportal"]["ocspInAia"] is False, response.json()
    body["raportal"] = {"ocspInAia": True}
    response = staff_api.put("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 200, response.content
    assert Profile.objects.get(name="tls-servers").ocsp_in_aia
    (exported,) = export_config()["profiles"]
    assert exported["raportal"]["ocspInAia"] is True, exported["raportal"]
    # A body from Horizon's own tools (no extras) keeps it.
    body.pop("raportal")
    response = staff_api.put("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 200, response.content
    assert Profile.objects.get(name="tls-servers").ocsp_in_aia
