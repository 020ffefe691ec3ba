"""``/api/v1/cas`` through the official client: Horizon's list of Certificate Authorities.
Entries (a name, a CA certificate, trust flags) are added, renamed, chained and deleted by
staff, apart from the PKI connectors that may carry the same certificate; every signed-in
account reads the public ones."""

import horizon
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.db import transaction

from certificates.models import CaEntry, CertificateAuthority
from certificates.services import issue_certificate
from raportal.errors import DomainError
from tests.administration.api_calls import (
    IGNORED,
    PROBLEM,
    code_of,
    failure,
    integrated_connector,
)
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
        {
            "certificate": pem(outside_pki["root"]),
            "public": False,
            "refresh": "1 hour",
            "crlUrl": "http://crl.example.com/root.crl",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response[IGNORED] == "crlUrl, refresh", response.headers
    assert response.json()["public"] is False, response.json()


def test_the_trust_flags_are_stored_answered_and_kept_when_an_update_leaves_them_out(
    db, cas_as, staff, outside_pki
):
    api = cas_as(staff)
    added = api.ca_add(
        horizon.CertificateAuthorityRequest(
            name="partner-root",
            certificate=pem(outside_pki["root"]),
            trustedForClientAuthentication=True,
            trustedForServerAuthentication=True,
            outdatedRevocationStatusPolicy="lastavailablestatus",
            public=True,
            downloadable=True,
        )
    )
    assert added.trusted_for_client_authentication is True, added
    assert added.outdated_revocation_status_policy == "lastavailablestatus", added
    updated = api.ca_update(
        horizon.CertificateAuthorityRequest(
            name="partner-root", certificate=pem(outside_pki["root"]), public=False
        )
    )
    assert updated.public is False and updated.downloadable is True, updated
    assert updated.trusted_for_server_authentication is True, updated
    entry = CaEntry.objects.get(name="partner-root")
    assert entry.trusted_for_client_authentication and not entry.public


def test_a_new_entry_trusts_nothing_unless_told(db, cas_as, staff, outside_pki):
    added = cas_as(staff).ca_add(
        horizon.CertificateAuthorityRequest(name="r", certificate=pem(outside_pki["root"]))
    )
    assert added.trusted_for_client_authentication is False, added
    assert added.trusted_for_server_authentication is False, added
    assert added.public is False and added.downloadable is False, added


def test_a_connectors_certificate_is_listed_as_a_ca_entry_of_its_own(
    db, cas_as, connectors_as, staff
):
    # Horizon's provisioning order: the connector, then the CA entry with the same certificate.
    root, key = make_ca("Own Root")
    connectors_as(staff).pki_connector_add(integrated_connector("own-root", root, key))
    api = cas_as(staff)
    added = api.ca_add(
        horizon.CertificateAuthorityRequest(
            name="own-root-trust", certificate=pem(root), trustedForClientAuthentication=True
        )
    )
    assert added.name == "own-root-trust" and added.trusted_for_client_authentication, added
    ca = CertificateAuthority.objects.get()
    assert ca.name == "own-root" and ca.has_key  # the connector is untouched
    assert list(ca.entries.values_list("name", flat=True)) == ["own-root-trust"]
    error = failure(
        api.ca_add, horizon.CertificateAuthorityRequest(name="again", certificate=pem(root))
    )
    assert code_of(error) == (400, "CA-004"), error.body
    assert "own-root-trust" in error.body, error.body


def test_a_connector_for_a_certificate_already_listed_brings_its_key_to_it(
    db, cas_as, connectors_as, staff
):
    # The other order (configuration imports apply the list of CAs first).
    root, key = make_ca("Listed Root")
    cas_as(staff).ca_add(horizon.CertificateAuthorityRequest(name="listed", certificate=pem(root)))
    connectors_as(staff).pki_connector_add(integrated_connector("listed-connector", root, key))
    ca = CertificateAuthority.objects.get()
    assert ca.name == "listed-connector" and ca.has_key
    assert list(ca.entries.values_list("name", flat=True)) == ["listed"]


def test_deleting_a_listed_connector_keeps_its_ca_entry(db, cas_as, connectors_as, staff):
    root, key = make_ca("Both Root")
    connectors_as(staff).pki_connector_add(integrated_connector("both", root, key))
    cas_as(staff).ca_add(horizon.CertificateAuthorityRequest(name="both", certificate=pem(root)))
    assert connectors_as(staff).pki_connector_delete("both") is None
    ca = CertificateAuthority.objects.get()
    assert not ca.has_key and ca.entries.get().name == "both"
    assert cas_as(staff).ca_get("both").certificate.pem == pem(root)


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
    assert list(CaEntry.objects.values_list("name", flat=True)) == ["renamed"]


def test_renaming_the_entry_of_a_ca_that_issued_certificates_keeps_its_urls(
    pki, profile, cas_as, staff, issue
):
    # The entry's name is its own: the CA's CRL and certificate URLs, written in what it
    # signed, keep the CA's name.
    issue("web.example.com")
    answer = cas_as(staff).ca_update(
        horizon.CertificateAuthorityRequest(
            name="new-name", certificate=pki["issuing"].certificate_pem
        )
    )
    assert answer.name == "new-name", answer
    assert answer.crl_url.endswith(f"/pki/{pki['issuing'].name}.crl"), answer


def test_a_new_certificate_for_a_connectors_entry_leaves_the_connector_alone(pki, cas_as, staff):
    other, _ = make_ca("Other")
    answer = cas_as(staff).ca_update(
        horizon.CertificateAuthorityRequest(name=pki["issuing"].name, certificate=pem(other))
    )
    assert answer.certificate.pem == pem(other), answer
    pki["issuing"].refresh_from_db()
    assert (
        pki["issuing"].has_key
        and "Test Issuing CA" in pki["issuing"].certificate.subject.rfc4514_string()
    )


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


def test_deleting_the_entries_of_cas_in_use_keeps_the_cas(pki, profile, cas_as, staff, issue):
    # The list of CAs says what is trusted; the CAs themselves still sign and chain.
    issue("web.example.com")
    api = cas_as(staff)
    assert api.ca_delete(pki["root"].name) is None
    assert api.ca_delete(pki["issuing"].name) is None
    assert not CaEntry.objects.exists()
    assert CertificateAuthority.objects.count() == 2


def test_deleting_the_entry_of_a_keyless_ca_with_children_keeps_the_ca(
    db, cas_as, staff, outside_pki
):
    api = cas_as(staff)
    api.ca_add(horizon.CertificateAuthorityRequest(name="r", certificate=pem(outside_pki["root"])))
    api.ca_add(
        horizon.CertificateAuthorityRequest(name="i", certificate=pem(outside_pki["issuing"]))
    )
    assert api.ca_delete("r") is None
    assert CertificateAuthority.objects.count() == 2  # the issuing CA's chain needs it
    assert api.ca_delete("i") is None
    assert CertificateAuthority.objects.count() == 1


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


def test_a_keyless_ca_publishes_no_crl_and_its_certificate_only_when_downloadable(
    keyless_issuing, client
):
    assert client.get("/pki/trusted-issuing.crl").status_code == 404
    assert client.get("/pki/trusted-issuing.crt").status_code == 404
    CaEntry.objects.create(name="trusted-issuing", authority=keyless_issuing, downloadable=True)
    response = client.get("/pki/trusted-issuing.crt")
    assert response.status_code == 200, response.content


def test_accounts_that_are_not_staff_see_only_public_entries(pki, cas_as, requester):
    CaEntry.objects.filter(authority=pki["root"]).update(public=False)
    api = cas_as(requester)
    assert {ca.name for ca in api.ca_list()} == {pki["issuing"].name}
    assert failure(api.ca_get, pki["root"].name).status == 404


def test_a_ca_neither_public_nor_downloadable_stays_out_of_anonymous_trust_chains(
    db, cas_as, staff, outside_pki, client
):
    cas_as(staff).ca_add(
        horizon.CertificateAuthorityRequest(name="partner", certificate=pem(outside_pki["root"]))
    )
    leaf, _ = make_ca(
        "leaf.example.com",
        issuer=outside_pki["root"],
        issuer_key=outside_pki["root_key"],
        ca=False,
    )
    from urllib.parse import quote

    path = f"/api/v1/rfc5280/tc/{quote(pem(leaf), safe='')}"
    anonymous = client.get(path).json()
    assert [link["dn"] for link in anonymous] == [leaf.subject.rfc4514_string()], anonymous
    CaEntry.objects.filter(name="partner").update(public=True)
    public = client.get(path).json()
    assert len(public) == 2, public


def test_a_public_entry_names_its_issuer_only_when_that_one_is_public(
    pki, api_client_for, requester
):
    path = f"/api/v1/cas/{pki['issuing'].name}"
    answer = api_client_for(requester).get(path).json()
    assert answer["issuer"] == pki["root"].name, answer
    CaEntry.objects.filter(authority=pki["root"]).update(public=False)
    answer = api_client_for(requester).get(path).json()
    assert answer["issuer"] is None, answer
