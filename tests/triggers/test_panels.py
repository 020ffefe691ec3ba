"""The "Triggers" panel of a request's and a certificate's page, and running a failed trigger
again from the page and through the API (``PATCH /api/v1/requests/run/…``): the runs are
shown to whoever may see the object, "Run again" and the runs' details to who may run them
(an administrator, perform for the event's workflow); outsiders get 404, the others 403."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from certificates.models import Certificate
from raportal.models import AuditEvent
from tests.conftest import enroll_body
from tests.factories import UserFactory, make_csr
from triggers.models import RunStatus, Trigger, TriggerRun

pytestmark = pytest.mark.django_db

DETAIL = "call 1 (POST https://hooks.example.com/T0KEN) answered 500, expected 200"


def email_trigger(name="mail-on-submit", event="on_submit_enroll") -> Trigger:
    return Trigger.objects.create(
        name=name,
        type="email",
        event=event,
        retries=2,
        definition={"emailTemplate": {"to": [{"type": "requester"}], "title": "t"}},
    )


def failed_run(trigger: Trigger, **ids) -> TriggerRun:
    return TriggerRun.objects.create(
        trigger=trigger,
        name=trigger.name,
        trigger_type=trigger.type,
        event=trigger.event,
        status=RunStatus.FAILURE,
        attempts=3,
        last_execution_at=timezone.now() - dt.timedelta(minutes=5),
        detail=DETAIL,
        **ids,
    )


@pytest.fixture
def pending(profile, requester_api):
    status, answer = requester_api.submit(enroll_body(csr=make_csr()[0]))
    assert status == 201 and answer["status"] == "pending", answer
    return answer["_id"]


@pytest.fixture
def request_run(pending):
    return failed_run(email_trigger(), request_id=pending)


# --- the request page ----------------------------------------------------------------------


def test_the_request_page_lists_its_runs_with_run_again_for_a_perform_holder(
    request_run, pending, approver, client
):
    client.force_login(approver)
    page = client.get(f"/requests/{pending}/").content.decode()
    assert 'id="triggers"' in page and "mail-on-submit" in page, page
    assert "on_submit_enroll" in page and "Failed" in page and "Attempts: 3" in page, page
    assert "Run again" in page and DETAIL in page, page


def test_the_requester_sees_the_runs_but_neither_the_button_nor_the_detail(
    request_run, pending, requester, client
):
    client.force_login(requester)
    page = client.get(f"/requests/{pending}/").content.decode()
    assert "mail-on-submit" in page and "Failed" in page, page
    assert "Run again" not in page and "T0KEN" not in page, page


def test_a_perform_holder_runs_a_failed_trigger_again_from_the_request_page(
    request_run, pending, approver, client
):
    client.force_login(approver)
    response = client.post(
        f"/requests/{pending}/triggers/run",
        {"name": "mail-on-submit", "event": "on_submit_enroll"},
        follow=True,
    )
    page = response.content.decode()
    assert "queued to run again" in page, page
    request_run.refresh_from_db()
    assert request_run.status == RunStatus.PENDING and request_run.retries_left == 2
    assert AuditEvent.objects.filter(action="trigger.rerun", object_id=pending).exists()
    assert "Waiting" in page, page


def test_the_requester_is_refused_with_403_and_an_outsider_gets_404(
    request_run, pending, requester, outsider, client
):
    body = {"name": "mail-on-submit", "event": "on_submit_enroll"}
    client.force_login(requester)
    assert client.post(f"/requests/{pending}/triggers/run", body).status_code == 403
    client.force_login(outsider)
    assert client.get(f"/requests/{pending}/").status_code == 404
    assert client.post(f"/requests/{pending}/triggers/run", body).status_code == 404
    request_run.refresh_from_db()
    assert request_run.status == RunStatus.FAILURE


def test_a_run_that_did_not_fail_is_not_run_again(request_run, pending, approver, client):
    TriggerRun.objects.filter(pk=request_run.pk).update(status=RunStatus.SUCCESS)
    client.force_login(approver)
    page = client.get(f"/requests/{pending}/").content.decode()
    assert "Succeeded" in page and "Run again" not in page, page
    response = client.post(
        f"/requests/{pending}/triggers/run",
        {"name": "mail-on-submit", "event": "on_submit_enroll"},
        follow=True,
    )
    assert "REQ-004" in response.content.decode(), response.content.decode()


def test_a_page_without_runs_has_no_triggers_panel(pending, requester, client):
    client.force_login(requester)
    assert 'id="triggers"' not in client.get(f"/requests/{pending}/").content.decode()


def test_trigger_names_are_escaped_on_the_panel(pending, approver, client):
    failed_run(email_trigger(name="<script>x</script>"), request_id=pending)
    client.force_login(approver)
    page = client.get(f"/requests/{pending}/").content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


# --- the request API -----------------------------------------------------------------------


def patch(api, path):
    response = api.client.patch(path, **api.headers)
    return response.status_code, response.json() if response.content else {}


def test_the_api_runs_a_request_trigger_again_and_answers_the_request(
    request_run, pending, approver_api
):
    status, body = patch(
        approver_api, f"/api/v1/requests/run/{pending}/mail-on-submit/on_submit_enroll"
    )
    assert status == 200, body
    assert body["_id"] == pending, body
    (result,) = body["triggerResults"]
    assert result["name"] == "mail-on-submit" and result["retryable"] is False, result
    assert "nextExecutionDate" in result, result


def test_the_api_refuses_the_requester_hides_from_outsiders_and_names_missing_runs(
    request_run, pending, requester_api, outsider_api, approver_api
):
    path = f"/api/v1/requests/run/{pending}/mail-on-submit/on_submit_enroll"
    status, body = patch(requester_api, path)
    assert status == 403 and body["error"] == "SEC-PERM-001", body
    status, body = patch(outsider_api, path)
    assert status == 404 and body["error"] == "REQ-003", body
    status, body = patch(approver_api, f"/api/v1/requests/run/{pending}/nothing/on_submit_enroll")
    assert status == 404 and body["error"] == "TRIG-003", body
    status, body = patch(approver_api, "/api/v1/requests/run/not-an-id/x/on_submit_enroll")
    assert status == 404, body


def test_an_administrator_runs_any_request_trigger_again(request_run, pending, api_as):
    admin = UserFactory(username="root-admin", is_staff=True)
    status, body = patch(
        api_as(admin), f"/api/v1/requests/run/{pending}/mail-on-submit/on_submit_enroll"
    )
    assert status == 200, body


# --- the certificate page ------------------------------------------------------------------


@pytest.fixture
def certificate_run(issue):
    certificate = issue()
    run = failed_run(
        email_trigger(name="mail-on-enroll", event="on_enroll"), certificate_id=certificate["_id"]
    )
    return certificate["_id"], run


def test_the_certificate_page_lists_its_runs_with_run_again_for_a_perform_holder(
    certificate_run, approver, client
):
    certificate_id, run = certificate_run
    client.force_login(approver)
    page = client.get(f"/certificates/{certificate_id}/").content.decode()
    assert 'id="triggers"' in page and "mail-on-enroll" in page and "Failed" in page, page
    assert "Run again" in page and DETAIL in page, page
    response = client.post(
        f"/certificates/{certificate_id}/triggers/run",
        {"name": "mail-on-enroll", "event": "on_enroll"},
        follow=True,
    )
    assert "queued to run again" in response.content.decode(), response.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.PENDING


def test_a_certificate_viewer_without_perform_sees_the_runs_and_is_refused(
    certificate_run, requester, outsider, client
):
    certificate_id, run = certificate_run
    client.force_login(requester)  # holds request on the profile: sees its certificates
    page = client.get(f"/certificates/{certificate_id}/").content.decode()
    assert "mail-on-enroll" in page and "Run again" not in page and "T0KEN" not in page, page
    body = {"name": "mail-on-enroll", "event": "on_enroll"}
    assert client.post(f"/certificates/{certificate_id}/triggers/run", body).status_code == 403
    client.force_login(outsider)
    assert client.get(f"/certificates/{certificate_id}/").status_code == 404
    assert client.post(f"/certificates/{certificate_id}/triggers/run", body).status_code == 404
    run.refresh_from_db()
    assert run.status == RunStatus.FAILURE
    assert Certificate.objects.filter(pk=certificate_id).exists()
    assert not AuditEvent.objects.filter(action__startswith="trigger.").exists()


def test_run_again_needs_the_csrf_token(request_run, pending, approver):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(approver)
    page = browser.get(f"/requests/{pending}/").content.decode()
    body = {"name": "mail-on-submit", "event": "on_submit_enroll"}
    assert browser.post(f"/requests/{pending}/triggers/run", body).status_code == 403
    request_run.refresh_from_db()
    assert request_run.status == RunStatus.FAILURE
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, page
    done = browser.post(
        f"/requests/{pending}/triggers/run", body | {"csrfmiddlewaretoken": token.group(1)}
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    request_run.refresh_from_db()
    assert request_run.status == RunStatus.PENDING


def test_the_api_shows_a_runs_detail_only_to_who_may_run_it_again(
    request_run, pending, requester_api, approver_api
):
    status, body = requester_api.get(f"/api/v1/requests/{pending}")
    assert status == 200 and body["triggerResults"], body
    assert "T0KEN" not in json.dumps(body["triggerResults"])
    status, body = approver_api.get(f"/api/v1/requests/{pending}")
    assert [r["detail"] for r in body["triggerResults"]] == [DETAIL], body


def test_results_of_import_events_stay_off_the_api_the_official_client_cannot_read_them(
    pending, approver_api
):
    trigger = email_trigger("on-import", "on_submit_import")
    failed_run(trigger, request_id=pending)
    status, body = approver_api.get(f"/api/v1/requests/{pending}")
    assert status == 200 and body["triggerResults"] == [], body
