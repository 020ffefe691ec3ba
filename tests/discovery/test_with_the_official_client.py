"""The Ansible suite's discovery journeys, through the official client against a live server:
horizon_certificate_feed (feed, then look the certificate up by PEM for its discoveryInfo
and discoveryData) and horizon_certificate_import (feed a self-signed certificate, look up its
``_id``, import its private key into it)."""

import json

import horizon
import pytest
from horizon.exceptions import ApiException
from horizon.models.discovery_feed import DiscoveryFeed
from horizon.models.request_submit_request import RequestSubmitRequest

from certificates.models import Certificate
from tests.administration.api_calls import code_of
from tests.discovery.helpers import feed_body, make_campaign, self_signed


@pytest.fixture
def campaign(db):
    return make_campaign("Ansible", hosts=["localhost"], ports=["443"])


def feed(client, pem: str, **changes) -> None:
    # As the collection does: DiscoveryFeed.model_validate, then discovery_feed.
    body = DiscoveryFeed.model_validate(feed_body(pem) | changes)
    assert horizon.DiscoveryFeedApi(client).discovery_feed(body) is None


def test_a_fed_certificate_is_looked_up_by_pem_with_its_campaign_and_host(
    client_for, staff, campaign
):
    client = client_for(staff)
    pem, _, _ = self_signed("IntegrationTestCI-feed.example.com")
    feed(client, pem)
    looked_up = horizon.CertificateApi(client).certificate_get_pem(pem)
    plain = looked_up.to_dict()
    assert [info["campaign"] for info in plain["discoveryInfo"]] == ["Ansible"], plain
    assert [host["ip"] for host in plain["discoveryData"]] == ["0.0.0.1"], plain


def test_feeding_an_unknown_campaign_raises_the_clients_404_model(client_for, staff, campaign):
    client = client_for(staff)
    with pytest.raises(ApiException) as error:
        feed(client, self_signed()[0], campaign="missing")
    assert code_of(error.value) == (404, "DISC-CAMP-003"), error.value.body
    assert error.value.data.error == "DISC-CAMP-003"


def test_feeding_a_bad_certificate_raises_the_clients_400_model(client_for, staff, campaign):
    with pytest.raises(ApiException) as error:
        feed(client_for(staff), "not a certificate")
    assert code_of(error.value) == (400, "DISC-FEED-002"), error.value.body
    assert error.value.data.error == "DISC-FEED-002"


def test_a_private_key_is_imported_into_a_fed_certificate_by_its_id(
    client_for, staff, campaign, profile, approver
):
    # The approver holds perform on the demo-like profile, which escrows keys; staff feed.
    pem, key_pem, _ = self_signed("key-only.example.com")
    feed(client_for(staff), pem)
    campaign.search_level = "authenticated"
    campaign.save()
    client = client_for(approver)
    found = horizon.CertificateApi(client).certificate_get_pem(pem)
    body = {
        "workflow": "import",
        "module": "webra",
        "profile": "webra-demo",
        "template": {"privateKey": key_pem, "metadata": [], "labels": []},
        "certificateId": found.id,
    }
    answer = horizon.RequestApi(client).request_submit(
        RequestSubmitRequest.from_json(json.dumps(body))
    )
    imported = answer.actual_instance
    assert imported.status == "completed", imported
    assert imported.certificate["_id"] == found.id and imported.certificate["certificate"]
    assert Certificate.objects.get(pk=found.id).escrowed
