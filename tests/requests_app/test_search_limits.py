"""Searches refuse what they cannot answer, with a 400 — never a 500."""

import pytest

from tests.read_side import search_certificates, search_requests


@pytest.mark.parametrize(
    "body",
    [
        {"pageIndex": 10**20},
        {"pageIndex": 10**7},
        {"query": "registration.date after -999999999d"},
        {"query": 'registration.date after "9999-12-31T23:59:59+14:00"'},
        {"query": "registration.date after 99999999999999999999"},
    ],
    ids=["huge-page", "page-beyond-bound", "offset-overflow", "date-overflow", "epoch-overflow"],
)
def test_out_of_range_searches_are_client_errors(profile, approver_api, body):
    for search in (search_requests, search_certificates):
        if search is search_certificates and "query" in body:
            body = {"query": body["query"].replace("registration.date", "valid.until")}
        status, answer = search(approver_api, **body)
        assert status == 400 and answer.get("error"), (search.__name__, body, answer)
