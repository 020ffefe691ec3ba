"""Horizon's TriggerApi through the official client, against a live server: email and REST
triggers round-trip (add, get, list, update, delete), a secret header comes back masked and
keeps its value, and ``trigger_test`` sends a real test message."""

import horizon
import pytest
from horizon.models.map_entry import MapEntry
from horizon.models.rest_trigger_test_response import RestTriggerTestResponse
from horizon.models.trigger_test_request import TriggerTestRequest
from horizon.models.trigger_test_request_trigger import TriggerTestRequestTrigger
from horizon.models.trigger_update_request import TriggerUpdateRequest

from tests.contract.conftest import client_for  # noqa: F401 (fixture)
from tests.triggers.conftest import email_trigger, rest_trigger
from triggers.definition import MASK
from triggers.models import Trigger

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def triggers_api(client_for, staff):  # noqa: F811
    return horizon.TriggerApi(client_for(staff))


def _request(body: dict) -> TriggerUpdateRequest:
    return TriggerUpdateRequest.from_dict(body)


def test_an_email_trigger_round_trips_through_the_official_client(triggers_api):
    body = email_trigger("mail-approvers", "on_submit_enroll", title="Waiting: {{request.dn}}")
    added = triggers_api.trigger_add(_request(body)).actual_instance
    assert (added.name, added.type, added.events) == (
        "mail-approvers",
        "email",
        ["on_submit_enroll"],
    )
    assert added.email_template.title == "Waiting: {{request.dn}}"

    got = triggers_api.trigger_get("mail-approvers").actual_instance
    assert got.email_template.to[0].email == "pki-team@example.com"

    body["emailTemplate"]["title"] = "Decide on {{request.dn}}"
    updated = triggers_api.trigger_update(_request(body)).actual_instance
    assert updated.email_template.title == "Decide on {{request.dn}}"
    assert [t.actual_instance.name for t in triggers_api.trigger_list()] == ["mail-approvers"]

    triggers_api.trigger_delete("mail-approvers")
    assert not Trigger.objects.exists()


def test_a_rest_trigger_keeps_its_secret_header_sealed_and_shows_it_masked(triggers_api):
    body = rest_trigger("hook", "on_enroll", "https://hooks.example.org/ra")
    added = triggers_api.trigger_add(_request(body)).actual_instance
    headers = {h.name: h.value for h in added.sequence[0].headers}
    assert headers == {"Authorization": MASK, "X-Source": "ra-portal"}
    stored = Trigger.objects.get(name="hook")
    assert b"hook-token" not in bytes(stored.sealed_headers)  # sealed at rest
    assert "hook-token" not in str(stored.definition)

    # What the client read back, sent back unchanged: the sealed value is kept.
    again = added.to_dict()
    again.pop("_id")
    triggers_api.trigger_update(_request(again))
    stored.refresh_from_db()
    assert stored.header_values() == ["Bearer hook-token-1234567890", "ra-portal"]


def test_a_trigger_of_a_kind_the_portal_does_not_run_is_refused_with_trig_002(staff_api):
    status, body = staff_api.post(
        "/api/v1/triggers", {"name": "akv", "type": "akv", "events": ["on_enroll"]}
    )
    assert (status, body["error"]) == (400, "TRIG-002"), body


def test_a_second_trigger_of_the_same_name_is_refused_with_trig_004(staff_api, create_trigger):
    create_trigger(email_trigger("twice", "on_enroll", title="x"))
    status, body = staff_api.post(
        "/api/v1/triggers", email_trigger("twice", "on_enroll", title="y")
    )
    assert (status, body["error"]) == (400, "TRIG-004"), body


def test_a_trigger_a_profile_lists_cannot_be_deleted(staff_api, create_trigger, profile):
    create_trigger(email_trigger("listed", "on_enroll", title="x"))
    profile.triggers = {"onEnroll": ["listed"]}
    profile.save()
    response = staff_api.client.delete("/api/v1/triggers/listed", **staff_api.headers)
    assert response.status_code == 400 and response.json()["error"] == "TRIG-005", response.json()
    assert "webra-demo" in response.json()["detail"]


def test_trigger_test_sends_a_test_mail(triggers_api, smtp_sink):
    body = email_trigger("try-me", "on_enroll", title="Test for {{request.dn}}")
    request = TriggerTestRequest(
        trigger=TriggerTestRequestTrigger.from_dict(body),
        dictionary=[MapEntry(key="request.dn", value="CN=try.example.com")],
    )
    answer = triggers_api.trigger_test(request).actual_instance
    assert answer.status == "success", answer
    assert smtp_sink.subjects() == ["Test for CN=try.example.com"]


def test_trigger_test_calls_the_webhook_and_reports_its_answer(
    triggers_api, httpserver, loopback_allowed
):
    httpserver.expect_request("/try", method="POST").respond_with_json({"ok": True}, status=200)
    body = rest_trigger("try-hook", "on_enroll", httpserver.url_for("/try"))
    request = TriggerTestRequest(trigger=TriggerTestRequestTrigger.from_dict(body))
    # The client's own oneOf cannot tell the two answers apart (an email answer's two fields
    # are in every REST answer, and its models ignore extra fields): read the body with the
    # REST answer's model, as a caller of that client has to.
    raw = triggers_api.trigger_test_without_preload_content(request)
    assert raw.status == 200, raw.data
    answer = RestTriggerTestResponse.from_json(raw.data.decode())
    assert (answer.status, answer.response_code) == ("success", 200), answer
    assert {h.name: h.value for h in answer.request_headers}["Authorization"] == MASK
    assert len(httpserver.log) == 1
