"""Discovery campaigns under /manage/discovery/: list, create, edit, enable/disable, flush and
delete, through the same services as the API; and a certificate's page says where it was
discovered."""

from certificates.models import Certificate
from discovery.models import Discovery, DiscoveryCampaign
from raportal.models import AuditEvent
from tests.administration.pages.forms import field_block
from tests.conftest import Api
from tests.discovery.helpers import FEED, feed_body, make_campaign, self_signed

FORM = {
    "name": "datacenter",
    "description": "TLS endpoints of the datacenter",
    "enabled": "on",
    "search_level": "authorized",
    "feed_level": "authenticated",
    "hosts": "10.0.0.0/24\nweb.example.com, 192.0.2.1-192.0.2.9",
    "ports": "443, 8000-8100",
    "event_on_failure": "on",
}


def fed(staff, name="datacenter", cn="found.example.com", **host):
    pem, _, _ = self_signed(cn)
    status, body = Api(staff).post(FEED, feed_body(pem, campaign=name, **host))
    assert status == 204, body
    return pem


def test_an_admin_creates_a_campaign_and_finds_it_in_the_list(signed_in):
    response = signed_in.post("/manage/discovery/new/", FORM, follow=True)
    page = response.content.decode()
    assert "Campaign datacenter created." in page, page
    campaign = DiscoveryCampaign.objects.get(name="datacenter")
    assert campaign.hosts == ["10.0.0.0/24", "web.example.com", "192.0.2.1-192.0.2.9"]
    assert campaign.ports == ["443", "8000-8100"]
    assert (campaign.feed_level, campaign.event_on_failure, campaign.enabled) == (
        "authenticated",
        True,
        True,
    )
    assert AuditEvent.objects.filter(action="campaign.create").exists()
    listing = signed_in.get("/manage/discovery/").content.decode()
    assert 'href="/manage/discovery/datacenter/"' in listing and "enabled" in listing, listing


def test_the_form_shows_each_error_beside_its_field(signed_in):
    make_campaign("datacenter")
    page = signed_in.post(
        "/manage/discovery/new/", FORM | {"hosts": "web 1;", "ports": "70000"}
    ).content.decode()
    assert "is not a port" in field_block(page, "ports"), page
    duplicate = signed_in.post("/manage/discovery/new/", FORM).content.decode()
    assert "already exists" in field_block(duplicate, "name"), duplicate
    assert DiscoveryCampaign.objects.count() == 1


def test_an_admin_edits_renames_disables_and_enables_a_campaign(signed_in):
    make_campaign("datacenter")
    response = signed_in.post(
        "/manage/discovery/datacenter/", FORM | {"name": "dc-paris"}, follow=True
    )
    assert "Campaign dc-paris saved." in response.content.decode()
    assert DiscoveryCampaign.objects.get().name == "dc-paris"
    off = signed_in.post("/manage/discovery/dc-paris/enabled/", {"enabled": "0"}, follow=True)
    assert "Campaign dc-paris disabled." in off.content.decode()
    assert DiscoveryCampaign.objects.get().enabled is False
    signed_in.post("/manage/discovery/dc-paris/enabled/", {"enabled": "1"})
    assert DiscoveryCampaign.objects.get().enabled is True
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"campaign.update", "campaign.disable", "campaign.enable"} <= actions


def test_a_campaign_page_lists_what_it_found_and_flushing_forgets_it(signed_in, staff):
    make_campaign("datacenter")
    fed(staff)
    page = signed_in.get("/manage/discovery/datacenter/").content.decode()
    assert "Certificates it found (1)" in page and "CN=found.example.com" in page, page
    assert "unmanaged" in page, page
    unconfirmed = signed_in.post("/manage/discovery/datacenter/flush/", follow=True)
    assert "to confirm" in unconfirmed.content.decode()
    assert Discovery.objects.exists()
    done = signed_in.post("/manage/discovery/datacenter/flush/", {"confirm": "1"}, follow=True)
    assert "no longer lists 1 certificate " in done.content.decode(), done.content.decode()
    assert not Discovery.objects.exists()


def test_a_campaign_is_deleted_once_confirmed(signed_in):
    make_campaign("datacenter")
    signed_in.post("/manage/discovery/datacenter/delete/", follow=True)
    assert DiscoveryCampaign.objects.exists()
    done = signed_in.post("/manage/discovery/datacenter/delete/", {"confirm": "1"}, follow=True)
    assert "Campaign datacenter deleted." in done.content.decode()
    assert not DiscoveryCampaign.objects.exists()
    assert AuditEvent.objects.filter(action="campaign.delete").exists()


def test_the_audit_log_links_a_campaigns_events_to_its_page(signed_in):
    signed_in.post("/manage/discovery/new/", FORM)
    page = signed_in.get("/manage/audit/?type=discoverycampaign").content.decode()
    assert 'href="/manage/discovery/datacenter/"' in page, page


def test_a_certificate_page_says_where_it_was_discovered(signed_in, staff):
    make_campaign("datacenter")
    pem = fed(staff, hostnames=["web.example.com"], paths=["/etc/ssl/web.pem"])
    certificate = Certificate.objects.get(pem=pem)
    page = signed_in.get(f"/certificates/{certificate.pk}/").content.decode()
    assert 'id="discovered"' in page, page
    for text in ("datacenter", "0.0.0.1", "web.example.com", "/etc/ssl/web.pem"):
        assert text in page, text
    assert "discovered on a host" in page, "the history names the feed"


def test_the_section_is_absent_for_a_certificate_never_discovered(issue, approver, client):
    issued = issue()
    client.force_login(approver)
    page = client.get(f"/certificates/{issued['_id']}/").content.decode()
    assert 'id="discovered"' not in page, page


def test_an_outsider_gets_404_on_a_discovered_certificates_page(staff, outsider, client):
    make_campaign("datacenter")
    pem = fed(staff)
    client.force_login(outsider)
    response = client.get(f"/certificates/{Certificate.objects.get(pem=pem).pk}/")
    assert response.status_code == 404
