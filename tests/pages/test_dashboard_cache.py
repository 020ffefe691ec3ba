"""The home dashboard's charts are kept in the cache until a committed write changes what
they count (requests_app/pages/dashboard_cache.py)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.pages import dashboard_cache
from tests.pages.test_dashboard import chart_links, page_of, submit

PENDING = "/requests/?status=pending&profile=webra-demo"


@pytest.fixture(autouse=True)
def kept(settings):
    settings.RAPORTAL_DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def pending_bar(client) -> str:
    links = chart_links(page_of(client, "/"), "chart-pending")
    return next(label for label, href in links.items() if href == PENDING)


def queries_of(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        page_of(client, "/")
    return len(queries)


def test_a_second_visit_is_drawn_from_the_cache_with_fewer_queries(
    profile, requester, requester_api, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(requester_api, "a.example.com")
    client.force_login(requester)
    first = queries_of(client)
    assert queries_of(client) < first, "the second visit counted the charts again"
    assert pending_bar(client).startswith("1 pending request")


def test_a_request_submitted_after_a_visit_is_counted_on_the_next_one(
    profile, requester, requester_api, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(requester_api, "a.example.com")
    client.force_login(requester)
    assert pending_bar(client).startswith("1 pending request")
    with django_capture_on_commit_callbacks(execute=True):
        submit(requester_api, "b.example.com")
    assert pending_bar(client).startswith("2 pending requests")


def test_the_version_moves_on_only_once_the_write_is_committed(
    profile, requester, requester_api, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(requester_api, "a.example.com")
    client.force_login(requester)
    assert pending_bar(client).startswith("1 pending request")
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        submit(requester_api, "b.example.com")
    # Not committed yet (the test's transaction): the kept charts still stand...
    assert pending_bar(client).startswith("1 pending request")
    assert dashboard_cache.moved_on in waiting
    for callback in waiting:
        callback()
    # ... and count again once it is.
    assert pending_bar(client).startswith("2 pending requests")


def test_a_cache_that_fails_only_means_the_charts_are_counted_again(
    profile, requester, requester_api, client, monkeypatch
):
    submit(requester_api, "a.example.com")

    def broken(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    client.force_login(requester)
    assert pending_bar(client).startswith("1 pending request")


def test_with_no_lifetime_the_charts_are_counted_on_every_visit(
    profile, requester, requester_api, client, settings
):
    settings.RAPORTAL_DASHBOARD_CACHE_SECONDS = 0
    client.force_login(requester)
    assert "chart-pending" in page_of(client, "/")
    submit(requester_api, "a.example.com")  # never committed: no version moved on
    assert pending_bar(client).startswith("1 pending request")


def test_without_a_cache_writes_leave_nothing_to_do_after_the_commit(
    profile, requester_api, settings, django_capture_on_commit_callbacks
):
    settings.RAPORTAL_DASHBOARD_CACHE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        submit(requester_api, "a.example.com")
    assert dashboard_cache.moved_on not in waiting
