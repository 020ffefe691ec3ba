"""What a reviewer tried against triggers: SSRF through IPv6 forms that carry an IPv4 address,
a mask moved under another header's name to read a secret back, input that used to answer
500, results of events the official client cannot read, run details read by requesters."""

import json

import pytest
from werkzeug import Response

from tests.triggers.conftest import rest_trigger
from triggers import definition
from triggers.delivery import http
from triggers.models import Trigger

pytestmark = pytest.mark.django_db
SECRET = "hook-token-1234567890"


def _call(api, method: str, path: str, body) -> tuple[int, dict]:
    response = getattr(api.client, method)(
        path, json.dumps(body), content_type="application/json", **api.headers
    )
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "url",
    [
        "http://[::127.0.0.1]/hook",  # IPv4-compatible loopback
        "http://[::ffff:0:7f00:1]/hook",  # IPv4-translated (SIIT) loopback
        "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
        "http://[2002:a9fe:a9fe::1]/hook",  # 6to4 of 169.254.169.254
        "http://[fec0::1]/hook",  # deprecated site-local
        "http://2130706433/hook",  # 127.0.0.1 as one decimal number
        "http://0x7f.1/hook",
    ],
)
def test_ipv6_and_numeric_forms_of_private_addresses_are_refused(url):
    with pytest.raises(http.TargetRefused):
        http.resolve_target(url)


def test_a_public_address_behind_nat64_is_allowed():
    assert http.resolve_target("http://[64:ff9b::808:808]/")[3] == "64:ff9b::808:808"


def test_a_mask_under_another_name_never_reveals_a_saved_value(staff_api, create_trigger):
    create_trigger(rest_trigger("hook", "on_enroll", "https://hooks.example.org/ra"))
    moved = rest_trigger("hook", "on_enroll", "https://hooks.example.org/ra")
    moved["sequence"][0]["headers"] = [{"name": "X-Echo", "value": definition.MASK}]
    for method, body in (("patch", {"trigger": moved}), ("put", moved)):
        status, answer = _call(staff_api, method, "/api/v1/triggers", body)
        assert (status, answer["error"]) == (400, "TRIG-002"), answer
        assert SECRET not in json.dumps(answer)
    assert Trigger.objects.get(name="hook").header_values()[0] == f"Bearer {SECRET}"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/a b", "http://127.0.0.1:9/\u00e9"])
def test_a_url_with_spaces_or_non_ascii_is_refused_not_a_500(staff_api, loopback_allowed, url):
    status, answer = _call(
        staff_api, "patch", "/api/v1/triggers", {"trigger": rest_trigger("t", "on_enroll", url)}
    )
    assert status == 400, answer


def test_a_header_value_beyond_latin_1_is_sent_as_utf8(staff_api, loopback_allowed, httpserver):
    httpserver.expect_request("/x").respond_with_data("ok")
    body = rest_trigger("t", "on_enroll", httpserver.url_for("/x"))
    body["sequence"][0]["headers"] = [{"name": "X-DN", "value": "{{request.dn}}"}]
    dictionary = [{"key": "request.dn", "value": "CN=Jos\u00e9 \u2603"}]
    status, answer = _call(
        staff_api, "patch", "/api/v1/triggers", {"trigger": body, "dictionary": dictionary}
    )
    assert status == 200 and answer["status"] == "success", answer
    sent = httpserver.log[0][0].environ["HTTP_X_DN"]
    assert sent.encode("latin-1").decode() == "CN=Jos\u00e9 \u2603"


@pytest.mark.parametrize("dictionary", [5, "x", {"a": 1}])
def test_a_test_dictionary_that_is_not_a_list_is_refused(staff_api, dictionary):
    body = {
        "trigger": rest_trigger("t", "on_enroll", "https://h.example.org/"),
        "dictionary": dictionary,
    }
    status, answer = _call(staff_api, "patch", "/api/v1/triggers", body)
    assert status == 400, answer


def test_a_malformed_answer_fails_the_run_not_the_server(staff_api, loopback_allowed, httpserver):
    httpserver.expect_request("/x").respond_with_response(
        Response("", status=302, headers={"Location": "http://127.0.0.1:99999999/y"})
    )
    body = {"trigger": rest_trigger("t", "on_enroll", httpserver.url_for("/x"))}
    status, answer = _call(staff_api, "patch", "/api/v1/triggers", body)
    assert status == 200 and answer["status"] == "failure", answer
