"""Contract tests of the read side: the official client's RequestApi, CertificateApi, Rfc5280Api
and SecurityPasswordpolicyApi drive a live server and get their own models back."""

import horizon
import pytest
from horizon.exceptions import ApiException
from horizon.models.certificate_search_query import CertificateSearchQuery
from horizon.models.request_search_query import RequestSearchQuery

from profiles.models import PasswordPolicy
from tests.read_side import make_certificate, make_request


@pytest.fixture
def world(profile, requester, approver):
    certificate = make_certificate(profile, owner=requester)
    return {
        "pending": make_request(requester, profile),
        "completed": make_request(requester, profile, status="completed", certificate=certificate),
        "certificate": certificate,
    }


def test_client_searches_requests_and_reads_permissions(client_for, approver, world):
    api = horizon.RequestApi(client_for(approver))
    query = RequestSearchQuery(
        query="status in [pending, completed]", withCount=True, scope="manage"
    )
    answer = api.request_search(query)
    assert answer.count == 2 and answer.has_more is False and answer.page_index == 1
    by_id = {result.id: result for result in answer.results}
    pending = by_id[str(world["pending"].pk)]
    assert pending.permissions.approve is True and pending.permissions.cancel is False
    completed = by_id[str(world["completed"].pk)]
    assert completed.certificate.serial == world["certificate"].serial
    assert completed.certificate.auto_renew is False


def test_client_search_error_carries_the_documented_code(client_for, requester, world):
    api = horizon.RequestApi(client_for(requester))
    with pytest.raises(ApiException) as raised:
        api.request_search(RequestSearchQuery(query="status likes pending"))
    assert raised.value.status == 400
    assert raised.value.data.actual_instance.error == "HQL-001", raised.value.body


def test_client_lists_requestable_profiles(client_for, requester, outsider, world):
    profiles = horizon.RequestApi(client_for(requester)).request_certificate_profile(
        module="webra", workflow="enroll"
    )
    assert [p.name for p in profiles] == ["webra-demo"]
    enroll = next(w for w in profiles[0].workflows if w.workflow == "enroll")
    assert enroll.request is True and enroll.perform is False
    assert horizon.RequestApi(client_for(outsider)).request_certificate_profile() == []


def test_client_gets_a_certificate_by_id_and_by_pem(client_for, requester, world):
    api = horizon.CertificateApi(client_for(requester))
    certificate = world["certificate"]
    by_id = api.certificate_get_id(str(certificate.pk))
    assert by_id.certificate.serial == certificate.serial
    assert by_id.permissions.request_revoke is True and by_id.permissions.revoke is False
    with pytest.warns(DeprecationWarning):  # the client marks get-by-PEM deprecated
        by_pem = api.certificate_get_pem(certificate.pem)
    assert by_pem.id == str(certificate.pk)


def test_client_sees_404_for_a_certificate_the_outsider_may_not_see(client_for, outsider, world):
    api = horizon.CertificateApi(client_for(outsider))
    with pytest.raises(ApiException) as raised:
        api.certificate_get_id(str(world["certificate"].pk))
    assert raised.value.status == 404
    assert raised.value.data.error == "CERT-SEARCH-003", raised.value.body


def test_client_searches_certificates(client_for, approver, world):
    api = horizon.CertificateApi(client_for(approver))
    answer = api.certificate_search(
        CertificateSearchQuery(query='status is valid and owner equals "requester"', withCount=True)
    )
    assert answer.count == 1
    assert answer.results[0].id == str(world["certificate"].pk)
    assert answer.results[0].permissions.revoke is True


def test_client_gets_the_trust_chain_of_a_pem(client_for, requester, world, pki):
    chain = horizon.Rfc5280Api(client_for(requester)).rfc5280_tc_pem(world["certificate"].pem)
    assert [link.dn for link in chain] == [
        "CN=web.example.com",
        "CN=Test Issuing CA",
        "CN=Test Root CA",
    ]
    assert chain[-1].self_signed is True


def test_client_generates_a_password(client_for, requester, db):
    policy = PasswordPolicy.default()  # live_server tests flush what the migration created
    api = horizon.SecurityPasswordpolicyApi(client_for(requester))
    password = api.password_policy_generate("Horizon-Default")
    assert policy.violations(password) == [], password
