"""POST /api/v1/requests/search: scopes, HRQL filters, paging, permissions, the client's
RequestSearchResultsResponse, and no secrets."""

import base64
import datetime as dt
import json

import pytest
from django.utils import timezone
from horizon.models.request_search_results_response import RequestSearchResultsResponse

from tests.factories import ProfileFactory, TeamFactory, UserFactory, grant
from tests.read_side import ids_of, make_certificate, make_request, search_requests


@pytest.fixture
def requests(profile, requester, approver):
    """Two pending requests of the requester, one completed, one of the approver's own."""
    return {
        "pending": make_request(requester, profile, comment="first"),
        "pending2": make_request(requester, profile, workflow="revoke", dn="CN=old.example"),
        "completed": make_request(
            requester,
            profile,
            status="completed",
            certificate=make_certificate(profile, owner=requester),
        ),
        "approver_own": make_request(approver, profile, status="completed"),
    }


def ok(status, body):
    assert status == 200, body
    return body


def test_requester_self_scope_lists_only_their_requests(requester_api, requests):
    body = ok(*search_requests(requester_api, scope="self"))
    expected = {str(requests[k].pk) for k in ("pending", "pending2", "completed")}
    assert ids_of(body) == expected, body


def test_self_scope_includes_requests_issued_for_the_callers_team(
    requester_api, approver, profile, requester
):
    team = TeamFactory(name="ops")
    team.members.add(requester, approver)
    teams_request = make_request(approver, profile, team=team)
    body = ok(*search_requests(requester_api, scope="self"))
    assert str(teams_request.pk) in ids_of(body), body


def test_outsider_gets_an_empty_page_in_every_scope(outsider_api, requests):
    for scope in ("self", "manage", "search", None):
        body = ok(*search_requests(outsider_api, scope=scope))
        assert body["results"] == [] and body["hasMore"] is False, body


def test_manage_scope_lists_requests_the_approver_may_decide_in_any_status_but_not_their_own(
    approver_api, requests
):
    body = ok(*search_requests(approver_api, scope="manage"))
    expected = {str(requests[k].pk) for k in ("pending", "pending2", "completed")}
    assert ids_of(body) == expected, body


def test_manage_scope_needs_perform_on_the_requests_workflow(api_as, requester, profile, requests):
    deputy = UserFactory(username="deputy")
    grant(profile, deputy, "perform", workflow="revoke")
    grant(profile, deputy, "request", workflow="enroll")
    body = ok(*search_requests(api_as(deputy), scope="manage"))
    assert ids_of(body) == {str(requests["pending2"].pk)}, body


def test_requester_has_nothing_to_manage(requester_api, requests):
    assert ok(*search_requests(requester_api, scope="manage"))["results"] == []


def test_search_scope_is_everything_the_caller_may_see(approver_api, requester_api, requests):
    seen_by_approver = ids_of(ok(*search_requests(approver_api, scope="search")))
    assert seen_by_approver == {str(r.pk) for r in requests.values()}
    seen_by_requester = ids_of(ok(*search_requests(requester_api)))
    assert str(requests["approver_own"].pk) not in seen_by_requester


def test_requester_may_cancel_but_not_approve_their_pending_request(requester_api, requests):
    body = ok(*search_requests(requester_api, query=f'id equals "{requests["pending"].pk}"'))
    assert body["results"][0]["permissions"] == {"approve": False, "cancel": True}, body


def test_approver_may_approve_but_not_cancel_someone_elses_pending_request(approver_api, requests):
    body = ok(*search_requests(approver_api, query=f'id equals "{requests["pending"].pk}"'))
    assert body["results"][0]["permissions"] == {"approve": True, "cancel": False}, body


def test_a_team_member_may_cancel_a_pending_request_of_their_team(
    approver_api, requester, approver, profile
):
    team = TeamFactory(name="ops")
    team.members.add(requester, approver)
    pending = make_request(requester, profile, team=team)
    body = ok(*search_requests(approver_api, query=f"id = {pending.pk}"))
    assert body["results"][0]["permissions"] == {"approve": True, "cancel": True}, body


def test_nobody_may_approve_or_cancel_a_completed_request(approver_api, requester_api, requests):
    query = f"id = {requests['completed'].pk}"
    for api in (approver_api, requester_api):
        body = ok(*search_requests(api, query=query))
        assert body["results"][0]["permissions"] == {"approve": False, "cancel": False}, body


def test_permissions_of_a_page_cost_the_same_queries_for_one_result_or_many(
    approver_api, approver, requester, profile, django_assert_max_num_queries
):
    make_request(requester, profile)
    other = ProfileFactory(name="other", ca=profile.ca)
    grant(other, approver, "perform")
    with django_assert_max_num_queries(8) as one:
        ok(*search_requests(approver_api, withCount=True))
    for index in range(12):
        target = other if index % 2 else profile
        make_request(requester, target, certificate=make_certificate(profile))
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = ok(*search_requests(approver_api, withCount=True))
    assert body["count"] == 13, body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status equals pending", {"pending", "pending2"}),
        ('status is "completed"', {"completed"}),
        ("status is not pending", {"completed"}),
        ("status != pending", {"completed"}),
        ("workflow = revoke", {"pending2"}),
        ("status in [pending, completed] and workflow not equals revoke", {"pending", "completed"}),
        ("module equals webra and profile equals webra-demo", {"pending", "pending2", "completed"}),
        ('requester equals "requester" and dn contains "OLD"', {"pending2"}),
        ("comment.requester equals first", {"pending"}),
        (
            "workflow = revoke or (status = completed and requester = requester)",
            {"pending2", "completed"},
        ),
        ("not (workflow = revoke) && status = pending", {"pending"}),
        ("holderid exists", set()),
    ],
)
def test_queries_filter_what_the_caller_sees(requester_api, requests, query, expected):
    body = ok(*search_requests(requester_api, query=query))
    assert ids_of(body) == {str(requests[k].pk) for k in expected}, body


def test_registration_date_compares_with_epoch_ms_iso_dates_and_offsets(
    requester_api, requester, profile
):
    old = make_request(requester, profile, created_at=timezone.now() - dt.timedelta(days=40))
    new = make_request(requester, profile)
    cutoff_ms = int((timezone.now() - dt.timedelta(days=20)).timestamp() * 1000)
    old_day = old.created_at.strftime("%Y-%m-%d")
    soon = timezone.now() + dt.timedelta(minutes=1)
    cases = {
        f"registrationDate < {cutoff_ms}": {old},
        f"registration.date after {cutoff_ms}": {new},
        f"registration.date >= {cutoff_ms} and registration.date <= now": {new},
        "registration.date before -20d": {old},
        "registration.date after -1h": {new},
        f'registration.date equals "{old_day}"': {old},
        f'registrationDate before "{soon:%Y-%m-%dT%H:%M:%S}Z"': {old, new},
    }
    for query, expected in cases.items():
        body = ok(*search_requests(requester_api, query=query))
        assert ids_of(body) == {str(r.pk) for r in expected}, (query, body)


def test_request_is_expired_finds_requests_past_their_expiration_date(
    requester_api, requester, profile
):
    expired = make_request(requester, profile, created_at=timezone.now() - dt.timedelta(days=9))
    valid = make_request(requester, profile)
    assert ids_of(ok(*search_requests(requester_api, query="request is expired"))) == {
        str(expired.pk)
    }
    assert ids_of(ok(*search_requests(requester_api, query="request is not expired"))) == {
        str(valid.pk)
    }


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("colour equals red", "unknown field 'colour'"),
        ("status equals", "the query ends where a value for status was expected"),
        ("status likes pending", "unknown operator 'likes'"),
        ("status = pending and", "the query ends"),
        ("(status = pending", "the query ends where ')' was expected"),
        ("status = pending workflow = enroll", "unexpected 'workflow'"),
        ("registration.date before yesterday", "'yesterday' is not a date"),
        ("registration.date contains 2025", "registration.date is a date field"),
        ("status before now", "status is a text field"),
        ('dn matches ".*"', "'matches' (regular expressions) is not supported"),
        ("id = 42", "'42' is not an id"),
        ("request is late", "'late' is not one of valid, expired"),
        ('dn = "unterminated', "unexpected character"),
    ],
)
def test_a_bad_query_is_refused_with_hql_001_saying_what_is_wrong(
    requester_api, profile, query, says
):
    status, body = search_requests(requester_api, query=query)
    assert status == 400, body
    assert body["error"] == "HQL-001" and body["message"] == "Invalid HQL query", body
    assert says in body["detail"], body


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"pageIndex": "2"}, "pageIndex"),
        ({"pageIndex": 0}, "pageIndex"),
        ({"pageSize": True}, "pageSize"),
        ({"withCount": "yes"}, "withCount"),
        ({"scope": "everything"}, "scope"),
        ({"query": 5}, "query"),
        ({"sortedBy": [{"element": "colour", "order": "Asc"}]}, "cannot sort by 'colour'"),
        ({"sortedBy": [{"element": "status", "order": "Up"}]}, "order"),
    ],
)
def test_a_malformed_search_body_is_refused_with_req_006(requester_api, profile, body, says):
    status, answer = search_requests(requester_api, **body)
    assert status == 400 and answer["error"] == "REQ-006", answer
    assert says in answer["detail"], answer


def test_a_body_that_is_not_an_object_is_refused(requester_api, profile):
    status, body = requester_api.post("/api/v1/requests/search", [1, 2])
    assert status == 400 and body["error"] == "REQ-006", body


def test_pages_are_one_based_and_say_whether_more_follow(requester_api, requester, profile):
    made = [
        make_request(requester, profile, created_at=timezone.now() - dt.timedelta(minutes=i))
        for i in range(5)
    ]
    newest_first = [str(r.pk) for r in made]
    first = ok(*search_requests(requester_api, pageSize=2, withCount=True))
    assert [r["_id"] for r in first["results"]] == newest_first[:2], first
    assert first["pageIndex"] == 1 and first["hasMore"] is True and first["count"] == 5, first
    last = ok(*search_requests(requester_api, pageIndex=3, pageSize=2))
    assert [r["_id"] for r in last["results"]] == newest_first[4:], last
    assert last["hasMore"] is False and "count" not in last, last


def test_sorted_by_orders_results(requester_api, requester, profile):
    older = make_request(requester, profile, created_at=timezone.now() - dt.timedelta(days=1))
    newer = make_request(requester, profile)
    sort = [{"element": "registrationDate", "order": "Asc"}]
    body = ok(*search_requests(requester_api, sortedBy=sort))
    assert [r["_id"] for r in body["results"]] == [str(older.pk), str(newer.pk)], body


def test_page_size_is_capped_at_one_hundred(requester_api, requests):
    body = ok(*search_requests(requester_api, pageSize=10_000))
    assert body["pageSize"] == 100, body


def test_fields_keep_only_the_asked_keys_plus_id_and_permissions(requester_api, requests):
    body = ok(*search_requests(requester_api, fields=["status"], query="status = completed"))
    assert set(body["results"][0]) == {"_id", "status", "permissions"}, body
    body = ok(*search_requests(requester_api, fields=[], query="status = completed"))
    assert set(body["results"][0]) == {"_id", "permissions"}, body


def test_results_parse_with_the_clients_model_including_the_certificate(requester_api, requests):
    status, body = search_requests(requester_api, withCount=True)
    assert status == 200, body
    parsed = RequestSearchResultsResponse.from_json(json.dumps(body))
    by_id = {r.id: r for r in parsed.results}
    completed = by_id[str(requests["completed"].pk)]
    assert completed.certificate.dn == "CN=web.example.com", body
    assert completed.certificate_id == str(requests["completed"].certificate_id)
    assert completed.permissions.cancel is False
    assert parsed.count == 3 and parsed.page_index == 1


def test_search_results_never_carry_secrets(requester_api, requester, profile):
    request = make_request(requester, profile)
    request.seal_password("Very-Secret-Password-1")
    request.seal_pkcs12(b"pkcs12-bytes-that-must-stay-sealed")
    request.save()
    status, body = search_requests(requester_api)
    raw = json.dumps(body)
    assert status == 200, body
    for secret in (
        "Very-Secret-Password-1",
        base64.b64encode(b"pkcs12-bytes-that-must-stay-sealed").decode(),
    ):
        assert secret not in raw, body
    assert not {"password", "pkcs12", "template"} & set(body["results"][0]), body


def test_search_needs_credentials(profile):
    from tests.conftest import Api

    status, body = Api().post("/api/v1/requests/search", {})
    assert status == 401 and body["error"] == "SEC-AUTH-009", body


def test_another_principal_with_a_grant_elsewhere_sees_nothing_here(requests, api_as):
    stranger = UserFactory(username="stranger")
    other = ProfileFactory(name="elsewhere", ca=requests["pending"].profile.ca)
    grant(other, stranger, "perform")
    body = ok(*search_requests(api_as(stranger), scope="search"))
    assert body["results"] == [], body
