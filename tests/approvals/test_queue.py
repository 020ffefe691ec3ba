"""The approver's queue and bulk decisions."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from profiles.models import Profile
from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import ProfileFactory, grant, make_csr


def submit(api, cn: str, profile: str = "webra-demo") -> str:
    status, answer = api.submit(
        enroll_body(profile, subject=[{"element": "cn.1", "value": cn}], csr=make_csr()[0])
    )
    assert status == 201 and answer["status"] == "pending", answer
    return answer["_id"]


def bulk_pending(count: int, profile, requester, team=None) -> None:
    """``count`` pending enrollments inserted at once (no submission: only the queue's
    queries are under test)."""
    now = timezone.now()
    Request.objects.bulk_create(
        Request(
            module="webra",
            workflow="enroll",
            status="pending",
            profile=profile,
            requester=requester,
            team=team,
            dn=f"CN=bulk{i}.example.com",
            template={"subject": [{"element": "cn.1", "value": f"bulk{i}.example.com"}]},
            expires_at=now + dt.timedelta(days=7),
            remove_at=now + dt.timedelta(days=30),
        )
        for i in range(count)
    )


def queue_rows(page: str) -> list[str]:
    return re.findall(r'name="ids" value="([0-9a-f-]+)"', page)


@pytest.fixture
def three(profile, requester_api):
    ids = [submit(requester_api, f"host{i}.example.com") for i in range(3)]
    for age, pk in zip((3, 2, 1), ids, strict=True):  # host0 is the oldest
        Request.objects.filter(pk=pk).update(created_at=timezone.now() - dt.timedelta(days=age))
    return ids


def test_the_queue_lists_what_waits_oldest_first_or_newest_first(three, approver, client):
    client.force_login(approver)
    page = client.get("/approvals/").content.decode()
    assert queue_rows(page) == three, page
    newest = client.get("/approvals/?sort=newest").content.decode()
    assert queue_rows(newest) == three[::-1], newest


def test_the_queue_filters_by_name_age_requester_and_workflow(three, approver, client):
    client.force_login(approver)
    assert queue_rows(client.get("/approvals/?q=HOST1").content.decode()) == [three[1]]
    assert queue_rows(client.get("/approvals/?age=1").content.decode()) == three
    Request.objects.filter(pk=three[2]).update(created_at=timezone.now())
    assert queue_rows(client.get("/approvals/?age=1").content.decode()) == three[:2]
    assert queue_rows(client.get("/approvals/?requester=requester").content.decode()) == three
    assert queue_rows(client.get("/approvals/?requester=REQ").content.decode()) == three
    assert queue_rows(client.get("/approvals/?requester=nobody").content.decode()) == []
    assert queue_rows(client.get("/approvals/?workflow=revoke").content.decode()) == []
    page = client.get("/approvals/?workflow=revoke").content.decode()
    assert "No waiting request matches these filters" in page, page


def test_the_queue_counts_per_workflow_and_the_menu_shows_the_number(three, approver, client):
    client.force_login(approver)
    page = client.get("/approvals/").content.decode()
    assert "enroll</a>: 3" in page, page
    menu = client.get("/").content.decode()
    assert re.search(r"To decide <span[^>]*>3<", menu), menu


def test_a_request_close_to_its_expiry_is_flagged(three, approver, client):
    Request.objects.filter(pk=three[0]).update(expires_at=timezone.now() + dt.timedelta(hours=5))
    client.force_login(approver)
    page = client.get("/approvals/").content.decode()
    assert page.count("expires soon") == 1, page


def test_an_approver_without_a_grant_sees_nothing_of_a_profile(three, outsider, pki, client):
    other = ProfileFactory(name="webra-other", ca=pki["issuing"])
    grant(other, outsider, "perform", "enroll")
    client.force_login(outsider)
    page = client.get("/approvals/").content.decode()
    assert queue_rows(page) == [] and "Nothing waits for you" in page, page


def test_the_queue_makes_as_many_queries_for_200_requests_as_for_5(
    profile, team, requester, approver, client, django_assert_max_num_queries
):
    def fill(n):
        bulk_pending(n, profile, requester, team=team)

    client.force_login(approver)
    fill(5)
    client.get("/approvals/")  # warm the session and the content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as five:
        client.get("/approvals/")
    fill(195)
    with django_assert_max_num_queries(len(five)):
        page = client.get("/approvals/").content.decode()
    assert len(queue_rows(page)) == 25, "one page of 25"


# --- bulk ------------------------------------------------------------------------------


def test_bulk_approval_decides_each_and_reports_the_one_that_failed(
    profile, requester, requester_api, approver, pki, client
):
    other = ProfileFactory(name="webra-other", ca=pki["issuing"])
    grant(other, requester, "request", "enroll")
    grant(other, approver, "perform", "enroll")
    ids = [submit(requester_api, f"bulk{i}.example.com") for i in range(9)]
    broken = submit(requester_api, "broken.example.com", profile="webra-other")
    Profile.objects.filter(pk=other.pk).update(enabled=False)
    client.force_login(approver)
    response = client.post(
        "/approvals/bulk", {"ids": [*ids, broken], "decision": "approve", "comment": "batch"}
    )
    page = response.content.decode()
    assert response.status_code == 200, page
    assert all(Request.objects.get(pk=pk).status == "completed" for pk in ids), page
    assert Request.objects.get(pk=broken).status == "pending"
    assert "9 decided, 1 not" in page and "disabled" in page and "REQ-010" in page, page


def test_bulk_deny_needs_a_comment_and_keeps_the_selection_meanwhile(three, approver, client):
    client.force_login(approver)
    response = client.post("/approvals/bulk?sort=newest", {"ids": three[:2], "decision": "deny"})
    page = response.content.decode()
    assert response.status_code == 400 and "Say why you deny them" in page, page
    assert queue_rows(page) == three[::-1], "the same query: newest first"
    assert page.count(" checked") == 2, page
    assert not Request.objects.exclude(status="pending").exists()
    client.post("/approvals/bulk", {"ids": three, "decision": "deny", "comment": "dup"})
    assert set(Request.objects.values_list("status", flat=True)) == {"denied"}


def test_bulk_never_approves_ones_own_request(profile, approver, approver_api, client):
    from profiles.models import Grant

    Grant.objects.filter(profile=profile, user=approver, workflow="enroll").update(level="request")
    own = submit(approver_api, "mine.example.com")
    Grant.objects.filter(profile=profile, user=approver, workflow="enroll").update(level="perform")
    client.force_login(approver)
    page = client.post(
        "/approvals/bulk", {"ids": [own], "decision": "approve", "comment": ""}
    ).content.decode()
    assert "0 decided, 1 not" in page and "own request" in page, page
    assert Request.objects.get(pk=own).status == "pending"


def test_bulk_only_answers_post(profile, approver, client):
    client.force_login(approver)
    assert client.get("/approvals/bulk").status_code == 405


def test_the_queue_search_looks_at_values_not_at_json_member_names(three, approver, client):
    client.force_login(approver)
    for query in ("value", "type", "DNSNAME", "sans"):
        page = client.get("/approvals/", {"q": query}).content.decode()
        assert queue_rows(page) == [], (query, page)


def test_an_expired_request_leaves_the_queue_and_the_count(three, approver, client):
    Request.objects.filter(pk=three[0]).update(expires_at=timezone.now())
    client.force_login(approver)
    assert queue_rows(client.get("/approvals/").content.decode()) == three[1:]
    assert re.search(r"To decide <span[^>]*>2<", client.get("/").content.decode())


def test_a_migration_waits_only_for_approvers_of_both_profiles(
    issue, requester, requester_api, approver, outsider, pki, client
):
    from certificates.models import Certificate

    target = ProfileFactory(name="webra-target", ca=pki["issuing"])
    grant(target, requester, "request", "migrate")
    grant(target, approver, "perform", "migrate")
    grant(target, outsider, "perform", "migrate")  # but nothing on the source profile
    certificate = issue()
    Certificate.objects.filter(pk=certificate["_id"]).update(owner=requester)
    status, answer = requester_api.submit(
        {
            "module": "webra",
            "workflow": "migrate",
            "certificateId": certificate["_id"],
            "profile": "webra-target",
            "template": {},
        }
    )
    assert status == 201 and answer["status"] == "pending", answer
    client.force_login(approver)
    assert queue_rows(client.get("/approvals/").content.decode()) == [answer["_id"]]
    client.force_login(outsider)
    assert queue_rows(client.get("/approvals/").content.decode()) == []


def test_bulk_without_a_selection_says_so(three, approver, client):
    client.force_login(approver)
    response = client.post("/approvals/bulk", {"decision": "approve"})
    assert response.status_code == 400 and "Select at least one" in response.content.decode()


def test_the_menu_says_99_plus_beyond_a_hundred_waiting(profile, requester, approver, client):
    bulk_pending(120, profile, requester)
    client.force_login(approver)
    assert re.search(r"To decide <span[^>]*>99\+<", client.get("/").content.decode())
    queue = client.get("/approvals/").content.decode()
    assert re.search(r"To decide <span[^>]*>120<", queue), "the queue page counts exactly"
