"""What strict HTTP clients rely on: header names in any case, and JSON answers typed exactly
``application/json`` or ``application/problem+json`` (no charset), errors included."""

import gc
import http.client
import json
import threading
import uuid
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from raportal.api.content_type import JsonContentTypeMiddleware
from tests.factories import api_key_for

JSON, PROBLEM = "application/json", "application/problem+json"


@pytest.mark.parametrize(
    "names", [("x-api-id", "x-api-key"), ("X-Api-Id", "X-API-KEY"), ("X-API-ID", "x-Api-kEY")]
)
def test_api_key_header_names_are_case_insensitive(client, requester, profile, names):
    key = api_key_for(requester)
    headers = {names[0]: "requester", names[1]: key}
    for path in ("/api/v1/security/principals/self", "/api/v1/requests/profiles"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.content
    response = client.post(
        "/api/v1/requests/search", "{}", content_type="application/json", headers=headers
    )
    assert response.status_code == 200, response.content


@pytest.fixture
def raw_http(live_server):
    """Plain http.client calls to the live server: header names go over the wire as written."""
    connections = []

    def call(method, path, headers, body=None):
        url = urlsplit(live_server.url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        connections.append(connection)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()

    yield call
    for connection in connections:
        connection.close()
    gc.collect()  # let the live server's threads finish and release their database sessions
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_lower_case_headers_authenticate_over_a_real_http_connection(raw_http, requester):
    key = api_key_for(requester)
    headers = {"x-api-id": "requester", "x-api-key": key, "content-type": "application/json"}
    status, content_type, body = raw_http("POST", "/api/v1/requests/search", headers, b"{}")
    assert status == 200, body
    assert content_type == JSON, content_type
    status, content_type, body = raw_http(
        "GET", "/api/v1/security/principals/self", {"x-api-id": "requester", "x-api-key": "bad"}
    )
    assert status == 401 and content_type == PROBLEM, body
    assert json.loads(body)["error"] == "SEC-AUTH-002", body


@pytest.fixture
def calls(profile, requester):
    """(method, path, body, expected status) over read and write endpoints, errors included."""
    return [
        ("get", "/api/v1/security/principals/self", None, 200),
        ("get", "/api/v1/cas", None, 200),
        ("get", "/api/v1/requests/profiles", None, 200),
        ("post", "/api/v1/requests/search", {"query": "status = pending"}, 200),
        ("post", "/api/v1/certificates/search", {}, 200),
        ("post", "/api/v1/requests/search", {"query": "status =="}, 400),
        ("post", "/api/v1/requests/search", {"pageIndex": "one"}, 400),
        ("post", "/api/v1/requests/submit", {"profile": 5}, 400),
        ("get", "/api/v1/rfc5280/tc/not-a-certificate", None, 400),
        ("get", f"/api/v1/requests/{uuid.uuid4()}", None, 404),
        ("get", f"/api/v1/certificates/{uuid.uuid4()}", None, 404),
        ("get", "/api/v1/no/such/endpoint", None, 404),
        ("get", "/api/v1/requests/search", None, 405),
    ]


def test_json_answers_are_typed_exactly_without_a_charset(requester_api, calls):
    for method, path, body, expected in calls:
        kwargs = {"content_type": "application/json"} if method == "post" else {}
        data = json.dumps(body) if body is not None else None
        args = (path, data) if method == "post" else (path,)
        response = getattr(requester_api.client, method)(*args, **kwargs, **requester_api.headers)
        assert response.status_code == expected, (path, response.content)
        wanted = JSON if expected < 400 else PROBLEM
        assert response["Content-Type"] == wanted, (path, response["Content-Type"])
        json.loads(response.content)


def test_unauthenticated_calls_get_an_exact_problem_type(api_as, profile):
    for path in ("/api/v1/requests/profiles", "/api/v1/cas"):
        response = api_as().client.get(path)
        assert response.status_code == 401, response.content
        assert response["Content-Type"] == PROBLEM, response["Content-Type"]


@pytest.mark.parametrize(
    ("path", "given", "sent"),
    [
        ("/api/v1/x", "application/json; charset=utf-8", JSON),
        ("/api/v1/x", "application/problem+json;charset=UTF-8", PROBLEM),
        ("/api/v1/x", "Application/JSON ; charset=utf-8", JSON),
        ("/api/v1/x", "text/plain; charset=utf-8", "text/plain; charset=utf-8"),
        ("/pki/ca.crl", "application/json; charset=utf-8", "application/json; charset=utf-8"),
    ],
)
def test_the_middleware_strips_parameters_from_json_types_under_api(path, given, sent):
    middleware = JsonContentTypeMiddleware(lambda request: HttpResponse(content_type=given))
    response = middleware(RequestFactory().get(path))
    assert response["Content-Type"] == sent
