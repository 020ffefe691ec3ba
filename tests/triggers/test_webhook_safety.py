"""Webhooks cannot be aimed at the portal's own network (SSRF): loopback, private and
link-local targets (169.254.169.254, the cloud metadata service) are refused when the trigger
is saved and when it runs, unless RAPORTAL_WEBHOOK_ALLOWED_NETWORKS allows them; redirects
elsewhere are not followed; answers are read up to a bound; a slow receiver times out."""

import datetime as dt
import ipaddress
import time

import pytest
from django.utils import timezone
from werkzeug import Response

from tests.triggers.conftest import rest_trigger
from triggers.delivery import http
from triggers.models import RunStatus, Trigger, TriggerRun
from triggers.runner import execute

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://0.0.0.0/hook",
        "ftp://hooks.example.org/",
    ],
)
def test_a_webhook_to_a_private_target_is_refused_when_saved(staff_api, url):
    status, body = staff_api.post("/api/v1/triggers", rest_trigger("ssrf", "on_enroll", url))
    assert (status, body["error"]) == (400, "TRIG-002"), body
    assert not Trigger.objects.exists()


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254"])
def test_a_private_target_is_allowed_only_by_the_admin_setting(settings, address):
    with pytest.raises(http.TargetRefused):
        http.resolve_target(f"http://{address}/hook")
    settings.RAPORTAL_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network(f"{address}/32")]
    assert http.resolve_target(f"http://{address}/hook")[3] == address


def _run_of(trigger: Trigger) -> TriggerRun:
    return TriggerRun.objects.create(
        trigger=trigger,
        name=trigger.name,
        trigger_type=trigger.type,
        event="on_enroll",
        retries_left=0,
        next_execution_at=timezone.now() - dt.timedelta(seconds=1),
    )


def _saved_hook(create_trigger, url: str) -> Trigger:
    create_trigger(rest_trigger("hook", "on_enroll", url))
    return Trigger.objects.get(name="hook")


def test_a_target_that_became_private_is_refused_when_the_trigger_runs(
    settings, create_trigger, httpserver, loopback_allowed
):
    trigger = _saved_hook(create_trigger, httpserver.url_for("/hook"))
    settings.RAPORTAL_WEBHOOK_ALLOWED_NETWORKS = []  # the admin withdrew the allowance
    run = _run_of(trigger)
    assert execute(str(run.pk)) == RunStatus.FAILURE
    run.refresh_from_db()
    assert "refused" in run.detail and len(httpserver.log) == 0


def test_a_redirect_to_another_host_is_not_followed(create_trigger, httpserver, loopback_allowed):
    httpserver.expect_request("/hook").respond_with_response(
        Response(status=302, headers={"Location": "http://169.254.169.254/latest/"})
    )
    trigger = _saved_hook(create_trigger, httpserver.url_for("/hook"))
    run = _run_of(trigger)
    assert execute(str(run.pk)) == RunStatus.FAILURE
    run.refresh_from_db()
    assert "answered 302" in run.detail, run.detail


def test_a_redirect_on_the_same_host_is_followed(create_trigger, httpserver, loopback_allowed):
    httpserver.expect_request("/hook").respond_with_response(
        Response(status=307, headers={"Location": "/moved"})
    )
    httpserver.expect_request("/moved").respond_with_data("ok")
    trigger = _saved_hook(create_trigger, httpserver.url_for("/hook"))
    assert execute(str(_run_of(trigger).pk)) == RunStatus.SUCCESS


def test_a_huge_answer_is_read_only_up_to_the_bound(settings, httpserver, loopback_allowed):
    settings.RAPORTAL_WEBHOOK_MAX_RESPONSE_BYTES = 1024
    httpserver.expect_request("/big").respond_with_data("x" * 5_000_000)
    answer = http.request("GET", httpserver.url_for("/big"), headers=[], body=None, timeout=5)
    assert answer.status == 200 and len(answer.body) == 1024 and answer.truncated


def test_a_slow_receiver_times_out(settings, httpserver, loopback_allowed):
    settings.RAPORTAL_WEBHOOK_TIMEOUT = 1

    def slow(request):
        time.sleep(3)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    with pytest.raises(OSError):
        http.request("POST", httpserver.url_for("/slow"), headers=[], body=b"{}", timeout=30)
    assert time.monotonic() - started < 2.5


def test_a_receiver_checks_the_signature_and_refuses_an_old_one():
    body = b'{"a": 1}'
    assert http.verify_signature("s3cret", body, http.sign("s3cret", body))
    assert not http.verify_signature("other", body, http.sign("s3cret", body))
    assert not http.verify_signature("s3cret", b'{"a": 2}', http.sign("s3cret", body))
    stale = http.sign("s3cret", body, int(time.time()) - 3600)
    assert not http.verify_signature("s3cret", body, stale)


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_timeout(
    settings, httpserver, loopback_allowed
):
    settings.RAPORTAL_WEBHOOK_TIMEOUT = 1

    def trickle(request):
        def body():
            for _ in range(20):
                time.sleep(0.3)  # each byte well within a per-read timeout
                yield b"x"

        return Response(body(), direct_passthrough=True)

    httpserver.expect_request("/trickle").respond_with_handler(trickle)
    started = time.monotonic()
    with pytest.raises(OSError):
        http.request("GET", httpserver.url_for("/trickle"), headers=[], body=None, timeout=30)
    assert time.monotonic() - started < 2.5


def test_an_attempt_is_delivered_outside_any_transaction(
    create_trigger, httpserver, loopback_allowed, monkeypatch
):
    from django.db import connection

    from triggers import runner

    httpserver.expect_request("/hook").respond_with_data("ok")
    trigger = _saved_hook(create_trigger, httpserver.url_for("/hook"))
    depth, deliver, seen = len(connection.atomic_blocks), runner.deliver, []

    def watched(*args):
        seen.append(len(connection.atomic_blocks))
        return deliver(*args)

    monkeypatch.setattr(runner, "deliver", watched)
    assert execute(str(_run_of(trigger).pk)) == RunStatus.SUCCESS
    # Only pytest-django's test transaction is open: the runner opened none around it.
    assert seen == [depth]
