"""export_config / import_config: the whole configuration as one JSON file, applied
idempotently, reproducing the same configuration in an empty database."""

import base64
import io
import json
import re

import pytest
from cryptography.hazmat.primitives import serialization
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from administration.config_io import ConfigError, export_config, import_config
from profiles import revision
from profiles.models import Grant, Profile, Team
from raportal.crypto import open_sealed
from raportal.models import AuditEvent
from tests.administration.pki_material import key_pem, make_pki, pem
from tests.administration.test_provisioning_with_the_official_client import webra_profile


def starting_config() -> dict:
    pki = make_pki("Provisioned")
    root, issuing = pki["root"], pki["issuing"]
    return {
        "format": "raportal-config/1",
        "passwordPolicies": [
            {
                "name": "long",
                "minChar": 20,
                "maxChar": 64,
                "minUpChar": 1,
                "minLoChar": 1,
                "minDiChar": 1,
                "minSpChar": 0,
                "spChar": "!#$%",
            }
        ],
        "labels": [
            {"name": "env", "displayName": [{"lang": "en", "value": "Environment"}]},
            {"name": "app"},
        ],
        "localIdentities": [
            {"identifier": "alice", "email": "alice@example.com", "name": "Alice Martin"},
            {"identifier": "bob", "email": "bob@example.com"},
        ],
        "teams": [
            {
                "name": "web-team",
                "contact": "web@example.com",
                "managers": ["alice"],
                "members": ["alice", "bob"],
            },
            {"name": "ops-team", "members": []},
        ],
        "cas": [{"name": "provisioned-root", "certificate": pem(root)}],
        "connectors": [
            {
                "name": "provisioned-issuing",
                "type": "integrated",
                "cryptoType": "legacy",
                "caCert": pem(issuing),
                "caKey": {"value": key_pem(pki["issuing_key"])},
                "crtLifetime": "90 days",
                "crlLifetime": "48 hours",
            }
        ],
        "profiles": [
            webra_profile()
            | {"cryptoPolicy": webra_profile()["cryptoPolicy"] | {"p12passwordPolicy": "long"}}
        ],
        "discoveryCampaigns": [
            {
                "name": "datacenter",
                "description": "The datacenter's TLS endpoints",
                "authorizationLevels": {
                    "search": {"accessLevel": "authenticated"},
                    "feed": {"accessLevel": "authorized"},
                },
                "eventOnSuccess": False,
                "eventOnWarning": True,
                "eventOnFailure": True,
                "hosts": ["10.0.0.0/24"],
                "ports": ["443", "8443"],
                "enabled": True,
            }
        ],
        "principalInfos": [
            {
                "identifier": "alice",
                "enabled": True,
                "teams": ["web-team"],
                "permissions": [
                    {
                        "value": "lifecycle:webra:perform:enroll",
                        "filter": "profile = provisioned-tls",
                    },
                    {"value": "discovery:feed", "filter": "campaign = datacenter"},
                ],
            }
        ],
        "teamGrants": [
            {
                "team": "ops-team",
                "profile": "provisioned-tls",
                "workflow": "revoke",
                "level": "request",
            }
        ],
    }


def comparable(config: dict) -> dict:
    """The export with the sealed CA keys opened (their ciphertext is random each time)."""
    config = json.loads(json.dumps(config))
    for connector in config["connectors"]:
        der = open_sealed(
            base64.b64decode(connector.pop("caKeySealed")),
            f"export:ca-key:{connector['name']}",
        )
        key = serialization.load_der_private_key(der, None)
        connector["caKeyPublic"] = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
    return config


@pytest.mark.django_db(transaction=True)
def test_an_exported_configuration_imported_into_an_empty_database_is_the_same(tmp_path):
    import_config(starting_config())
    first = export_config()
    assert [p["name"] for p in first["profiles"]] == ["provisioned-tls"]
    assert [c["name"] for c in first["discoveryCampaigns"]] == ["datacenter"]
    alice = next(p for p in first["principalInfos"] if p["identifier"] == "alice")
    assert {"value": "discovery:feed", "filter": "campaign = datacenter"} in alice["permissions"]
    assert first["teamGrants"] == starting_config()["teamGrants"]
    assert "BEGIN" not in json.dumps(first["connectors"]).replace("BEGIN CERTIFICATE", "")

    path = tmp_path / "config.json"
    call_command("export_config", str(path))
    call_command("flush", interactive=False, verbosity=0)
    assert not Profile.objects.exists() and not Team.objects.exists()

    log = io.StringIO()
    call_command("import_config", str(path), stdout=log)
    assert "applied profile provisioned-tls" in log.getvalue()
    assert comparable(export_config()) == comparable(first)


@pytest.mark.django_db(transaction=True)
def test_importing_the_same_file_twice_changes_nothing_and_a_bad_file_applies_nothing():
    config = starting_config()
    import_config(config)
    before = comparable(export_config())
    import_config(config)
    assert comparable(export_config()) == before
    assert Grant.objects.filter(team__name="ops-team").count() == 1

    broken = json.loads(json.dumps(config))
    broken["labels"].append({"name": "late"})
    broken["profiles"][0]["pkiConnector"] = "nowhere"
    with pytest.raises(Exception, match="nowhere"):
        import_config(broken)
    assert "late" not in [label["name"] for label in export_config()["labels"]]


def test_import_config_refuses_a_file_that_is_not_a_configuration(tmp_path, db):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(CommandError, match="not a configuration file"):
        call_command("import_config", str(path))


def test_a_bootstrap_password_is_set_once_and_never_overwrites_the_accounts_own(db):
    config = {
        "format": "raportal-config/1",
        "localIdentities": [{"identifier": "ops", "password": "Bootstrap-Pass-2026"}],
    }
    import_config(config)
    ops = get_user_model().objects.get(username="ops")
    assert ops.check_password("Bootstrap-Pass-2026")
    ops.set_password("Changed-By-Ops-2026")
    ops.save()
    import_config(config)
    ops.refresh_from_db()
    assert ops.check_password("Changed-By-Ops-2026")


@pytest.mark.django_db(transaction=True)
def test_applying_an_exported_configuration_again_writes_nothing():
    import_config(starting_config())
    exported = export_config()
    events, token = AuditEvent.objects.count(), revision.current()
    done = import_config(exported)
    assert all(line.endswith(": unchanged") for line in done), done
    assert AuditEvent.objects.count() == events
    assert revision.current() == token


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"labels": "x"}, 'labels: expected a list of objects, each with "name"'),
        ({"profile": []}, "unknown section(s) profile"),
        ({"teams": [{"members": []}]}, 'teams: expected a list of objects, each with "name"'),
    ],
)
def test_a_misshapen_file_is_refused_with_a_message_not_a_traceback(db, config, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        import_config({"format": "raportal-config/1", **config})
