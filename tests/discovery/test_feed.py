"""``POST /api/v1/discovery/feed``: a scanner reports a certificate it found on a host. Who
may feed, what joins the inventory, what an existing certificate gains, and the problems."""

import pytest

from certificates.models import Certificate
from certificates.pki.fingerprints import thumbprint
from certificates.trust_chain import load_certificate_text
from discovery.models import DiscoveredHost, Discovery
from raportal.models import AuditEvent
from tests.discovery.helpers import FEED, feed_body, give, make_campaign, self_signed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return make_campaign("Ansible", hosts=["localhost"], ports=["443"])


def fed_row(pem: str) -> Certificate:
    return Certificate.objects.get(thumbprint=thumbprint(load_certificate_text(pem)))


def test_staff_feeds_an_unknown_certificate_which_joins_the_inventory_unmanaged(
    campaign, staff, api_as
):
    pem, _, _ = self_signed("web.example.com")
    status, body = api_as(staff).post(
        FEED, feed_body(pem, hostnames=["web.example.com"], paths=["/etc/ssl/web.pem"])
    )
    assert status == 204, body
    row = fed_row(pem)
    assert (row.profile, row.owner, row.module) == (None, None, "discovery")
    assert row.dn == "CN=web.example.com" and row.self_signed is True
    assert row.holder_id and row.public_key_thumbprint and row.serial
    discovery = Discovery.objects.get(certificate=row)
    assert (discovery.campaign, discovery.identifier) == (campaign, "admin")
    host = DiscoveredHost.objects.get(discovery=discovery)
    assert (host.ip, host.hostnames, host.paths) == (
        "0.0.0.1",
        ["web.example.com"],
        ["/etc/ssl/web.pem"],
    )
    event = AuditEvent.objects.get(action="certificate.discover", object_id=str(row.pk))
    assert event.detail["campaign"] == "Ansible" and event.detail["new"] is True, event.detail


def test_a_certificate_of_the_portals_own_ca_is_recognised_as_such(
    campaign, staff, api_as, issue, pki
):
    issued = issue()
    Certificate.objects.filter(pk=issued["_id"]).delete()
    status, body = api_as(staff).post(FEED, feed_body(issued["certificate"]))
    assert status == 204, body
    assert fed_row(issued["certificate"]).ca == pki["issuing"]


def test_a_second_feed_from_the_same_host_updates_its_entry(campaign, staff, api_as):
    pem, _, _ = self_signed()
    api = api_as(staff)
    api.post(FEED, feed_body(pem, hostnames=["a.example.com"], paths=["/old.pem"]))
    first = Discovery.objects.get()
    status, body = api.post(FEED, feed_body(pem, hostnames=["b.example.com"]))
    assert status == 204, body
    host = DiscoveredHost.objects.get()  # one entry per host
    assert host.hostnames == ["b.example.com"]
    assert host.paths == ["/old.pem"], "a field the feed does not send keeps its value"
    again = Discovery.objects.get()
    assert again.first_seen == first.first_seen and again.last_seen > first.last_seen
    status, body = api.post(FEED, feed_body(pem, ip="2001:db8::1"))
    assert status == 204, body
    assert sorted(DiscoveredHost.objects.values_list("ip", flat=True)) == ["0.0.0.1", "2001:db8::1"]
    assert Certificate.objects.count() == 1


def test_a_managed_certificate_only_gains_the_discovery_data(campaign, staff, api_as, issue):
    issued = issue()
    before = Certificate.objects.get(pk=issued["_id"])
    status, body = api_as(staff).post(FEED, feed_body(issued["certificate"]))
    assert status == 204, body
    after = Certificate.objects.get(pk=issued["_id"])
    assert (after.profile, after.owner, after.module, after.labels) == (
        before.profile,
        before.owner,
        "webra",
        before.labels,
    )
    assert Discovery.objects.get().certificate_id == before.pk
    assert Certificate.objects.count() == 1


def test_every_signed_in_account_feeds_a_campaign_whose_feed_level_is_authenticated(staff, api_as):
    make_campaign("open", feed_level="authenticated")
    someone = UserFactory(username="someone")
    status, body = api_as(someone).post(FEED, feed_body(self_signed()[0], campaign="open"))
    assert status == 204, body
    assert Discovery.objects.get().identifier == "someone"


def test_an_account_given_the_feed_permission_feeds_the_campaign(campaign, api_as):
    feeder = UserFactory(username="scanner")
    give(feeder, campaign, "feed")
    status, body = api_as(feeder).post(FEED, feed_body(self_signed()[0]))
    assert status == 204, body


def test_an_outsider_is_told_the_campaign_does_not_exist(campaign, outsider_api):
    status, body = outsider_api.post(FEED, feed_body(self_signed()[0]))
    assert (status, body["error"]) == (404, "DISC-CAMP-003"), body
    assert not Certificate.objects.exists()


def test_an_account_that_may_search_but_not_feed_is_refused_with_403(campaign, api_as):
    reader = UserFactory(username="reader")
    give(reader, campaign, "search")
    status, body = api_as(reader).post(FEED, feed_body(self_signed()[0]))
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body


def test_an_anonymous_feed_is_refused_with_401(campaign, api_as):
    status, body = api_as().post(FEED, feed_body(self_signed()[0]))
    assert (status, body["error"]) == (401, "SEC-AUTH-009"), body


def test_an_unknown_campaign_answers_disc_camp_003(staff, api_as):
    status, body = api_as(staff).post(FEED, feed_body(self_signed()[0], campaign="nope"))
    assert (status, body["error"]) == (404, "DISC-CAMP-003"), body
    assert "'nope'" in body["detail"], body


def test_a_disabled_campaign_cannot_be_fed(staff, api_as):
    make_campaign("paused", enabled=False)
    status, body = api_as(staff).post(FEED, feed_body(self_signed()[0], campaign="paused"))
    assert (status, body["error"]) == (400, "DISC-FEED-002"), body
    assert "disabled" in body["detail"], body
    assert not Certificate.objects.exists()


@pytest.mark.parametrize(
    ("certificate", "expected"),
    [
        ("not a certificate", "certificate:"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "certificate:"),
    ],
)
def test_an_unreadable_certificate_answers_a_clear_400(
    campaign, staff, api_as, certificate, expected
):
    status, body = api_as(staff).post(FEED, feed_body(certificate))
    assert (status, body["error"]) == (400, "DISC-FEED-002"), body
    assert body["detail"].startswith(expected), body
    assert body["status"] == 400 and body["title"] == "Invalid Discovery Feed", body


def test_a_ca_certificate_is_not_inventoried(campaign, staff, api_as):
    status, body = api_as(staff).post(FEED, feed_body(self_signed(ca=True)[0]))
    assert (status, body["error"]) == (400, "DISC-FEED-002"), body
    assert "CA certificate" in body["detail"], body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"certificate": "x", "hostDiscoveryData": {}}, "campaign"),
        ({"campaign": "Ansible", "hostDiscoveryData": {}}, "certificate"),
        ({"campaign": "Ansible", "certificate": "x"}, "hostDiscoveryData"),
        ([1, 2], "JSON object"),
    ],
)
def test_a_body_without_what_horizon_requires_answers_disc_feed_002(
    campaign, staff, api_as, body, expected
):
    status, answer = api_as(staff).post(FEED, body)
    assert (status, answer["error"]) == (400, "DISC-FEED-002"), answer
    assert expected in answer["detail"], answer


def test_a_host_address_that_is_not_one_is_refused(campaign, staff, api_as):
    status, body = api_as(staff).post(FEED, feed_body(self_signed()[0], ip="web-1"))
    assert (status, body["error"]) == (400, "DISC-FEED-002"), body
    assert "not an IP address" in body["detail"], body


def test_what_the_portal_does_not_act_on_is_named_and_no_key_is_kept(campaign, staff, api_as):
    pem, key_pem, _ = self_signed()
    body = feed_body(pem) | {"privateKey": key_pem, "sessionId": "s-1", "extra": 1}
    response = api_as(staff).client.post(FEED, body, format="json", **api_as(staff).headers)
    assert response.status_code == 204, response.content
    assert response["X-RAPortal-Ignored-Fields"] == "extra, privateKey, sessionId"
    assert not fed_row(pem).escrowed


def test_feeding_a_managed_certificate_does_not_open_its_record_to_the_feeder(
    campaign, api_as, issue
):
    # A certificate is public: posting one must not reveal who owns it, its labels, history.
    issued = issue()
    scanner = UserFactory(username="scanner")
    give(scanner, campaign, "feed")
    give(scanner, campaign, "search")
    status, body = api_as(scanner).post(FEED, feed_body(issued["certificate"]))
    assert status == 204, body
    status, body = api_as(scanner).get(f"/api/v1/certificates/{issued['_id']}")
    assert status == 404, body
    unmanaged = self_signed("other.example.com")[0]
    assert api_as(scanner).post(FEED, feed_body(unmanaged))[0] == 204
    status, body = api_as(scanner).get(f"/api/v1/certificates/{fed_row(unmanaged).pk}")
    assert status == 200, body
    infos = body["certificate"]["discoveryInfo"]
    assert [info["campaign"] for info in infos] == ["Ansible"], body
