"""A discovered certificate answers where it was found: ``discoveryInfo`` and ``discoveryData``
in the contract's Certificate object (by id, by PEM, in searches), in the client's shapes —
for those who may search the campaign; others do not see the certificate, nor a campaign's
hosts on a certificate they otherwise see."""

from urllib.parse import quote

import pytest
from horizon.models.certificate_response import CertificateResponse
from horizon.models.certificate_search_results_response import CertificateSearchResultsResponse
from horizon.models.certificate_with_permissions_response import (
    CertificateWithPermissionsResponse,
)

from certificates.models import Certificate
from discovery.models import DiscoveryCampaign
from discovery.services import flush_campaign
from tests.discovery.helpers import FEED, feed_body, give, make_campaign, self_signed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(staff, api_as):
    """A certificate fed to campaign Ansible from two hosts."""
    make_campaign("Ansible")
    pem, _, _ = self_signed("found.example.com")
    api = api_as(staff)
    for body in (
        feed_body(pem, hostnames=["found.example.com"], paths=["/etc/ssl/found.pem"]),
        feed_body(pem, ip="10.0.0.2", operatingSystems=["Debian 13"], usages=["/etc/nginx"]),
    ):
        status, answer = api.post(FEED, body)
        assert status == 204, answer
    return pem


def by_pem(api, pem):
    return api.get(f"/api/v1/certificates/{quote(pem, safe='')}")


def test_the_certificate_looked_up_by_pem_says_which_campaign_found_it_and_where(
    found, staff, api_as
):
    status, body = by_pem(api_as(staff), found)
    assert status == 200, body
    assert [info["campaign"] for info in body["discoveryInfo"]] == ["Ansible"], body
    assert body["discoveryInfo"][0]["identifier"] == "admin"
    assert isinstance(body["discoveryInfo"][0]["lastDiscoveryDate"], int)
    hosts = {entry["ip"]: entry for entry in body["discoveryData"]}
    assert set(hosts) == {"0.0.0.1", "10.0.0.2"}, body
    assert hosts["0.0.0.1"]["hostnames"] == ["found.example.com"]
    assert hosts["0.0.0.1"]["paths"] == ["/etc/ssl/found.pem"]
    assert hosts["10.0.0.2"]["operatingSystems"] == ["Debian 13"]
    assert hosts["10.0.0.2"]["usages"] == ["/etc/nginx"]
    parsed = CertificateResponse.from_dict(body)
    assert parsed.discovery_info[0].campaign == "Ansible"
    assert {host.ip for host in parsed.discovery_data} == {"0.0.0.1", "10.0.0.2"}
    assert parsed.module == "discovery" and parsed.profile is None


def test_by_id_and_in_searches_the_discovery_data_parses_with_the_clients_models(
    found, staff, api_as
):
    api = api_as(staff)
    certificate_id = str(Certificate.objects.get(module="discovery").pk)
    status, body = api.get(f"/api/v1/certificates/{certificate_id}")
    assert status == 200, body
    parsed = CertificateWithPermissionsResponse.from_dict(body)
    assert parsed.certificate.discovery_info[0].campaign == "Ansible"
    status, results = api.post(
        "/api/v1/certificates/search",
        {"query": f"id = {certificate_id}", "fields": ["discoveryInfo", "discoveryData"]},
    )
    assert status == 200, results
    result = results["results"][0]
    assert set(result) >= {"_id", "discoveryInfo", "discoveryData"}, result
    assert result["discoveryInfo"][0]["campaign"] == "Ansible"
    status, results = api.post("/api/v1/certificates/search", {"query": f"id = {certificate_id}"})
    parsed = CertificateSearchResultsResponse.from_dict(results)
    assert parsed.results[0].discovery_data[0].ip == "0.0.0.1"


def test_a_certificate_never_discovered_answers_empty_discovery_lists(issue, approver_api):
    issued = issue()
    status, body = approver_api.get(f"/api/v1/certificates/{issued['_id']}")
    assert status == 200, body
    assert body["certificate"]["discoveryInfo"] == [], body
    assert body["certificate"]["discoveryData"] == [], body


def test_an_outsider_does_not_see_a_discovered_certificate(found, outsider_api):
    status, body = by_pem(outsider_api, found)
    assert (status, body["error"]) == (404, "CERT-SEARCH-003"), body


def test_who_may_search_the_campaign_sees_what_it_found(found, api_as):
    reader = UserFactory(username="reader")
    give(reader, make_campaign("other"), "search")
    status, body = by_pem(api_as(reader), found)
    assert status == 404, "a right on another campaign shows nothing of this one"
    give(reader, DiscoveryCampaign.objects.get(name="Ansible"), "search")
    status, body = by_pem(api_as(reader), found)
    assert status == 200 and body["discoveryInfo"][0]["campaign"] == "Ansible", body


def test_a_campaign_searchable_by_every_account_shows_its_certificates_to_all(found, api_as):
    DiscoveryCampaign.objects.filter(name="Ansible").update(search_level="authenticated")
    status, body = by_pem(api_as(UserFactory(username="anyone")), found)
    assert status == 200 and body["discoveryData"], body


def test_a_managed_certificate_shows_only_the_campaigns_its_viewer_may_search(
    staff, api_as, issue, approver_api
):
    issued = issue()
    make_campaign("secret-dc")
    status, answer = api_as(staff).post(
        FEED, feed_body(issued["certificate"], campaign="secret-dc")
    )
    assert status == 204, answer
    status, body = approver_api.get(f"/api/v1/certificates/{issued['_id']}")
    assert status == 200 and body["certificate"]["discoveryInfo"] == [], body
    assert body["certificate"]["discoveryData"] == [], "the campaign's hosts stay hidden"
    status, body = api_as(staff).get(f"/api/v1/certificates/{issued['_id']}")
    assert body["certificate"]["discoveryInfo"][0]["campaign"] == "secret-dc", body


def test_staff_still_see_an_unmanaged_certificate_once_its_campaign_is_flushed(
    found, staff, api_as, outsider_api
):
    flush_campaign(staff, "Ansible")
    status, body = by_pem(api_as(staff), found)
    assert status == 200 and body["discoveryInfo"] == [], body
    assert by_pem(outsider_api, found)[0] == 404


def test_a_request_answer_costs_no_discovery_query(issue, approver_api):
    # The submit path's budget (tests/requests_app/test_query_budget.py): the certificate in
    # a request's answer carries no discovery data, and the portal asks for none.
    issued = issue()
    assert "discoveryInfo" not in issued and "discoveryData" not in issued
