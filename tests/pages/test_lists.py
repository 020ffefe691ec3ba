"""The lists filter, sort and page — in a number of queries that does not grow with rows."""

import pytest

from certificates.models import Certificate
from tests.conftest import enroll_body
from tests.factories import make_csr


@pytest.fixture
def many(profile, requester_api, issue, requester):
    for index in range(12):
        requester_api.submit(
            enroll_body(csr=make_csr()[0], subject=[{"element": "cn.1", "value": f"r{index}.ex"}])
        )
        certificate = issue(cn=f"c{index}.example.com")
        Certificate.objects.filter(pk=certificate["_id"]).update(owner=requester)


def test_my_requests_filter_and_sort(many, requester, client):
    client.force_login(requester)
    page = client.get("/requests/?status=pending&sort=-date").content.decode()
    assert page.count("badge text-bg-warning") == 12
    assert "No request here yet" in client.get("/requests/?status=denied").content.decode()


@pytest.mark.parametrize("path", ["/requests/", "/certificates/", "/certificates/?q=example"])
def test_lists_cost_a_fixed_number_of_queries(
    many, requester, client, path, django_assert_max_num_queries
):
    client.force_login(requester)
    client.get(path)  # warm the session
    with django_assert_max_num_queries(9):
        response = client.get(path)
    assert response.status_code == 200
