"""ACME profiles through ``/api/v1/certificate/profiles``: the official client's AcmeProfile
in (its model validates the bodies sent), the same shape out (its model parses the answers),
every ACME setting carried both ways."""

import datetime as dt

import horizon
import pytest
from horizon.models.acme_profile import AcmeProfile
from horizon.models.acme_profile_response import AcmeProfileResponse
from horizon.models.certificate_profiles import CertificateProfiles

from administration.config_io import export_config, import_config
from profiles.models import Profile
from tests.administration.api_calls import IGNORED, PROBLEM

PATH = "/api/v1/certificate/profiles"
ACME_FIELDS = (
    "module",
    "centralized",
    "acme_eab_required",
    "acme_unbound_level",
    "acme_challenge_types",
    "acme_order_lifetime",
    "acme_verify_retry_count",
    "acme_verify_retry_delay",
    "acme_terms_of_service",
    "acme_website",
    "acme_max_dns_names",
    "dns_names_fully_qualified",
)


def acme_body(ca_name: str, **changes) -> dict:
    """An AcmeProfile as Horizon's tools write it (every required field)."""
    body = {
        "module": "acme",
        "name": "acme-servers",
        "displayName": [{"lang": "en", "value": "ACME servers"}],
        "enabled": True,
        "timeout": "2 hours",
        "meta": {
            "externalAccountRequired": True,
            "termsOfService": "https://example.com/tos",
            "website": "https://example.com/acme",
        },
        "authorizationMethods": ["dns-01"],
        "pkiConnector": ca_name,
        "authorizeShortName": False,
        "authorizeEmptyContact": True,
        "verifyRetryCount": 4,
        "verifyRetryDelay": "10 s",
        "requireTermsOfService": True,
        "maxDnsName": 20,
        "authorizationLevels": {
            level: {"accessLevel": "authorized"}
            for level in ("search", "enroll", "update", "requestUpdate", "approveUpdate")
        },
        "requestsPolicy": {"enroll": "2 days"},
        "selfPermissions": {},
        "cryptoPolicy": {
            "centralized": False,
            "decentralized": True,
            "authorizedKeyTypes": ["ec-secp256r1", "rsa-2048"],
            "defaultKeyType": "ec-secp256r1",
        },
        "certificateTemplate": {
            "subject": [{"type": "CN.1", "mandatory": False}],
            "sans": [{"type": "DNSNAME", "min": 1, "max": 20}],
        },
    }
    body.update(changes)
    AcmeProfile.from_dict(body)  # what we send is what the client's model accepts
    return body


def test_an_acme_profile_sent_by_the_official_client_is_created_with_every_acme_setting(
    pki, staff, client_for
):
    api = horizon.CertificateProfileApi(client_for(staff))
    body = CertificateProfiles(AcmeProfile.from_dict(acme_body(pki["issuing"].name)))
    created = api.certificate_profile_add(body).actual_instance
    assert isinstance(created, AcmeProfileResponse), type(created)

    profile = Profile.objects.get(name="acme-servers")
    assert (profile.module, profile.centralized, profile.decentralized) == ("acme", False, True)
    assert profile.acme_eab_required is True
    assert profile.acme_terms_of_service == "https://example.com/tos"
    assert profile.acme_website == "https://example.com/acme"
    assert profile.acme_challenge_types == ["dns-01"]
    assert profile.acme_order_lifetime == dt.timedelta(hours=2)
    assert (profile.acme_verify_retry_count, profile.acme_verify_retry_delay) == (
        4,
        dt.timedelta(seconds=10),
    )
    assert profile.acme_max_dns_names == 20
    assert profile.dns_names_fully_qualified is True  # authorizeShortName false
    assert [r.element for r in profile.subject_rules.all()] == ["cn.1"]


def test_an_acme_profile_is_read_back_in_the_shape_the_official_client_parses(
    pki, staff, client_for, staff_api
):
    created = staff_api.post(PATH, acme_body(pki["issuing"].name), format="json")
    assert created.status_code == 201, created.content

    api = horizon.CertificateProfileApi(client_for(staff))
    read = api.certificate_profile_get("acme-servers").actual_instance
    assert isinstance(read, AcmeProfileResponse), type(read)
    assert read.meta is not None and read.meta.external_account_required is True
    assert read.meta.terms_of_service == "https://example.com/tos"
    assert read.meta.website == "https://example.com/acme"
    assert (read.timeout, read.verify_retry_delay) == ("2 hours", "10 seconds")
    assert (read.authorization_methods, read.verify_retry_count) == (["dns-01"], 4)
    assert (read.max_dns_name, read.require_terms_of_service) == (20, True)
    assert read.crypto_policy.centralized is False
    assert read.authorize_short_name is False
    listed = api.certificate_profile_list()
    assert [p.actual_instance.name for p in listed] == ["acme-servers"]

    answer = staff_api.get(f"{PATH}/acme-servers").json()
    assert answer["raportal"]["acmeUnboundLevel"] == "request", answer
    # The answer is also a body the client's AcmeProfile accepts: it can be sent back.
    assert AcmeProfile.from_dict(answer).meta.external_account_required is True


def test_the_unbound_level_travels_in_the_portal_extras_and_a_put_changes_it(pki, staff_api):
    body = acme_body(pki["issuing"].name, raportal={"acmeUnboundLevel": "perform"})
    assert staff_api.post(PATH, body, format="json").status_code == 201
    assert Profile.objects.get(name="acme-servers").acme_unbound_level == "perform"

    again = staff_api.get(f"{PATH}/acme-servers").json()
    again["raportal"]["acmeUnboundLevel"] = ""
    again["authorizationMethods"] = ["http-01", "dns-01"]
    again["meta"] = {"externalAccountRequired": False}
    again["requireTermsOfService"] = False
    response = staff_api.put(PATH, again, format="json")
    assert response.status_code == 200, response.content
    profile = Profile.objects.get(name="acme-servers")
    assert profile.acme_unbound_level == ""
    assert profile.acme_challenge_types == ["http-01", "dns-01"]
    assert (profile.acme_eab_required, profile.acme_terms_of_service) == (False, "")


def test_settings_the_server_does_not_act_on_are_accepted_and_named(pki, staff_api):
    body = acme_body(
        pki["issuing"].name,
        http01Port=8080,
        authorizationMethods=["http-01", "tls-alpn-01"],
        requireTermsOfService=False,
    )
    response = staff_api.post(PATH, body, format="json")
    assert response.status_code == 201, response.content
    ignored = response[IGNORED]
    assert "http01Port" in ignored, ignored
    assert "authorizationMethods.tls-alpn-01 (not offered here)" in ignored, ignored
    assert "requireTermsOfService=false" in ignored, ignored
    assert Profile.objects.get(name="acme-servers").acme_challenge_types == ["http-01"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"cryptoPolicy": {"centralized": True, "decentralized": True}},
            "ACME is decentralized only",
        ),
        ({"authorizationMethods": ["carrier-pigeon-01"]}, "carrier-pigeon-01 not one of"),
        ({"authorizationMethods": []}, "acme_challenge_types"),
        ({"timeout": "10 s"}, "between 1 minute and 30 days"),
        ({"verifyRetryDelay": "2 days"}, "between 0 seconds and 1 hour"),
        ({"verifyRetryCount": 0}, "acme_verify_retry_count"),
        ({"maxDnsName": 0}, "maxDnsName: at least 1"),
        ({"raportal": {"acmeUnboundLevel": "everything"}}, "raportal.acmeUnboundLevel"),
    ],
)
def test_an_invalid_acme_profile_is_refused_with_a_clear_message_and_nothing_is_stored(
    pki, staff_api, change, message
):
    response = staff_api.post(PATH, acme_body(pki["issuing"].name, **change), format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert message in response.json()["detail"], response.json()
    assert not Profile.objects.filter(name="acme-servers").exists()


def test_a_body_the_acme_model_refuses_is_refused_before_anything_is_read(pki, staff_api):
    body = acme_body(pki["issuing"].name)
    del body["timeout"]
    response = staff_api.post(PATH, body, format="json")
    assert response.status_code == 400, response.content
    assert "timeout" in response.json()["detail"], response.json()


def test_an_acme_profile_survives_an_export_and_an_import_unchanged(pki, staff_api):
    body = acme_body(pki["issuing"].name, raportal={"acmeUnboundLevel": "perform"})
    assert staff_api.post(PATH, body, format="json").status_code == 201
    before = Profile.objects.get(name="acme-servers")
    (exported,) = [p for p in export_config()["profiles"] if p["name"] == "acme-servers"]
    assert exported["meta"]["externalAccountRequired"] is True, exported

    before.delete()
    import_config({"format": "raportal-config/1", "profiles": [exported]})
    after = Profile.objects.get(name="acme-servers")
    for field in ACME_FIELDS:
        assert getattr(after, field) == getattr(before, field), field
    (again,) = [p for p in export_config()["profiles"] if p["name"] == "acme-servers"]
    assert again == exported
