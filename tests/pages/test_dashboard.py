"""The home dashboard: each role's charts count what the list behind each bar shows, in a
number of queries that does not grow with the data."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.models import Certificate
from profiles.models import Grant
from requests_app.models import Request
from tests.conftest import Api, enroll_body
from tests.factories import ProfileFactory, UserFactory, grant, make_csr

DAY = dt.timedelta(days=1)


def page_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.content.decode()[:500]
    return response.content.decode()


def chart_links(page: str, chart_id: str) -> dict[str, str]:
    """The chart's bars: accessible name → link."""
    assert f'id="{chart_id}"' in page, f"no chart {chart_id}"
    figure = page.split(f'<figure class="chart mb-0" id="{chart_id}">', 1)[1].split("</figure>")[0]
    found = re.findall(r'<a class="chart-link" href="([^"]*)" aria-label="([^"]*)">', figure)
    return {html.unescape(label): html.unescape(href) for href, label in found}


def listed(client, path: str) -> set[str]:
    """The ids of the certificates or requests a list page shows in its table."""
    body = page_of(client, path).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return set(re.findall(r'href="/(?:certificates|requests|approvals)/([0-9a-f-]{36})/"', body))


def submit(api: Api, cn: str, profile: str = "webra-demo") -> str:
    status, answer = api.submit(
        enroll_body(profile, subject=[{"element": "cn.1", "value": cn}], csr=make_csr()[0])
    )
    assert status == 201, answer
    return answer["_id"]


def waited(request_id: str, age: dt.timedelta) -> None:
    """Submitted ``age`` ago, still open for three more days."""
    now = timezone.now()
    Request.objects.filter(pk=request_id).update(created_at=now - age, expires_at=now + 3 * DAY)


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


def test_a_requester_sees_what_expires_within_7_30_and_90_days_and_each_bar_opens_that_list(
    issue, requester, client
):
    ids = {}
    for days in (3, 20, 60, 200):
        ids[days] = issue(cn=f"in{days}.example.com", owned_by=requester)["_id"]
        Certificate.objects.filter(pk=ids[days]).update(not_after=timezone.now() + days * DAY)
    client.force_login(requester)
    links = chart_links(page_of(client, "/"), "chart-expiring")
    assert links == {
        "1 certificate expiring within 7 days": "/certificates/expiring/?within=7",
        "2 certificates expiring within 30 days": "/certificates/expiring/?within=30",
        "3 certificates expiring within 90 days": "/certificates/expiring/?within=90",
    }
    assert listed(client, "/certificates/expiring/?within=30") == {ids[3], ids[20]}
    assert listed(client, "/certificates/expiring/?within=90") == {ids[3], ids[20], ids[60]}


def test_a_requesters_pending_requests_are_counted_by_profile_and_each_bar_opens_that_list(
    pki, profile, requester, requester_api, approver_api, client
):
    other = ProfileFactory(name="webra-other", display_name="Other servers", ca=pki["issuing"])
    grant(other, requester, "request")
    first, second = submit(requester_api, "a.example.com"), submit(requester_api, "b.example.com")
    elsewhere = submit(requester_api, "c.example.com", "webra-other")
    denied = submit(requester_api, "d.example.com")
    assert approver_api.post("/api/v1/requests/deny", {"_id": denied})[0] == 200
    client.force_login(requester)
    links = chart_links(page_of(client, "/"), "chart-pending")
    assert links == {
        f"2 pending requests on {profile}": "/requests/?status=pending&profile=webra-demo",
        "1 pending request on Other servers": "/requests/?status=pending&profile=webra-other",
    }
    assert listed(client, "/requests/?status=pending&profile=webra-demo") == {first, second}
    assert listed(client, "/requests/?status=pending&profile=webra-other") == {elsewhere}


def test_an_approver_sees_the_queue_by_profile_and_age_and_each_bar_opens_the_matching_queue(
    profile, requester_api, approver, client
):
    ages = {"fresh": 2, "day": 30, "days": 50, "week": 100}  # hours
    ids = {name: submit(requester_api, f"{name}.example.com") for name in ages}
    for name, hours in ages.items():
        waited(ids[name], dt.timedelta(hours=hours))
    client.force_login(approver)
    page = page_of(client, "/")
    assert chart_links(page, "chart-queue-profile") == {
        f"4 requests on {profile} waiting for you": "/approvals/?profile=webra-demo"
    }
    by_age = chart_links(page, "chart-queue-age")
    assert by_age == {
        "1 request waiting under a day": "/approvals/?age=0-1",
        "2 requests waiting 1 to 3 days": "/approvals/?age=1-3",
        "1 request waiting 3 to 7 days": "/approvals/?age=3-7",
    }, by_age  # "a week or more": 0, no bar to click
    assert re.search(r">a week or more</th><td[^>]*>0</td>", page), page  # in the table
    assert listed(client, "/approvals/?age=1-3") == {ids["day"], ids["days"]}
    assert listed(client, "/approvals/?age=3-7") == {ids["week"]}
    assert listed(client, "/approvals/?profile=webra-demo") == set(ids.values())


def test_an_approvers_decisions_are_counted_per_day_and_outcome_and_link_to_their_decisions(
    profile, requester_api, approver_api, approver, admin, client
):
    approved = [submit(requester_api, f"ok{n}.example.com") for n in range(2)]
    denied = submit(requester_api, "no.example.com")
    by_admin = submit(requester_api, "admin.example.com")
    for request_id in approved:
        assert approver_api.post("/api/v1/requests/approve", {"_id": request_id})[0] == 200
    assert approver_api.post("/api/v1/requests/deny", {"_id": denied})[0] == 200
    assert Api(admin).post("/api/v1/requests/approve", {"_id": by_admin})[0] == 200
    Request.objects.filter(pk=denied).update(updated_at=timezone.now() - 2 * DAY)
    today = timezone.localdate()
    before = today - 2 * DAY
    client.force_login(approver)
    links = chart_links(page_of(client, "/"), "chart-decisions")
    assert links == {
        f"2 requests approved on {today}": f"/approvals/decided/?on={today}&outcome=approved",
        f"1 request denied on {before}": f"/approvals/decided/?on={before}&outcome=denied",
    }, links
    assert listed(client, links[f"2 requests approved on {today}"]) == set(approved)
    assert listed(client, links[f"1 request denied on {before}"]) == {denied}
    assert listed(client, "/approvals/decided/") == {*approved, denied}  # not the admin's


def test_an_administrator_sees_issuance_per_day_profile_and_protocol_and_expiry_per_week(
    issue, admin, client
):
    now, today = timezone.now(), timezone.localdate()
    recent, older, device = (issue(cn=f"{n}.example.com")["_id"] for n in ("a", "b", "c"))
    Certificate.objects.filter(pk=older).update(not_before=now - 3 * DAY)
    Certificate.objects.filter(pk=device).update(module="est", not_after=now + 9 * DAY)
    Certificate.objects.filter(pk__in=[recent, older]).update(not_after=now + 40 * DAY)
    client.force_login(admin)
    page = page_of(client, "/")
    three_days_ago = today - 3 * DAY
    per_day = chart_links(page, "chart-issued-day")
    assert per_day == {
        f"2 certificates issued on {today}": (
            f"/certificates/?scope=all&issued_from={today}&issued_to={today}"
        ),
        f"1 certificate issued on {three_days_ago}": (
            f"/certificates/?scope=all&issued_from={three_days_ago}&issued_to={three_days_ago}"
        ),
    }, per_day
    assert listed(client, per_day[f"2 certificates issued on {today}"]) == {recent, device}
    window = f"scope=all&issued_from={today - 29 * DAY}&issued_to={today}"
    assert chart_links(page, "chart-issued-profile") == {
        "3 certificates issued on webra-demo in the last 30 days": (
            f"/certificates/?{window}&profile=webra-demo"
        )
    }
    mix = chart_links(page, "chart-protocols")
    assert mix == {
        "2 certificates issued through WebRA in the last 30 days": (
            f"/certificates/?{window}&module=webra"
        ),
        "1 certificate issued through EST in the last 30 days": (
            f"/certificates/?{window}&module=est"
        ),
    }, mix
    assert listed(client, mix["1 certificate issued through EST in the last 30 days"]) == {device}
    weeks = chart_links(page, "chart-expiry-week")
    second_week, sixth_week = today + 7 * DAY, today + 35 * DAY
    assert set(weeks) == {
        f"1 certificate expiring from {second_week} to {second_week + 6 * DAY}",
        f"2 certificates expiring from {sixth_week} to {sixth_week + 6 * DAY}",
    }, weeks
    assert listed(
        client, weeks[f"2 certificates expiring from {sixth_week} to {sixth_week + 6 * DAY}"]
    ) == {recent, older}


def test_each_role_sees_only_its_sections(profile, requester, approver, admin, outsider, client):
    assert "Dashboard" not in page_of(client, "/")  # signed out: the CAs only
    expected = {
        outsider: (False, False),
        requester: (False, False),  # holds request, never perform
        approver: (True, False),
        admin: (True, True),
    }
    for user, (approvals, portal) in expected.items():
        client.force_login(user)
        page = page_of(client, "/")
        assert 'id="chart-expiring"' in page and 'id="chart-pending"' in page
        assert ('id="chart-queue-age"' in page) is approvals, user
        assert ('id="chart-issued-day"' in page) is portal, user


def test_the_wider_certificate_list_shows_only_what_the_access_policy_lets_one_see(
    issue, approver, outsider, client
):
    mine = issue(cn="mine.example.com")["_id"]  # the approver's
    client.force_login(outsider)
    assert listed(client, "/certificates/?scope=all") == set()
    client.force_login(approver)
    assert listed(client, "/certificates/?scope=all&profile=webra-demo") == {mine}
    assert listed(client, "/certificates/?scope=all&profile=~") == set()


def test_the_home_page_runs_as_many_queries_with_more_data_and_few_of_them(
    pki, issue, requester_api, approver_api, admin, client
):
    client.force_login(admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page_of(client, "/")
        return len(captured)

    issue(cn="first.example.com")
    submit(requester_api, "first-request.example.com")
    few = queries()
    other = ProfileFactory(name="webra-more", ca=pki["issuing"])
    grant(other, admin, "perform")
    for n in range(4):
        certificate = issue(cn=f"more{n}.example.com")["_id"]
        Certificate.objects.filter(pk=certificate).update(
            profile=other, module="acme", not_before=timezone.now() - n * DAY
        )
        approver_api.post("/api/v1/requests/deny", {"_id": submit(requester_api, f"r{n}.ex")})
        submit(requester_api, f"p{n}.example.com")
    assert queries() == few
    assert few <= 20, few


def test_your_decisions_shows_no_one_elses_and_reads_a_bad_date_as_none(
    profile, requester_api, approver_api, outsider, approver, client
):
    decided = submit(requester_api, "ok.example.com")
    assert approver_api.post("/api/v1/requests/approve", {"_id": decided})[0] == 200
    client.force_login(outsider)  # approves nothing: the page is not theirs (404)
    assert client.get("/approvals/decided/").status_code == 404
    client.force_login(approver)
    assert listed(client, "/approvals/decided/?on=yesterday-ish") == {decided}
    assert listed(client, "/approvals/decided/?outcome=denied") == set()


def test_a_decision_on_a_profile_one_may_no_longer_approve_on_leaves_ones_decisions(
    pki, profile, requester_api, approver_api, approver, client
):
    decided = submit(requester_api, "ok.example.com")
    assert approver_api.post("/api/v1/requests/approve", {"_id": decided})[0] == 200
    client.force_login(approver)
    assert listed(client, "/approvals/decided/") == {decided}
    # Their grants on the profile are taken away; they still approve on another one.
    Grant.objects.filter(profile=profile, user=approver).delete()
    elsewhere = ProfileFactory(name="webra-elsewhere", ca=pki["issuing"])
    grant(elsewhere, approver, "perform")
    assert listed(client, "/approvals/decided/") == set()
