"""``/api/v1/cas`` through the official client: trust entries (a CA certificate, no key) are
added, renamed, chained and deleted by staff; every signed-in account reads them."""

import horizon
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.db import transaction

from certificates.models import CertificateAuthority
from certificates.services import issue_certificate
from raportal.errors import DomainError
from tests.administration.api_calls import IGNORED, PROBLEM, code_of, failure
from tests.administration.pki_material import make_ca, pem
from tests.factories import ProfileFactory

# --- reading ------------------------------------------------------------------------------


def test_any_signed_in_account_lists_and_reads_the_cas_through_the_client(pki, cas_as, requester):
    api = cas_as(requester)
    listed = {ca.name: ca for ca in api.ca_list()}
    assert set(listed) == {pki["root"].name, pki["issuing"].name}, listed
    issuing = api.ca_get(pki["issuing"].name)
    assert issuing.certificate.pem == pki["issuing"].certificate_pem, issuing
    assert issuing.crl_url.endswith(f"/pki/{pki['issuing'].name}.crl"), issuing


def test_an_empty_list_answers_204_which_the_client_reads_as_nothing(db, cas_as, staff):
    assert cas_as(staff).ca_list() is None


def test_reading_an_unknown_ca_answers_404(pki, cas_as, requester):
    error = failure(cas_as(requester).ca_get, "no-such-ca")
    assert error.status == 404 and "no-such-ca" in error.body, error.body


# --- adding trust entries -----------------------------------------------------------------


def test_staff_adds_a_root_as_a_keyless_trust_entry_named_after_its_cn(
    db, cas_as, staff, outside_pki
):
    answer = cas_as(staff).ca_add(
        horizon.CertificateAuthorityRequest(certificate=pem(outside_pki["root"]))
    )
    assert answer.name == "outside-root-ca", answer
    assert answer.certificate.pem == pem(outside_pki["root"]), answer
    assert answer.crl_url is None, answer  # a trust entry publishes no CRL
    stored = CertificateAuthority.objects.get(name="outside-root-ca")
    assert not stored.has_key and stored.sealed_key is None and stored.parent is None


def test_an_issuing_ca_added_before_its_root_chains_once_the_root_comes(
    db, cas_as, staff, outside_pki
):
    api = cas_as(staff)
    api.ca_add(horizon.CertificateAuthorityRequest(certificate=pem(outside_pki["issuing"])))
    assert CertificateAuthority.objects.get(name="outside-issuing-ca").parent is None
    api.ca_add(
        horizon.CertificateAuthorityRequest(name="root", certificate=pem(outside_pki["root"]))
    )
    issuing = CertificateAuthority.objects.get(name="outside-issuing-ca")
    assert issuing.parent.name == "root", issuing.parent
    assert [ca.name for ca in issuing.chain()] == ["outside-issuing-ca", "root"]


def test_a_ca_with_the_same_name_but_another_issuer_key_is_not_taken_as_parent(
    db, cas_as, staff, outside_pki
):
    impostor, _ = make_ca("Outside Root CA")  # same subject, another key
    api = cas_as(staff)
    api.ca_add(horizon.CertificateAuthorityRequest(name="impostor", certificate=pem(impostor)))
    api.ca_add(horizon.CertificateAuthorityRequest(certificate=pem(outside_pki["issuing"])))
    assert CertificateAuthority.objects.get(name="outside-issuing-ca").parent is None


def test_adding_a_certificate_already_registered_answers_ca_004_naming_it(
    db, cas_as, staff, outside_pki
):
    api = cas_as(staff)
    api.ca_add(
        horizon.CertificateAuthorityRequest(name="first", certificate=pem(outside_pki["root"]))
    )
    error = failure(
        api.ca_add,
        horizon.CertificateAuthorityRequest(name="second", certificate=pem(outside_pki["root"])),
    )
    assert code_of(error) == (400, "CA-004"), error.body
    assert "'first'" in error.body, error.body


def test_adding_a_name_already_taken_answers_ca_004(db, cas_as, staff, outside_pki):
    api = cas_as(staff)
    api.ca_add(horizon.CertificateAuthorityRequest(name="x", certificate=pem(outside_pki["root"])))
    error = failure(
        api.ca_add,
        horizon.CertificateAuthorityRequest(name="x", certificate=pem(outside_pki["issuing"])),
    )
    assert code_of(error) == (400, "CA-004"), error.body
    assert "'x'" in error.body, error.body


def test_an_end_entity_certificate_is_refused_as_a_ca(db, cas_as, staff):
    leaf, _ = make_ca("leaf.example.com", ca=False)
    error = failure(
        cas_as(staff).ca_add, horizon.CertificateAuthorityRequest(certificate=pem(leaf))
    )
    assert error.status == 400 and "cA=TRUE" in error.body, error.body


def test_a_name_that_is_not_a_slug_is_refused_with_a_clear_message(db, cas_as, staff, outside_pki):
    error = failure(
        cas_as(staff).ca_add,
        horizon.CertificateAuthorityRequest(name="My Root", certificate=pem(outside_pki["root"])),
    )
    assert error.status == 400 and "not a valid name" in error.body, error.body


def test_unsupported_fields_are_accepted_and_named_in_a_header(staff_api, outside_pki):
    response = staff_api.post(
        "/api/v1/cas",
        {"certificate": pem(outside_pki["root"]), "public": False, "refresh": "1 hour"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response[IGNORED] == "public, refresh", response.headers


@pytest.mark.parametrize(
    "body",
    [
        [],
        "certificate",
        {},
        {"certificate": 5},
        {"certificate": "not a certificate"},
        {"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"},
        {"certificate": "x", "refresh": "forever"},
        {"certificate": "x", "name": ["a"]},
    ],
)
def test_malformed_bodies_answer_400_problems_never_500(staff_api, body):
    response = staff_api.post("/api/v1/cas", body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM, response.content
    assert response.json()["error"] == "CA-002", response.content


def test_a_body_that_is_not_json_answers_400(staff_api):
    response = staff_api.post("/api/v1/cas", "{nope", content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM, response.content


# --- who may write ------------------------------------------------------------------------


def test_accounts_that_are_not_staff_get_403_problems_on_writes(pki, cas_as, requester):
    api = cas_as(requester)
    root, _ = make_ca("Some Root")
    for call, args in [
        (api.ca_add, (horizon.CertificateAuthorityRequest(certificate=pem(root)),)),
        (api.ca_update, (horizon.CertificateAuthorityRequest(certificate=pem(root)),)),
        (api.ca_delete, (pki["root"].name,)),
    ]:
        error = failure(call, *args)
        assert error.status == 403, error.body
        assert error.headers["Content-Type"] == PROBLEM, error.headers
    assert CertificateAuthority.objects.count() == 2


# --- updating and deleting ----------------------------------------------------------------


def test_staff_renames_a_trust_entry_found_by_its_certificate(db, cas_as, staff, outside_pki):
    api = cas_as(staff)
    api.ca_add(horizon.CertificateAuthorityRequest(certificate=pem(outside_pki["root"])))
    answer = api.ca_update(
        horizon.CertificateAuthorityRequest(name="renamed", certificate=pem(outside_pki["root"]))
    )
    assert answer.name == "renamed", answer
    assert list(CertificateAuthority.objects.values_list("name", flat=True)) == ["renamed"]


def test_a_ca_that_issued_certificates_keeps_its_name(pki, profile, cas_as, staff, issue):
    issue("web.example.com")
    error = failure(
        cas_as(staff).ca_update,
        horizon.CertificateAuthorityRequest(
            name="new-name", certificate=pki["issuing"].certificate_pem
        ),
    )
    assert code_of(error) == (403, "CA-005"), error.body
    assert "cannot be renamed" in error.body, error.body


def test_a_connectors_certificate_is_not_replaced_through_the_cas(pki, cas_as, staff):
    other, _ = make_ca("Other")
    error = failure(
        cas_as(staff).ca_update,
        horizon.CertificateAuthorityRequest(name=pki["issuing"].name, certificate=pem(other)),
    )
    assert error.status == 400 and "/api/v1/pki/connectors" in error.body, error.body


def test_updating_an_unknown_ca_answers_404(db, cas_as, staff, outside_pki):
    error = failure(
        cas_as(staff).ca_update,
        horizon.CertificateAuthorityRequest(name="ghost", certificate=pem(outside_pki["root"])),
    )
    assert error.status == 404, error.body


def test_staff_deletes_an_unused_trust_entry(db, cas_as, staff, outside_pki):
    api = cas_as(staff)
    api.ca_add(horizon.CertificateAuthorityRequest(name="r", certificate=pem(outside_pki["root"])))
    assert api.ca_delete("r") is None
    assert not CertificateAuthority.objects.exists()
    assert failure(api.ca_delete, "r").status == 404


def test_deleting_a_ca_with_children_profiles_or_certificates_answers_referenced_ca_005(
    pki, profile, cas_as, staff, issue
):
    issue("web.example.com")
    api = cas_as(staff)
    error = failure(api.ca_delete, pki["root"].name)
    assert code_of(error) == (403, "CA-005"), error.body
    assert "it signed the CAs" in error.body, error.body
    error = failure(api.ca_delete, pki["issuing"].name)
    assert code_of(error) == (403, "CA-005"), error.body
    assert "profiles issue with it (webra-demo)" in error.body, error.body
    assert "issued certificates" in error.body, error.body
    assert CertificateAuthority.objects.count() == 2


# --- a keyless CA never signs -------------------------------------------------------------


@pytest.fixture
def keyless_issuing(db, outside_pki):
    root = CertificateAuthority.objects.create(
        name="trusted-root", certificate_pem=pem(outside_pki["root"]), key_type="ec-secp384r1"
    )
    return CertificateAuthority.objects.create(
        name="trusted-issuing",
        certificate_pem=pem(outside_pki["issuing"]),
        key_type="ec-secp256r1",
        parent=root,
    )


def test_a_keyless_ca_is_refused_as_a_profiles_ca(keyless_issuing):
    profile = ProfileFactory.build(name="keyless", ca=keyless_issuing)
    with pytest.raises(ValidationError) as caught:
        profile.full_clean()
    assert "ca" in caught.value.message_dict, caught.value.message_dict


def test_a_keyless_ca_does_not_sign_even_when_a_profile_points_at_it(keyless_issuing):
    profile = ProfileFactory(name="keyless", ca=keyless_issuing)  # past validation
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(DomainError, match="no private key here"), transaction.atomic():
        issue_certificate(
            profile=profile,
            public_key=key.public_key(),
            subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x.example.com")]),
            sans=[],
        )


def test_a_keyless_ca_publishes_no_crl_but_its_certificate(keyless_issuing, client):
    assert client.get("/pki/trusted-issuing.crl").status_code == 404
    response = client.get("/pki/trusted-issuing.crt")
    assert response.status_code == 200, response.content
