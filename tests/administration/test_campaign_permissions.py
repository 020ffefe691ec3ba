"""Discovery rights in principal infos: ``discovery:feed`` / ``discovery:search`` with the
filter ``campaign = <name>``, through the official client; they let the account feed or
search a campaign whose level for it is ``authorized``."""

import pytest
from horizon.exceptions import ApiException
from horizon.models.principal_info import PrincipalInfo

from discovery.models import CampaignPermission
from tests.administration.api_calls import code_of, problem
from tests.conftest import Api
from tests.discovery.helpers import FEED, feed_body, make_campaign, self_signed
from tests.factories import UserFactory


@pytest.fixture
def campaigns(db):
    return make_campaign("datacenter"), make_campaign("office")


def info(*permissions: dict) -> PrincipalInfo:
    return PrincipalInfo.from_dict(
        {"identifier": "scanner", "enabled": True, "permissions": list(permissions)}
    )


def rights_of(username: str) -> set[tuple[str, str]]:
    return set(
        CampaignPermission.objects.filter(user__username=username).values_list(
            "campaign__name", "right"
        )
    )


def test_a_principal_info_gives_discovery_rights_that_let_the_account_feed(
    principals_api, campaigns
):
    added = principals_api.security_principal_info_add(
        info(
            {"value": "discovery:feed", "filter": "campaign = datacenter"},
            {"value": "discovery:search", "filter": 'campaign equals "office"'},
        )
    )
    assert {(p.value, p.filter) for p in added.permissions} == {
        ("discovery:feed", "campaign = datacenter"),
        ("discovery:search", "campaign = office"),
    }
    assert rights_of("scanner") == {("datacenter", "feed"), ("office", "search")}
    scanner = UserFactory(username="scanner")
    status, body = Api(scanner).post(FEED, feed_body(self_signed()[0], campaign="datacenter"))
    assert status == 204, body
    status, body = Api(scanner).post(FEED, feed_body(self_signed()[0], campaign="office"))
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body

    principals_api.security_principal_info_update(
        info({"value": "discovery:search", "filter": "campaign = datacenter"})
    )
    assert rights_of("scanner") == {("datacenter", "search")}, "PUT sets the whole list"
    principals_api.security_principal_info_delete("scanner")
    assert rights_of("scanner") == set()


@pytest.mark.parametrize(
    ("permission", "expected"),
    [
        ({"value": "discovery:feed"}, "needs the filter 'campaign = <name>'"),
        ({"value": "discovery:*", "filter": "campaign = office"}, "expected discovery:feed"),
        ({"value": "discovery:scan", "filter": "campaign = office"}, "expected discovery:feed"),
        ({"value": "discovery:feed", "filter": "campaign = nope"}, "no discovery campaign"),
    ],
)
def test_a_malformed_discovery_permission_is_refused_naming_it(
    principals_api, campaigns, permission, expected
):
    with pytest.raises(ApiException) as error:
        principals_api.security_principal_info_add(info(permission))
    assert code_of(error.value) == (400, "SEC-PI-002"), error.value.body
    assert expected in problem(error.value)["detail"], error.value.body
    assert not CampaignPermission.objects.exists()
