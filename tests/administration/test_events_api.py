"""Horizon's events API over the sealed audit log: get, search, verify/validate, for
administrators only; answers parsed with the official client's models, and the client's
``EventApi`` against a live server."""

import json

import horizon
import pytest
from django.db import connection
from horizon.models.event_response import EventResponse
from horizon.models.event_search_results_response import EventSearchResultsResponse
from horizon.models.event_validate400_response import EventValidate400Response
from horizon.models.event_validate404_response import EventValidate404Response

from raportal.models import AuditEvent, record
from tests.administration.api_calls import code_of, failure
from tests.factories import TeamFactory


@pytest.fixture
def log(db, requester):
    team = TeamFactory(name="blue")
    events = [
        record(requester, "team.update", team, name="blue", members=["a", "b"]),
        record(None, "request.submit.enroll", team, status="pending"),
        record(requester, "certificate.revoke", team, serial="0A", reason="keyCompromise"),
        record(None, "notification.failed", team, kind="mail", error="refused"),
    ]
    return events


def edit_with_sql(event: AuditEvent) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE raportal_auditevent SET detail = %s WHERE id = %s",
            [json.dumps({"serial": "FF"}), event.pk],
        )


def body(response) -> dict:
    return json.loads(response.content)


def test_an_event_reads_as_horizons_event_response(staff_api, log):
    revoke = log[2]
    response = staff_api.get(f"/api/v1/events/{revoke.pk}")
    assert response.status_code == 200, response.content
    event = EventResponse.from_dict(body(response))
    assert (event.id, event.code.value, event.module.value, event.status) == (
        str(revoke.pk),
        "LIFECYCLE-REVOKE",
        "webra",
        "success",
    )
    assert event.seal == revoke.seal and event.node
    assert event.timestamp == int(revoke.at.timestamp() * 1000)
    details = {detail.key: detail.value for detail in event.details}
    assert details["action"] == "certificate.revoke" and details["reason"] == "keyCompromise"
    assert details["principal"] == "requester" and details["hash"] == revoke.hash
    assert details["sequence"] == str(revoke.sequence)
    members = staff_api.get(f"/api/v1/events/{log[0].pk}")
    assert {d["key"]: d["value"] for d in body(members)["details"]}["members"] == '["a", "b"]'


def test_a_failed_notification_is_a_failure(staff_api, log):
    event = EventResponse.from_dict(body(staff_api.get(f"/api/v1/events/{log[3].pk}")))
    assert (event.code.value, event.status) == ("TRIGGER-EMAIL", "failure")


@pytest.mark.parametrize("reference", ["987654", "not-a-number", "9" * 40, "²"])
def test_an_unknown_event_is_evt_003(staff_api, log, reference):
    response = staff_api.get(f"/api/v1/events/{reference}")
    assert response.status_code == 404, response.content
    problem = EventValidate404Response.from_dict(body(response))
    assert problem.error == "EVT-003"


@pytest.mark.parametrize(
    ("query", "actions"),
    [
        ('code equals "LIFECYCLE-REVOKE"', ["certificate.revoke"]),
        (
            "code in [REQUEST-SUBMIT, LIFECYCLE-REVOKE]",
            ["certificate.revoke", "request.submit.enroll"],
        ),
        ("module is security", ["team.update"]),
        ("module is webra", ["certificate.revoke", "request.submit.enroll"]),
        ("status is success", ["certificate.revoke", "request.submit.enroll", "team.update"]),
        ("status is failure", ["notification.failed"]),
        ('principal equals "requester"', ["certificate.revoke", "team.update"]),
        ('action contains "submit"', ["request.submit.enroll"]),
        ("code is CRMP-ENROLL", []),
        (
            'timestamp after "-1d" and objectType equals team',
            ["certificate.revoke", "notification.failed", "request.submit.enroll", "team.update"],
        ),
        ("not (module is webra or status is failure)", ["team.update"]),
    ],
)
def test_search_speaks_hrql_over_horizons_names(staff_api, log, query, actions):
    response = staff_api.post("/api/v1/events/search", {"query": query}, format="json")
    assert response.status_code == 200, response.content
    results = EventSearchResultsResponse.from_dict(body(response))
    found = sorted(
        next(d.value for d in result.details if d.key == "action") for result in results.results
    )
    assert found == actions, body(response)


def test_search_pages_counts_and_sorts(staff_api, log):
    response = staff_api.post(
        "/api/v1/events/search",
        {
            "pageIndex": 1,
            "pageSize": 3,
            "withCount": True,
            "sortedBy": [{"element": "timestamp", "order": "Asc"}],
        },
        format="json",
    )
    results = EventSearchResultsResponse.from_dict(body(response))
    total = AuditEvent.objects.count()
    assert (results.count, results.page_size, results.has_more) == (total, 3, total > 3)
    ids = [int(result.id) for result in results.results]
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    "search",
    [
        {"query": "code equals NOT-A-CODE"},
        {"query": "nosuchfield is x"},
        {"query": f"id in [1, {'9' * 40}]"},
        {"pageSize": "ten"},
    ],
)
def test_a_bad_search_is_evt_002(staff_api, log, search):
    response = staff_api.post("/api/v1/events/search", search, format="json")
    assert response.status_code == 400 and body(response)["error"] == "EVT-002", response.content


def test_an_intact_chain_validates_by_get_and_by_post(staff_api, log):
    verify = staff_api.get("/api/v1/events/verify")
    assert verify.status_code == 201 and body(verify)["valid"] is True, verify.content
    validate = staff_api.post("/api/v1/events/validate", {}, format="json")
    assert validate.status_code == 201, validate.content
    assert body(validate)["checked"] == body(verify)["checked"] == AuditEvent.objects.count()
    one = staff_api.get(f"/api/v1/events/verify?id={log[1].pk}")
    assert one.status_code == 201 and body(one)["checked"] == 1, one.content
    ranged = staff_api.post(
        "/api/v1/events/validate", {"from": str(log[0].pk), "to": log[2].pk}, format="json"
    )
    assert ranged.status_code == 201 and body(ranged)["checked"] == 3, ranged.content


def test_an_sql_edit_makes_verify_and_validate_answer_evt_004_naming_the_event(staff_api, log):
    victim = log[2]
    edit_with_sql(victim)
    for response in (
        staff_api.get("/api/v1/events/verify"),
        staff_api.post("/api/v1/events/validate", {}, format="json"),
        staff_api.get(f"/api/v1/events/verify?id={victim.pk}"),
    ):
        assert response.status_code == 400, response.content
        problem = EventValidate400Response.from_dict(body(response))
        assert (problem.error, problem.title, problem.message) == (
            "EVT-004",
            "Invalid Event",
            "Invalid Event",
        )
        assert f"event {victim.pk} (sequence {victim.sequence}): hash mismatch" in problem.detail
    before = staff_api.get(f"/api/v1/events/verify?to={log[1].pk}")
    assert before.status_code == 201, before.content  # the events before it still hold


def test_validating_an_unknown_event_is_evt_003(staff_api, log):
    response = staff_api.post("/api/v1/events/validate", {"id": "424242"}, format="json")
    assert response.status_code == 404, response.content
    assert EventValidate404Response.from_dict(body(response)).error == "EVT-003"
    huge = staff_api.get(f"/api/v1/events/verify?from={'9' * 40}")
    assert huge.status_code == 404, huge.content
    wrong = staff_api.post("/api/v1/events/validate", {"from": [1]}, format="json")
    assert wrong.status_code == 400, wrong.content


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/events/1"),
        ("post", "/api/v1/events/search"),
        ("get", "/api/v1/events/verify"),
        ("post", "/api/v1/events/validate"),
    ],
)
def test_only_administrators_read_events(api_client_for, requester, log, method, path):
    response = getattr(api_client_for(requester), method)(path, {}, format="json")
    assert response.status_code == 403 and body(response)["error"] == "SEC-PERM-001"
    anonymous = getattr(type(api_client_for(requester))(), method)(path, {}, format="json")
    assert anonymous.status_code == 401, anonymous.content


# --- the official client, against a live server -------------------------------------------


@pytest.fixture
def events_api(client_for, staff):
    return horizon.EventApi(client_for(staff))


def test_the_official_client_gets_searches_and_validates(events_api, transactional_db, log):
    revoke = log[2]
    event = events_api.event_get(str(revoke.pk))
    assert event.code.value == "LIFECYCLE-REVOKE" and event.seal == revoke.seal
    results = events_api.event_search(
        horizon.EventSearchQuery(query="module is webra", with_count=True)
    )
    assert results.count == 2 and {r.code.value for r in results.results} == {
        "REQUEST-SUBMIT",
        "LIFECYCLE-REVOKE",
    }
    assert events_api.event_validate() is None  # 201: the chain holds
    assert events_api.event_validate(id=str(revoke.pk)) is None
    edit_with_sql(revoke)
    error = failure(events_api.event_validate)
    assert code_of(error) == (400, "EVT-004")
    assert isinstance(error.data, EventValidate400Response), error.data
    assert f"event {revoke.pk}" in error.data.detail
    missing = failure(events_api.event_get, "987654")
    assert code_of(missing) == (404, "EVT-003")


def test_verify_events_and_the_apis_validate_answer_the_same(staff_api, log):
    """Issue 15: editing one event row with SQL makes verify_events fail and name that row;
    untouched, it passes; the API's validate answers the same."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("verify_events", stdout=out)
    intact = staff_api.post("/api/v1/events/validate", {}, format="json")
    assert intact.status_code == 201 and body(intact)["summary"] in out.getvalue()
    victim = log[1]
    edit_with_sql(victim)
    with pytest.raises(CommandError) as caught:
        call_command("verify_events")
    named = f"event {victim.pk} (sequence {victim.sequence})"
    assert named in str(caught.value)
    broken = staff_api.post("/api/v1/events/validate", {}, format="json")
    assert broken.status_code == 400 and body(broken)["detail"] == str(caught.value)
