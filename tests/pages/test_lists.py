"""The lists filter, sort and page — in a number of queries that does not grow with rows."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from certificates.models import Certificate
from profiles.models import Profile
from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import ProfileFactory, make_csr


@pytest.fixture
def many(profile, requester_api, issue, requester):
    for index in range(12):
        requester_api.submit(
            enroll_body(csr=make_csr()[0], subject=[{"element": "cn.1", "value": f"r{index}.ex"}])
        )
        certificate = issue(cn=f"c{index}.example.com")
        Certificate.objects.filter(pk=certificate["_id"]).update(owner=requester)


@pytest.fixture
def three(profile, requester_api, requester):
    """Three requests of the requester, a day apart: r0 the oldest, r2 the newest."""
    for index in range(3):
        status, answer = requester_api.submit(
            enroll_body(csr=make_csr()[0], subject=[{"element": "cn.1", "value": f"r{index}.ex"}])
        )
        assert status == 201, answer
        Request.objects.filter(pk=answer["_id"]).update(
            created_at=timezone.now() - dt.timedelta(days=3 - index)
        )


def owned(issue, user, **kwargs) -> Certificate:
    certificate = issue(**kwargs)
    Certificate.objects.filter(pk=certificate["_id"]).update(owner=user)
    return Certificate.objects.get(pk=certificate["_id"])


def rows_of(page: str, pattern: str) -> list[str]:
    """The names matching ``pattern`` in the table body, in the order shown."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(pattern, body)


def header(page: str, title: str) -> str:
    """The <th> whose link or text is ``title``."""
    match = re.search(rf"<th [^>]*>(?:(?!</th>).)*{title}(?:(?!</th>).)*</th>", page, re.S)
    assert match, page
    return match.group(0)


def get(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


# --- My requests --------------------------------------------------------------------------


def test_my_requests_filter_and_sort(many, requester, client):
    client.force_login(requester)
    page = get(client, "/requests/?status=pending&sort=-date")
    assert page.count("badge text-bg-warning") == 12, page
    denied = get(client, "/requests/?status=denied")
    assert "No request matches these filters" in denied, denied


def test_requests_sort_by_date_both_ways(three, requester, client):
    client.force_login(requester)
    newest_first = get(client, "/requests/?sort=-date")
    assert rows_of(newest_first, r"r\d\.ex") == ["r2.ex", "r1.ex", "r0.ex"], newest_first
    oldest_first = get(client, "/requests/?sort=date")
    assert rows_of(oldest_first, r"r\d\.ex") == ["r0.ex", "r1.ex", "r2.ex"], oldest_first


def test_the_sorted_column_says_its_direction_and_its_link_reverses_it(three, requester, client):
    client.force_login(requester)
    page = get(client, "/requests/?status=pending")  # newest first unless asked otherwise
    submitted = header(page, "Submitted")
    assert 'aria-sort="descending"' in submitted and "▼" in submitted, submitted
    assert "sort=date" in submitted and "status=pending" in submitted, submitted
    assert page.count("aria-sort=") == 1, page

    page = get(client, "/requests/?status=pending&sort=date&page=1")
    submitted = header(page, "Submitted")
    assert 'aria-sort="ascending"' in submitted and "▲" in submitted, submitted
    assert "sort=-date" in submitted and "status=pending" in submitted, submitted
    assert "page=" not in submitted, submitted
    status = header(page, "Status")
    assert "aria-sort" not in status and "sort=status" in status, status


def test_sorting_by_profile_follows_the_display_names_both_ways(three, pki, requester, client):
    # The technical names sort the other way round from the display names.
    Profile.objects.filter(name="webra-demo").update(display_name="Zulu servers")
    alpha = ProfileFactory(name="zz-tech", display_name="Alpha servers", ca=pki["issuing"])
    Request.objects.filter(dn__icontains="r1.ex").update(profile=alpha)
    client.force_login(requester)
    ascending = get(client, "/requests/?sort=profile")
    assert rows_of(ascending, r"(Alpha|Zulu) servers") == ["Alpha", "Zulu", "Zulu"], ascending
    assert 'aria-sort="ascending"' in header(ascending, "Profile"), ascending
    descending = get(client, "/requests/?sort=-profile")
    assert rows_of(descending, r"(Alpha|Zulu) servers") == ["Zulu", "Zulu", "Alpha"], descending


def test_the_profile_filter_offers_the_display_names_of_my_requests_profiles(
    three, pki, requester, client
):
    Profile.objects.filter(name="webra-demo").update(display_name="Demo web servers")
    ProfileFactory(name="unused", display_name="Nobody asked for this", ca=pki["issuing"])
    client.force_login(requester)
    page = get(client, "/requests/?profile=webra-demo")
    select = re.search(r'<select[^>]*name="profile".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="webra-demo"\s+selected>Demo web servers</option>', select), (
        select
    )
    assert "Nobody asked for this" not in select and "unused" not in select, select
    assert len(rows_of(page, r"r\d\.ex")) == 3, page
    # The rows name it the same way, the technical name on hover.
    assert '<abbr class="tech-name" title="webra-demo">Demo web servers</abbr></td>' in page, page


def test_a_filter_that_matches_nothing_says_so_and_offers_to_clear_it(three, requester, client):
    client.force_login(requester)
    page = get(client, "/requests/?status=denied&sort=date")
    assert "No request matches these filters" in page, page
    clear = re.search(r'<a href="([^"]*)">Clear the filters</a>', page)
    assert clear and "status" not in clear.group(1) and "sort=date" in clear.group(1), page


def test_a_requester_without_requests_is_told_so_and_may_enroll(profile, requester, client):
    client.force_login(requester)
    page = get(client, "/requests/")
    assert "You have no request yet" in page and "No request matches" not in page, page
    assert 'href="/enroll/"' in page.split("<tbody>", 1)[1], page


def test_an_outsider_without_requests_is_not_offered_to_enroll(profile, outsider, client):
    client.force_login(outsider)
    page = get(client, "/requests/")
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "You have no request yet" in body and "/enroll/" not in body, body


# --- My certificates ----------------------------------------------------------------------


@pytest.fixture
def labelled(issue, requester):
    return owned(
        issue,
        requester,
        cn="labelled.example.com",
        labels=[{"label": "env", "value": "prod"}],
        sans=[{"type": "DNSNAME", "value": ["alias.example.org"]}],
    )


@pytest.fixture
def plain(issue, requester):
    return owned(issue, requester, cn="plain.example.com")


@pytest.mark.parametrize("query", ["env=prod", "ENV=PR", "prod", "alias.example.org", "ALIAS"])
def test_search_finds_a_certificate_by_label_or_san_as_the_pages_show_them(
    labelled, plain, requester, client, query
):
    assert labelled.labels == [{"key": "env", "value": "prod"}], labelled.labels
    client.force_login(requester)
    page = get(client, f"/certificates/?q={query}")
    assert "labelled.example.com" in page and "plain.example.com" not in page, page


def test_search_finds_a_certificate_by_its_serial_written_with_colons(
    labelled, plain, requester, client
):
    with_colons = ":".join(re.findall("..", plain.serial)).upper()
    client.force_login(requester)
    page = get(client, f"/certificates/?q={with_colons}")
    assert "plain.example.com" in page and "labelled.example.com" not in page, page


@pytest.mark.parametrize("query", ["sanType", "value", "key", "DNSNAME", '"', "%", "_"])
def test_search_does_not_match_the_json_it_is_stored_as(labelled, requester, client, query):
    client.force_login(requester)
    page = get(client, f"/certificates/?q={query}")
    assert "labelled.example.com" not in page, page
    assert "No certificate matches these filters" in page, page


def test_valid_leaves_out_the_certificates_about_to_expire(issue, requester, client):
    owned(issue, requester, cn="valid.example.com")
    soon = owned(issue, requester, cn="soon.example.com")
    Certificate.objects.filter(pk=soon.pk).update(not_after=timezone.now() + dt.timedelta(days=3))
    client.force_login(requester)
    valid = get(client, "/certificates/?status=valid")
    assert "valid.example.com" in valid and "soon.example.com" not in valid, valid
    expiring = get(client, "/certificates/?status=expiring")
    assert "soon.example.com" in expiring and "valid.example.com" not in expiring, expiring


def test_the_certificate_list_names_profiles_by_their_display_name(plain, requester, client):
    Profile.objects.filter(name="webra-demo").update(display_name="Demo web servers")
    client.force_login(requester)
    page = get(client, "/certificates/")
    assert '<abbr class="tech-name" title="webra-demo">Demo web servers</abbr></td>' in page, page
    assert ">webra-demo<" not in page, page  # the technical name only on hover


def test_an_empty_certificate_search_offers_to_clear_it(plain, requester, client):
    client.force_login(requester)
    page = get(client, "/certificates/?q=nothing-like-this&status=valid")
    assert "No certificate matches these filters" in page, page
    assert re.search(r'<a href="\?">Clear the filters</a>', page), page


def test_a_requester_without_certificates_is_told_so_and_may_enroll(profile, requester, client):
    client.force_login(requester)
    page = get(client, "/certificates/")
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "You have no certificate yet" in body and 'href="/enroll/"' in body, body


# --- Cost -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/requests/",
        "/requests/?sort=profile&profile=webra-demo",
        "/certificates/",
        "/certificates/?q=example",
        "/certificates/?q=env%3Dprod&status=valid",
    ],
)
def test_lists_cost_a_fixed_number_of_queries(
    profile, requester, requester_api, issue, client, path, django_assert_max_num_queries
):
    """As many queries for 2 rows of each kind as for 14 (a page holds 20)."""

    def add(count: int, start: int):
        for index in range(start, start + count):
            requester_api.submit(
                enroll_body(
                    csr=make_csr()[0],
                    subject=[{"element": "cn.1", "value": f"r{index}.ex"}],
                    team={"value": "demo-team"},
                )
            )
            certificate = issue(cn=f"c{index}.example.com")
            Certificate.objects.filter(pk=certificate["_id"]).update(owner=requester)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import TeamFactory

    TeamFactory(name="demo-team").members.add(requester)
    client.force_login(requester)
    add(2, 0)
    client.get(path)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(path)
    baseline = [query["sql"] for query in few.captured_queries]  # before requests reset it
    add(12, 2)
    with django_assert_max_num_queries(len(baseline)):
        response = client.get(path)
    assert response.status_code == 200
    assert 3 < len(baseline) <= 12, [sql[:120] for sql in baseline]
