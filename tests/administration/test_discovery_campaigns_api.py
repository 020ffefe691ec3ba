"""``/api/v1/discovery/campaigns`` through the official client: Horizon's discovery campaigns,
managed by staff, as EverTrust's Ansible CI provisions one."""

import horizon
import pytest
from horizon.exceptions import ApiException
from horizon.models.discovery_campaign import DiscoveryCampaign as CampaignBody
from horizon.models.discovery_campaign_response import DiscoveryCampaignResponse

from certificates.models import Certificate
from discovery.models import Discovery, DiscoveryCampaign
from raportal.models import AuditEvent
from tests.administration.api_calls import IGNORED, PROBLEM, code_of, problem, send
from tests.discovery.helpers import feed_body, self_signed
from tests.factories import UserFactory

CAMPAIGNS = "/api/v1/discovery/campaigns"


def level(access_level: str = "authorized") -> horizon.AuthorizationLevel:
    return horizon.AuthorizationLevel(accessLevel=access_level)


def ansible_campaign(**changes) -> CampaignBody:
    """The campaign run_horizon_matrix.provision_horizon() creates, with ``changes``."""
    fields = {
        "name": "Ansible",
        "description": "Ansible integration",
        "authorizationLevels": horizon.DiscoveryCampaignAuthorizationLevels(
            search=level(), feed=level()
        ),
        "eventOnSuccess": False,
        "eventOnWarning": False,
        "eventOnFailure": False,
        "hosts": ["localhost"],
        "ports": ["443"],
        "enabled": True,
    } | changes
    return horizon.DiscoveryCampaign(**fields)


@pytest.fixture
def campaigns_api(client_for, staff):
    return horizon.DiscoveryCampaignApi(client_for(staff))


def test_the_ansible_ci_campaign_is_added_and_read_back_as_provisioning_checks_it(campaigns_api):
    added = campaigns_api.discovery_campaign_add(ansible_campaign())
    assert isinstance(added, DiscoveryCampaignResponse)
    stored = DiscoveryCampaign.objects.get(name="Ansible")
    assert added.id == str(stored.pk)
    assert (stored.hosts, stored.ports, stored.enabled) == (["localhost"], ["443"], True)
    got = campaigns_api.discovery_campaign_get("Ansible")
    assert got.name == "Ansible" and got.enabled is True
    assert got.description == "Ansible integration"
    assert got.authorization_levels.feed.access_level == "authorized"
    assert (got.hosts, got.ports) == (["localhost"], ["443"])
    assert AuditEvent.objects.filter(action="campaign.create", object_id=str(stored.pk)).exists()


def test_a_staff_client_lists_updates_and_deletes_a_campaign(campaigns_api):
    campaigns_api.discovery_campaign_add(ansible_campaign())
    campaigns_api.discovery_campaign_add(ansible_campaign(name="datacenter", hosts=None))
    assert [c.name for c in campaigns_api.discovery_campaign_list()] == ["Ansible", "datacenter"]

    levels = horizon.DiscoveryCampaignAuthorizationLevels(
        search=level("authenticated"), feed=level("authenticated")
    )
    updated = campaigns_api.discovery_campaign_update(
        ansible_campaign(
            authorizationLevels=levels, enabled=False, ports=["443", "8000-8100"], description=None
        )
    )
    assert updated.enabled is False and updated.ports == ["443", "8000-8100"]
    assert updated.authorization_levels.search.access_level == "authenticated"
    assert updated.description is None, "PUT replaces the campaign: a left-out field is cleared"
    stored = DiscoveryCampaign.objects.get(name="Ansible")
    assert (stored.feed_level, stored.description) == ("authenticated", "")

    assert campaigns_api.discovery_campaign_delete("Ansible") is None
    assert list(DiscoveryCampaign.objects.values_list("name", flat=True)) == ["datacenter"]
    assert AuditEvent.objects.filter(action="campaign.delete").exists()


def test_no_campaign_answers_204_which_the_client_reads_as_nothing(campaigns_api):
    response = campaigns_api.discovery_campaign_list_with_http_info()
    assert response.status_code == 204 and not response.data


def test_adding_a_campaign_that_exists_answers_disc_camp_004_in_the_clients_model(campaigns_api):
    campaigns_api.discovery_campaign_add(ansible_campaign())
    with pytest.raises(ApiException) as error:
        campaigns_api.discovery_campaign_add(ansible_campaign())
    assert code_of(error.value) == (400, "DISC-CAMP-004"), error.value.body
    assert error.value.data.actual_instance.error == "DISC-CAMP-004", error.value.body


@pytest.mark.parametrize("call", ["get", "delete", "flush", "update"])
def test_an_unknown_campaign_answers_disc_camp_003(campaigns_api, call):
    with pytest.raises(ApiException) as error:
        if call == "update":
            campaigns_api.discovery_campaign_update(ansible_campaign(name="missing"))
        else:
            getattr(campaigns_api, f"discovery_campaign_{call}")("missing")
    assert code_of(error.value) == (404, "DISC-CAMP-003"), error.value.body
    assert "'missing'" in problem(error.value)["detail"], error.value.body


def test_flushing_a_campaign_forgets_what_it_found_and_keeps_the_certificates(
    campaigns_api, staff_api
):
    campaigns_api.discovery_campaign_add(ansible_campaign())
    response = staff_api.post("/api/v1/discovery/feed", feed_body(self_signed()[0]), format="json")
    assert response.status_code == 204, response.content
    assert Discovery.objects.count() == 1
    assert campaigns_api.discovery_campaign_flush("Ansible") is None
    assert not Discovery.objects.exists()
    assert DiscoveryCampaign.objects.filter(name="Ansible").exists()
    assert Certificate.objects.filter(module="discovery").count() == 1
    assert AuditEvent.objects.filter(action="campaign.flush").exists()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "not valid"}, "not a valid discovery campaign name"),
        ({"hosts": ["web 1"]}, "hosts: 'web 1'"),
        ({"ports": ["70000"]}, "ports: '70000'"),
        ({"ports": ["9000-80"]}, "ports: '9000-80'"),
    ],
)
def test_an_invalid_campaign_answers_disc_camp_002_naming_the_field(
    campaigns_api, changes, expected
):
    with pytest.raises(ApiException) as error:
        campaigns_api.discovery_campaign_add(ansible_campaign(**changes))
    assert code_of(error.value) == (400, "DISC-CAMP-002"), error.value.body
    assert expected in problem(error.value)["detail"], error.value.body
    assert not DiscoveryCampaign.objects.exists()


def test_a_body_missing_what_horizon_requires_answers_disc_camp_002(staff_api):
    response = send(staff_api, "post", CAMPAIGNS, {"name": "x", "enabled": True})
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["error"] == "DISC-CAMP-002" and "authorizationLevels" in body["detail"], body


def test_what_the_portal_does_not_act_on_is_named_in_the_ignored_fields_header(staff_api):
    body = ansible_campaign().to_dict() | {
        "gradingPolicies": ["strict"],
        "authorizationLevels": {
            "search": {"accessLevel": "everyone"},
            "feed": {"accessLevel": "authorized"},
        },
    }
    response = send(staff_api, "post", CAMPAIGNS, body)
    assert response.status_code == 201, response.content
    ignored = response[IGNORED]
    assert "gradingPolicies" in ignored, ignored
    assert "authorizationLevels.search=everyone (read as authorized)" in ignored, ignored
    assert DiscoveryCampaign.objects.get().search_level == "authorized"


def test_campaigns_are_for_staff_only(client_for, db, live_server):
    someone = UserFactory(username="someone")
    api = horizon.DiscoveryCampaignApi(client_for(someone))
    for call, args in [
        (api.discovery_campaign_list, ()),
        (api.discovery_campaign_get, ("Ansible",)),
        (api.discovery_campaign_add, (ansible_campaign(),)),
    ]:
        with pytest.raises(ApiException) as error:
            call(*args)
        assert code_of(error.value) == (403, "SEC-PERM-001"), error.value.body
    assert not DiscoveryCampaign.objects.exists()
