"""Provisioning written for Horizon configures RA Portal: with the official client only, an
admin creates a CA, its integrated connector, labels, teams, a local account and a WebRA
profile; then that account (its password as API key) enrolls and gets a certificate that
chains to the provisioned CA."""

import base64
import json
import subprocess

import horizon
import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from horizon.models.certificate_authority_request import CertificateAuthorityRequest
from horizon.models.certificate_profiles import CertificateProfiles
from horizon.models.integrated_ca_connector import IntegratedCAConnector
from horizon.models.label import Label
from horizon.models.local_identity_on_add import LocalIdentityOnAdd
from horizon.models.pki_connectors import PKIConnectors
from horizon.models.principal_info import PrincipalInfo
from horizon.models.request_submit_request import RequestSubmitRequest
from horizon.models.team import Team
from horizon.models.web_ra_profile import WebRAProfile

from tests.administration.pki_material import key_pem, make_pki, pem
from tests.factories import UserFactory

# Slow (`make test-fast` leaves it out): runs openssl.
pytestmark = pytest.mark.slow

PASSWORD = "Svc-Web-Passw0rd-2026"


def webra_profile() -> dict:
    return {
        "module": "webra",
        "name": "provisioned-tls",
        "displayName": [{"lang": "en", "value": "Provisioned TLS"}],
        "enabled": True,
        "authorizationMode": "authorized",
        "pkiConnector": "provisioned-issuing",
        "authorizationLevels": {
            "search": {"accessLevel": "authorized"},
            "update": {"accessLevel": "authorized"},
            "requestUpdate": {"accessLevel": "authorized"},
            "approveUpdate": {"accessLevel": "authorized"},
        },
        "requestsPolicy": {"enroll": "7 days"},
        "selfPermissions": {},
        "cryptoPolicy": {
            "centralized": True,
            "decentralized": True,
            "authorizedKeyTypes": ["ec-secp256r1", "rsa-2048"],
            "defaultKeyType": "ec-secp256r1",
            "escrow": True,
            "p12passwordMode": "random",
        },
        "certificateTemplate": {
            "subject": [
                {"type": "cn.1", "mandatory": True, "editableByRequester": True},
                {"type": "o.1", "mandatory": False, "editableByRequester": True},
                {"type": "ou.1", "mandatory": False, "editableByRequester": True},
            ],
            "sans": [
                {"type": "DNSNAME", "min": 0, "max": 10},
                {"type": "RFC822NAME", "min": 0, "max": 10},
            ],
            "labels": [{"label": "env", "mandatory": False}, {"label": "app"}],
            "teamPolicy": {
                "mandatory": False,
                "editableByRequester": True,
                "editableByApprover": True,
                "whitelist": ["web-team", "ops-team"],
            },
        },
        "renewalPeriod": "30 days",
    }


def test_horizon_provisioning_configures_a_profile_that_a_provisioned_account_enrolls_on(
    client_for, staff, tmp_path
):
    admin = client_for(staff)
    pki = make_pki("Provisioned")
    root, issuing = pki["root"], pki["issuing"]

    horizon.CaApi(admin).ca_add(
        CertificateAuthorityRequest(name="provisioned-root", certificate=pem(root))
    )
    connector = IntegratedCAConnector.from_dict(
        {
            "name": "provisioned-issuing",
            "type": "integrated",
            "cryptoType": "legacy",
            "caCert": pem(issuing),
            "caKey": {"value": key_pem(pki["issuing_key"])},
            "crtLifetime": "365 days",
        }
    )
    horizon.PkiConnectorApi(admin).pki_connector_add(PKIConnectors(connector))
    labels = horizon.CertificateLabelApi(admin)
    for name in ("env", "app"):
        labels.label_add(Label(name=name))
    teams = horizon.SecurityTeamApi(admin)
    for name in ("web-team", "ops-team"):
        teams.security_team_add(Team(name=name, contact=f"{name}@example.com"))
    horizon.SecurityIdentityLocalApi(admin).security_identity_local_add(
        LocalIdentityOnAdd(identifier="svc-web", email="svc@example.com", password=PASSWORD)
    )
    profiles = horizon.CertificateProfileApi(admin)
    profiles.certificate_profile_add(CertificateProfiles(WebRAProfile.from_dict(webra_profile())))
    horizon.SecurityPrincipalinfoApi(admin).security_principal_info_add(
        PrincipalInfo.from_dict(
            {
                "identifier": "svc-web",
                "enabled": True,
                "teams": ["web-team"],
                "permissions": [
                    {
                        "value": "lifecycle:webra:perform:enroll",
                        "filter": "profile = provisioned-tls",
                    }
                ],
            }
        )
    )

    # The account signs in with its password as API key and enrolls (centralized).
    service = client_for(UserFactory.build(username="svc-web"), key=PASSWORD)
    body = {
        "profile": "provisioned-tls",
        "module": "webra",
        "workflow": "enroll",
        "template": {
            "keyType": "ec-secp256r1",
            "subject": [
                {"element": "cn.1", "value": "api.example.com"},
                {"element": "o.1", "value": "Example"},
            ],
            "sans": [{"type": "DNSNAME", "value": ["api.example.com", "www.example.com"]}],
            "labels": [{"label": "env", "value": "prod"}],
            "team": {"value": "web-team"},
        },
    }
    answer = (
        horizon.RequestApi(service)
        .request_submit(RequestSubmitRequest.from_json(json.dumps(body)))
        .actual_instance
    )
    assert answer.status == "completed", answer
    key, leaf, chain = pkcs12.load_key_and_certificates(
        base64.b64decode(answer.pkcs12["value"]), answer.password["value"].encode()
    )
    assert leaf.issuer == issuing.subject
    assert key.public_key() == leaf.public_key()
    assert issuing in chain, "the PKCS#12 carries the issuing CA"
    (tmp_path / "root.pem").write_text(pem(root))
    (tmp_path / "issuing.pem").write_text(pem(issuing))
    (tmp_path / "leaf.pem").write_text(pem(leaf))
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "leaf.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert 365 <= lifetime.days <= 366, lifetime
