"""``/api/v1/certificate/profiles`` through the official client: Horizon's profile shapes in,
the same shapes out, rules and policies applied to the profiles requesters enroll on."""

import horizon
import pytest
from horizon.models.certificate_profiles import CertificateProfiles
from horizon.models.est_profile import EstProfile
from horizon.models.scep_profile import ScepProfile
from horizon.models.web_ra_profile import WebRAProfile
from rest_framework.test import APIClient

from profiles.models import Label, Profile, Team
from tests.administration.api_calls import PROBLEM


def webra_body(ca_name: str, **changes) -> dict:
    body = {
        "module": "webra",
        "name": "tls-servers",
        "displayName": [{"lang": "en", "value": "TLS servers"}],
        "enabled": True,
        "authorizationMode": "authorized",
        "pkiConnector": ca_name,
        "authorizationLevels": {
            "search": {"accessLevel": "authorized"},
            "update": {"accessLevel": "authorized"},
            "requestUpdate": {"accessLevel": "authorized"},
            "approveUpdate": {"accessLevel": "authorized"},
            "requestEnroll": {"accessLevel": "authenticated"},
        },
        "requestsPolicy": {"enroll": "3 days"},
        "selfPermissions": {"selfRevoke": True},
        "cryptoPolicy": {
            "centralized": True,
            "decentralized": True,
            "authorizedKeyTypes": ["ec-secp256r1", "rsa-2048"],
            "defaultKeyType": "ec-secp256r1",
            "escrow": True,
            "p12passwordMode": "random",
            "showP12OnEnroll": True,
        },
        "certificateTemplate": {
            "subject": [
                {"type": "CN.1", "mandatory": True, "editableByRequester": True},
                {"type": "o.1", "mandatory": False, "value": "Example", "regex": "^[A-Za-z]+$"},
            ],
            "sans": [{"type": "DNSNAME", "min": 1, "max": 10}],
            "labels": [{"label": "env", "enum": ["dev", "prod"]}],
            "teamPolicy": {
                "mandatory": False,
                "editableByRequester": True,
                "editableByApprover": True,
                "whitelist": ["web-team"],
            },
        },
        "renewalPeriod": "30 days",
        "triggers": {"onEnroll": []},
    }
    body.update(changes)
    return body


@pytest.fixture
def catalogue(db):
    Label.objects.get_or_create(name="env")
    return Team.objects.create(name="web-team")


def test_a_webra_profile_sent_by_the_official_client_is_created_and_read_back(
    pki, catalogue, profiles_api
):
    body = CertificateProfiles(WebRAProfile.from_dict(webra_body(pki["issuing"].name)))
    created = profiles_api.certificate_profile_add(body).actual_instance
    assert created.name == "tls-servers" and created.pki_connector == pki["issuing"].name

    profile = Profile.objects.get(name="tls-servers")
    assert [(r.element, r.mandatory, r.regex) for r in profile.subject_rules.all()] == [
        ("cn.1", True, ""),
        ("o.1", False, "^[A-Za-z]+$"),
    ]
    assert [(r.san_type, r.min, r.max) for r in profile.san_rules.all()] == [("DNSNAME", 1, 10)]
    assert [(r.label, r.enum) for r in profile.label_rules.all()] == [("env", ["dev", "prod"])]
    assert [t.name for t in profile.team_whitelist.all()] == ["web-team"]
    assert profile.authenticated_levels == {"enroll": "request"}
    assert (profile.p12_password_mode, profile.escrow, profile.renewal_period_days) == (
        "random",
        True,
        30,
    )
    assert profile.enroll_request_expiry_days == 3 and profile.self_revoke

    again = profiles_api.certificate_profile_get("tls-servers").actual_instance
    assert again.certificate_template.sans[0].max == 10
    listed = profiles_api.certificate_profile_list()
    assert [p.actual_instance.name for p in listed] == ["tls-servers"]


def test_unsupported_fields_are_accepted_and_named_in_a_response_header(pki, catalogue, staff_api):
    response = staff_api.post(
        "/api/v1/certificate/profiles", webra_body(pki["issuing"].name), format="json"
    )
    assert response.status_code == 201, response.content
    ignored = response["X-RAPortal-Ignored-Fields"]
    assert "cryptoPolicy.showP12OnEnroll" in ignored, ignored


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pkiConnector": "nowhere"}, "no integrated connector named 'nowhere'"),
        ({"renewalPeriod": "soon"}, "renewalPeriod"),
        ({"cryptoPolicy": {"centralized": False, "decentralized": False}}, "centralized"),
        (
            {"cryptoPolicy": {"authorizedKeyTypes": ["rsa-2048"], "defaultKeyType": "ed-25519"}},
            "default key type",
        ),
        (
            {
                "certificateTemplate": {
                    "subject": [{"type": "cn.1", "mandatory": True, "regex": "(unclosed"}]
                }
            },
            "not a valid regular expression",
        ),
        (
            {"certificateTemplate": {"sans": [{"type": "DNSNAME", "min": 3, "max": 1}]}},
            "min (3) is more than max (1)",
        ),
        (
            {
                "certificateTemplate": {
                    "subject": [{"type": "cn.1", "mandatory": True, "editableByRequester": False}]
                }
            },
            "needs a value",
        ),
        ({"certificateTemplate": {"labels": [{"label": "nope"}]}}, "no label 'nope'"),
    ],
)
def test_an_invalid_profile_is_refused_with_a_clear_message_and_nothing_is_stored(
    pki, catalogue, staff_api, change, message
):
    response = staff_api.post(
        "/api/v1/certificate/profiles", webra_body(pki["issuing"].name, **change), format="json"
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert message in response.json()["detail"], response.json()
    assert not Profile.objects.filter(name="tls-servers").exists()


def test_an_update_replaces_the_rules_and_a_delete_refuses_a_profile_in_use(
    pki, catalogue, staff_api, profile
):
    body = webra_body(pki["issuing"].name, name=profile.name)
    response = staff_api.put("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 200, response.content
    profile.refresh_from_db()
    assert [r.element for r in profile.subject_rules.all()] == ["cn.1", "o.1"]
    assert [t.name for t in profile.team_whitelist.all()] == ["web-team"]

    unknown = staff_api.delete("/api/v1/certificate/profiles/nothing-here")
    assert unknown.status_code == 404, unknown.content


def test_a_profile_with_certificates_is_disabled_not_deleted(profile, issue, staff_api):
    issue()
    response = staff_api.delete(f"/api/v1/certificate/profiles/{profile.name}")
    assert (response.status_code, response.json()["error"]) == (403, "CERT-PROFILE-006"), (
        response.content
    )
    assert "disable it instead" in response.json()["detail"]
    assert Profile.objects.filter(pk=profile.pk).exists()


def test_the_profile_api_is_for_staff_only(pki, profile, requester, api_client_for):
    requester_api = api_client_for(requester)
    for method, path in [
        ("get", "/api/v1/certificate/profiles"),
        ("get", f"/api/v1/certificate/profiles/{profile.name}"),
        ("post", "/api/v1/certificate/profiles"),
        ("put", "/api/v1/certificate/profiles"),
        ("delete", f"/api/v1/certificate/profiles/{profile.name}"),
    ]:
        response = getattr(requester_api, method)(path, {}, format="json")
        assert response.status_code == 403, (method, path, response.content)
        assert response.json()["error"] == "SEC-PERM-001"
    assert APIClient().get("/api/v1/certificate/profiles").status_code == 401


@pytest.mark.parametrize("module", ["est", "scep"])
def test_est_and_scep_profiles_round_trip_through_the_official_client(
    pki, staff, client_for, module
):
    api = horizon.CertificateProfileApi(client_for(staff))
    body = {
        "module": module,
        "name": f"devices-{module}",
        "enabled": True,
        "pkiConnector": pki["issuing"].name,
        "authorizationMode": "challenge",
        "dnWhitelist": True,
        "authorizationLevels": webra_body(pki["issuing"].name)["authorizationLevels"],
        "requestsPolicy": {"enroll": "2 days"},
        "selfPermissions": {},
        "cryptoPolicy": {"decentralized": True, "centralized": False},
    }
    if module == "est":
        model = EstProfile.from_dict(body | {"ca": pki["issuing"].name})
    else:
        model = ScepProfile.from_dict(
            body | {"mode": "ca", "scepRA": "x", "caps": ["AES"], "encryptionAlgorithm": "aes256"}
        )
    created = api.certificate_profile_add(CertificateProfiles(model)).actual_instance
    assert type(created).__name__.lower().startswith(module), type(created)
    profile = Profile.objects.get(name=f"devices-{module}")
    assert (profile.module, profile.dn_whitelist, profile.challenge_enabled) == (module, True, True)
    again = api.certificate_profile_get(f"devices-{module}").actual_instance
    assert again.authorization_mode == "challenge" and again.dn_whitelist is True


def test_approving_for_every_account_is_not_granted_and_is_reported(pki, catalogue, staff_api):
    body = webra_body(pki["issuing"].name)
    body["authorizationLevels"] |= {
        "requestEnroll": {"accessLevel": "authorized"},
        "approveEnroll": {"accessLevel": "authenticated"},
        "revoke": {"accessLevel": "authenticated"},
    }
    response = staff_api.post("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 201, response.content
    assert Profile.objects.get(name="tls-servers").authenticated_levels == {"revoke": "perform"}
    assert "approveEnroll=authenticated (not granted)" in response["X-RAPortal-Ignored-Fields"]
