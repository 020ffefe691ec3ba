"""``/api/v1/pki/connectors`` through the official client: an integrated connector is a CA of
the portal with its key, made outside (here with ``cryptography``); the certificates it then
signs have its lifetime and backdating, chain to its root and pass OpenSSL and pkilint."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import horizon
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.db import transaction
from horizon.models.integrated_ca_connector_response import IntegratedCAConnectorResponse

from certificates.ca_keys import ca_private_key
from certificates.models import CertificateAuthority
from certificates.services import issue_certificate
from profiles import revision
from tests.administration.api_calls import (
    IGNORED,
    PROBLEM,
    code_of,
    failure,
    integrated_connector,
)
from tests.administration.pki_material import key_pem, make_ca, pem
from tests.factories import ProfileFactory

BIN = Path(sys.executable).parent
# What the provisioned connector is sent, and sent again: 30 days, backdated 1 hour, CRLs 48 h.
LIFETIMES = {"crt_lifetime": "30 days", "crt_back_date": "1 hour", "crl_lifetime": "48 hours"}


@pytest.fixture
def provisioned(cas_as, connectors_as, staff, outside_pki):
    """The root added as a CA, the issuing CA as an integrated connector: 30 days, 1 hour."""
    cas_as(staff).ca_add(
        horizon.CertificateAuthorityRequest(
            name="outside-root", certificate=pem(outside_pki["root"])
        )
    )
    answer = connectors_as(staff).pki_connector_add(
        integrated_connector(
            certificate=outside_pki["issuing"],
            key=outside_pki["issuing_key"],
            **LIFETIMES,
            crl_path="/crl/outside.crl",
            sign_alg="SHA256WithECDSA",
        )
    )
    return answer.actual_instance


def issue_leaf(ca: CertificateAuthority, tmp_path) -> tuple[Path, x509.Certificate]:
    profile = ProfileFactory(name="from-connector", ca=ca)
    profile.full_clean()  # a CA with its key, chained to a root: a profile may issue with it
    key = ec.generate_private_key(ec.SECP256R1())
    with transaction.atomic():
        _, certificate = issue_certificate(
            profile=profile,
            public_key=key.public_key(),
            subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf.example.com")]),
            sans=[("DNSNAME", "leaf.example.com")],
        )
    path = tmp_path / "leaf.pem"
    path.write_text(pem(certificate))
    return path, certificate


# --- adding and issuing -------------------------------------------------------------------


def test_an_integrated_connector_answers_in_the_clients_model_without_its_key(provisioned):
    assert isinstance(provisioned, IntegratedCAConnectorResponse), provisioned
    assert provisioned.name == "outside-issuing" and provisioned.type == "integrated"
    assert provisioned.ca_key is None, provisioned
    assert (provisioned.crt_lifetime, provisioned.crt_back_date) == ("30 days", "1 hours")
    assert provisioned.crl_lifetime == "2 days", provisioned
    assert provisioned.status.status == "success", provisioned


def test_the_connector_is_a_ca_with_its_sealed_key_chained_to_the_root(provisioned, outside_pki):
    ca = CertificateAuthority.objects.get(name="outside-issuing")
    assert ca.has_key and bytes(ca.sealed_key).startswith(b"v1"), ca
    assert b"PRIVATE KEY" not in bytes(ca.sealed_key)
    assert ca_private_key(ca).public_key() == outside_pki["issuing"].public_key()
    assert ca.parent.name == "outside-root" and not ca.parent.has_key, ca.parent
    assert ca.certificate_lifetime == dt.timedelta(days=30), ca.certificate_lifetime
    assert ca.backdate == dt.timedelta(hours=1), ca.backdate
    assert ca.crl_validity_hours == 48 and ca.key_type == "ec-secp256r1", ca


@pytest.mark.slow
def test_a_certificate_it_issues_lasts_its_lifetime_from_its_backdated_start_and_verifies(
    provisioned, outside_pki, tmp_path
):
    ca = CertificateAuthority.objects.get(name="outside-issuing")
    leaf, certificate = issue_leaf(ca, tmp_path)
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime == dt.timedelta(days=30), lifetime  # backdating never lengthens it
    now = dt.datetime.now(dt.UTC)
    assert abs(now - dt.timedelta(hours=1) - certificate.not_valid_before_utc) < dt.timedelta(
        minutes=1
    ), certificate.not_valid_before_utc
    root, issuing = tmp_path / "root.pem", tmp_path / "issuing.pem"
    root.write_text(pem(outside_pki["root"]))
    issuing.write_text(pem(outside_pki["issuing"]))
    result = subprocess.run(
        ["openssl", "verify", "-CAfile", root, "-untrusted", issuing, leaf],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and ": OK" in result.stdout, result.stdout + result.stderr
    lint = subprocess.run(
        [BIN / "lint_pkix_cert", "lint", "-s", "ERROR", leaf],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_its_crl_is_signed_with_its_key_and_lasts_48_hours(provisioned, outside_pki, client):
    response = client.get("/pki/outside-issuing.crl")
    assert response.status_code == 200, response.content
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(outside_pki["issuing"].public_key())
    assert crl.next_update_utc - crl.last_update_utc == dt.timedelta(hours=48)


def test_connectors_are_listed_and_read_back_through_the_client(
    provisioned, connectors_as, staff, pki
):
    api = connectors_as(staff)
    listed = {c.actual_instance.name: c.actual_instance for c in api.pki_connector_list()}
    # The built-in CAs hold their keys: connectors too. The root trust entry is not one.
    assert set(listed) == {pki["root"].name, pki["issuing"].name, "outside-issuing"}, listed
    got = api.pki_connector_get("outside-issuing").actual_instance
    assert got.ca_cert == provisioned.ca_cert and got.ca_key is None, got
    error = failure(api.pki_connector_get, "outside-root")  # keyless: a CA, not a connector
    assert error.status == 404, error.body


def test_the_key_appears_in_no_answer(provisioned, staff_api, outside_pki, pki):
    secret = key_pem(outside_pki["issuing_key"])
    body = secret.split("-----")[2].strip().splitlines()[1]  # a line of the key's base64
    for path in [
        "/api/v1/pki/connectors",
        "/api/v1/pki/connectors/outside-issuing",
        "/api/v1/cas",
        "/api/v1/cas/outside-issuing",
    ]:
        text = staff_api.get(path).content.decode()
        assert "PRIVATE KEY" not in text and body not in text, (path, text[:300])
    update = json.loads(integrated_connector(certificate=outside_pki["issuing"]).to_json())
    update["caKey"] = {"value": secret}
    response = staff_api.put("/api/v1/pki/connectors", update, format="json")
    assert response.status_code == 200, response.content
    assert body not in response.content.decode() and "caKey" not in response.json()


# --- refusals -----------------------------------------------------------------------------


def test_a_key_that_is_not_the_certificates_is_refused(db, connectors_as, staff, outside_pki):
    error = failure(
        connectors_as(staff).pki_connector_add,
        integrated_connector(certificate=outside_pki["issuing"], key=outside_pki["root_key"]),
    )
    assert error.status == 400 and "does not match" in error.body, error.body
    assert not CertificateAuthority.objects.exists()


def test_a_certificate_that_is_not_a_ca_is_refused(db, connectors_as, staff):
    leaf, leaf_key = make_ca("leaf.example.com", ca=False)
    error = failure(
        connectors_as(staff).pki_connector_add, integrated_connector(certificate=leaf, key=leaf_key)
    )
    assert error.status == 400 and "not a CA certificate" in error.body, error.body


def test_a_key_type_we_do_not_sign_with_is_refused(db, connectors_as, staff):
    ca, key = make_ca("Small RSA", rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505
    error = failure(
        connectors_as(staff).pki_connector_add, integrated_connector(certificate=ca, key=key)
    )
    assert error.status == 400 and "rsa-1024 is not supported" in error.body, error.body


def test_an_expired_ca_certificate_is_refused(db, connectors_as, staff):
    ca, key = make_ca("Old CA", days=-1)
    error = failure(
        connectors_as(staff).pki_connector_add, integrated_connector(certificate=ca, key=key)
    )
    assert error.status == 400 and "expired" in error.body, error.body


def test_other_connector_types_are_refused_as_unsupported(staff_api):
    response = staff_api.post(
        "/api/v1/pki/connectors", {"name": "acme", "type": "acme"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "only integrated connectors" in response.json()["detail"], response.content


def test_a_connector_needs_its_certificate_and_its_key(db, connectors_as, staff, outside_pki):
    api = connectors_as(staff)
    error = failure(api.pki_connector_add, integrated_connector(key=outside_pki["issuing_key"]))
    assert error.status == 400 and "caCert" in error.body, error.body
    error = failure(api.pki_connector_add, integrated_connector(certificate=outside_pki["issuing"]))
    assert error.status == 400 and "caKey" in error.body, error.body


def test_a_name_already_taken_answers_pki_connector_004(provisioned, connectors_as, staff):
    other, key = make_ca("Other CA")
    error = failure(
        connectors_as(staff).pki_connector_add, integrated_connector(certificate=other, key=key)
    )
    assert code_of(error) == (400, "PKI-CONNECTOR-004") and "'outside-issuing'" in error.body, (
        error.body
    )


def test_a_certificate_already_a_connectors_answers_pki_connector_004_naming_it(
    provisioned, connectors_as, staff, outside_pki
):
    error = failure(
        connectors_as(staff).pki_connector_add,
        integrated_connector(
            "again", outside_pki["issuing"], outside_pki["issuing_key"], **LIFETIMES
        ),
    )
    assert code_of(error) == (400, "PKI-CONNECTOR-004") and "'outside-issuing'" in error.body, (
        error.body
    )


def test_a_root_listed_as_a_ca_becomes_a_connector_with_its_key(
    provisioned, connectors_as, staff, outside_pki
):
    connectors_as(staff).pki_connector_add(
        integrated_connector("root-connector", outside_pki["root"], outside_pki["root_key"])
    )
    root = CertificateAuthority.objects.get(name="root-connector")
    assert root.has_key and root.entries.get().name == "outside-root"


def test_accounts_that_are_not_staff_get_403_problems(provisioned, connectors_as, requester):
    api = connectors_as(requester)
    other, key = make_ca("Other CA")
    for call, args in [
        (api.pki_connector_list, ()),
        (api.pki_connector_get, ("outside-issuing",)),
        (api.pki_connector_add, (integrated_connector("other", other, key),)),
        (api.pki_connector_update, (integrated_connector(certificate=other, key=key),)),
        (api.pki_connector_delete, ("outside-issuing",)),
    ]:
        error = failure(call, *args)
        assert error.status == 403, error.body
        assert error.headers["Content-Type"] == PROBLEM, error.headers
    assert CertificateAuthority.objects.get(name="outside-issuing").has_key


VALID = {"name": "c", "type": "integrated", "cryptoType": "legacy"}


@pytest.mark.parametrize(
    "body",
    [
        [],
        "integrated",
        {},
        {"type": "integrated"},
        {"name": "c", "type": "integrated"},
        VALID | {"name": "Not A Slug"},
        VALID | {"caCert": "garbage", "caKey": {"value": "garbage"}},
        VALID | {"caCert": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"},
        VALID | {"caKey": "not an object"},
        VALID | {"caKey": {"value": 5}},
        VALID | {"crtLifetime": "forever"},
        VALID | {"crtLifetime": 30},
        VALID | {"asyncParams": {"responseDelay": "1 s"}},
        VALID | {"cryptoType": "quantum"},
    ],
)
def test_malformed_bodies_answer_400_problems_never_500(staff_api, body):
    for method in ("post", "put"):
        response = getattr(staff_api, method)("/api/v1/pki/connectors", body, format="json")
        assert response.status_code == 400, (method, response.content)
        assert response["Content-Type"] == PROBLEM, response.content
        assert response.json()["error"] == "PKI-CONNECTOR-002", response.content


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("crtLifetime", "0 days", "at least 1 second"),
        ("crlLifetime", "90 minutes", "whole number of hours"),
        ("crlLifetime", "30 minutes", "whole number of hours"),
        ("crtBackDate", "99999999 days", "longer than 100 years"),
    ],
)
def test_lifetimes_out_of_range_are_refused(staff_api, outside_pki, field, value, message):
    body = json.loads(
        integrated_connector(
            certificate=outside_pki["issuing"], key=outside_pki["issuing_key"]
        ).to_json()
    )
    response = staff_api.post("/api/v1/pki/connectors", body | {field: value}, format="json")
    assert response.status_code == 400 and message in response.json()["detail"], response.content


def test_unsupported_fields_are_accepted_and_named_in_a_header(staff_api, outside_pki):
    body = json.loads(
        integrated_connector(
            certificate=outside_pki["issuing"], key=outside_pki["issuing_key"]
        ).to_json()
    )
    body |= {"checkPop": True, "queue": "q", "somethingElse": 1, "bad\r\nX-Injected: 1": 2}
    response = staff_api.post("/api/v1/pki/connectors", body, format="json")
    assert response.status_code == 201, response.content
    assert response[IGNORED] == (
        "(a field with an unusual name), checkPop, queue, somethingElse"
    ), response.headers


# --- updating and deleting ----------------------------------------------------------------


def test_an_update_without_key_changes_the_lifetimes_only(provisioned, connectors_as, staff):
    sealed = bytes(CertificateAuthority.objects.get(name="outside-issuing").sealed_key)
    answer = connectors_as(staff).pki_connector_update(
        integrated_connector(crt_lifetime="10 days", crl_lifetime="24 hours")
    )
    assert answer.actual_instance.crt_lifetime == "10 days", answer
    ca = CertificateAuthority.objects.get(name="outside-issuing")
    assert ca.certificate_lifetime == dt.timedelta(days=10) and ca.crl_validity_hours == 24
    assert ca.backdate == dt.timedelta(0)  # a PUT says it all: no crtBackDate, no backdating
    assert bytes(ca.sealed_key) == sealed and ca.crl_stale


def test_an_update_replaces_certificate_and_key_of_a_ca_that_issued_nothing(
    provisioned, connectors_as, staff, outside_pki
):
    new, new_key = make_ca(
        "Outside Issuing CA 2", issuer=outside_pki["root"], issuer_key=outside_pki["root_key"]
    )
    answer = connectors_as(staff).pki_connector_update(
        integrated_connector(certificate=new, key=new_key)
    )
    assert answer.actual_instance.ca_cert == pem(new), answer
    ca = CertificateAuthority.objects.get(name="outside-issuing")
    assert ca_private_key(ca).public_key() == new_key.public_key()
    assert ca.parent.name == "outside-root", ca.parent


def test_a_new_certificate_without_key_must_be_for_the_key_the_ca_has(
    provisioned, connectors_as, staff
):
    other, _ = make_ca("Other CA")
    error = failure(
        connectors_as(staff).pki_connector_update, integrated_connector(certificate=other)
    )
    assert error.status == 400 and "caKey" in error.body, error.body


def test_a_ca_that_issued_certificates_keeps_its_subject_and_key(
    provisioned, connectors_as, staff, outside_pki, tmp_path
):
    issue_leaf(CertificateAuthority.objects.get(name="outside-issuing"), tmp_path)
    new, new_key = make_ca(
        "Outside Issuing CA 2", issuer=outside_pki["root"], issuer_key=outside_pki["root_key"]
    )
    error = failure(
        connectors_as(staff).pki_connector_update,
        integrated_connector(certificate=new, key=new_key),
    )
    assert (
        code_of(error) == (400, "PKI-CONNECTOR-005") and "has issued certificates" in error.body
    ), error.body


def test_updating_an_unknown_connector_answers_404(db, connectors_as, staff):
    error = failure(connectors_as(staff).pki_connector_update, integrated_connector("ghost"))
    assert error.status == 404 and "ghost" in error.body, error.body


def test_a_connector_that_issued_certificates_or_serves_a_profile_is_not_deleted(
    provisioned, connectors_as, staff, tmp_path
):
    issue_leaf(CertificateAuthority.objects.get(name="outside-issuing"), tmp_path)
    error = failure(connectors_as(staff).pki_connector_delete, "outside-issuing")
    assert code_of(error) == (400, "PKI-CONNECTOR-005"), error.body
    assert "profiles issue with it (from-connector)" in error.body, error.body
    assert CertificateAuthority.objects.filter(name="outside-issuing").exists()


def test_an_unused_connector_is_deleted_and_its_root_stays(provisioned, connectors_as, staff):
    api = connectors_as(staff)
    assert api.pki_connector_delete("outside-issuing") is None
    assert list(CertificateAuthority.objects.values_list("name", flat=True)) == ["outside-root"]
    assert failure(api.pki_connector_delete, "outside-issuing").status == 404


def test_sending_the_same_connector_again_changes_nothing(
    provisioned, connectors_as, staff, outside_pki
):
    before = CertificateAuthority.objects.get(name="outside-issuing")
    token = revision.current()
    connectors_as(staff).pki_connector_update(
        integrated_connector(
            certificate=outside_pki["issuing"], key=outside_pki["issuing_key"], **LIFETIMES
        )
    )
    after = CertificateAuthority.objects.get(name="outside-issuing")
    assert bytes(after.sealed_key) == bytes(before.sealed_key)
    assert revision.current() == token, "a replayed configuration bumped the revision"


def test_a_backdate_beyond_48_hours_is_refused(db, connectors_as, staff, outside_pki):
    error = failure(
        connectors_as(staff).pki_connector_add,
        integrated_connector(
            certificate=outside_pki["issuing"],
            key=outside_pki["issuing_key"],
            **LIFETIMES | {"crt_back_date": "3 days"},
        ),
    )
    assert code_of(error) == (400, "PKI-CONNECTOR-002"), error.body
    assert "crtBackDate: at most 48 hours" in error.body, error.body


def test_a_ca_that_signed_other_cas_keeps_its_subject_and_key(pki, connectors_as, staff):
    new_root, new_key = make_ca("Another Root")
    error = failure(
        connectors_as(staff).pki_connector_update,
        integrated_connector(pki["root"].name, certificate=new_root, key=new_key),
    )
    assert code_of(error) == (400, "PKI-CONNECTOR-005"), error.body
    assert "signed other CAs" in error.body, error.body
    pki["issuing"].refresh_from_db()
    assert pki["issuing"].parent_id == pki["root"].pk
