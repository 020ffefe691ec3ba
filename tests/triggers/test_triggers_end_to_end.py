"""The issue's first proof: an enrollment on a profile with onSubmitEnroll (mail),
onApproveEnroll (webhook) and onExpire (mail 30 days before) produces one mail, one signed
webhook — retried twice after 500s, the third attempt recorded as success — and, with the
clock moved, one expiry mail; the results read back through the official client's models."""

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone
from horizon.models.certificate_with_permissions_response import (
    CertificateWithPermissionsResponse,
)
from horizon.models.trigger_result import TriggerResult
from horizon.models.web_ra_enroll_request_on_get_response import (
    WebRAEnrollRequestOnGetResponse,
)
from werkzeug import Response

from certificates.expiry_triggers import fire_expiry_triggers
from certificates.models import Certificate
from tests.conftest import enroll_body
from tests.factories import make_csr
from tests.triggers.conftest import email_trigger, rest_trigger
from triggers import runner
from triggers.delivery.http import SIGNATURE_HEADER, verify_signature

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hook(httpserver):
    """A receiver that answers 500 twice, then 200."""
    answers = iter([500, 500, 200])
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        lambda request: Response("ok", status=next(answers, 200))
    )
    return httpserver


def test_an_enrollment_fires_its_mail_its_signed_webhook_with_retries_and_its_expiry_mail(
    profile,
    requester_api,
    approver_api,
    approver,
    create_trigger,
    smtp_sink,
    hook,
    loopback_allowed,
):
    create_trigger(
        email_trigger("mail-on-submit", "on_submit_enroll", title="Waiting: {{request.dn}}")
    )
    created = create_trigger(
        rest_trigger("hook-on-approve", "on_approve_enroll", hook.url_for("/hook"))
    )
    secret = created["signingSecret"]
    create_trigger(
        email_trigger(
            "mail-on-expire",
            "on_expire",
            title="Expires soon: {{certificate.dn}}",
            runPeriod="30 days",
            to=[{"type": "certificate_owner"}],
        )
    )
    profile.triggers = {
        "onSubmitEnroll": ["mail-on-submit"],
        "onApproveEnroll": ["hook-on-approve"],
        "onExpire": [{"name": "mail-on-expire"}],
    }
    profile.save()

    status, submitted = requester_api.submit(
        enroll_body(subject=[{"element": "cn.1", "value": "app.example.com"}], csr=make_csr()[0])
    )
    assert status == 201 and submitted["status"] == "pending", submitted
    assert len(smtp_sink.matching("Waiting: ")) == 1, smtp_sink.subjects()
    assert "CN=app.example.com" in smtp_sink.matching("Waiting: ")[0]["Subject"]

    status, approved = approver_api.post(
        "/api/v1/requests/approve",
        {"_id": submitted["_id"], "module": "webra", "workflow": "enroll"},
    )
    assert status == 200 and approved["status"] == "completed", approved
    assert len(hook.log) == 1  # the first attempt, at commit: 500

    later = timezone.now() + dt.timedelta(hours=1)
    assert runner.run_due(later) == 1  # second attempt: 500
    assert runner.run_due(later + dt.timedelta(hours=1)) == 1  # third: 200
    assert runner.run_due(later + dt.timedelta(hours=9)) == 0  # nothing left to do

    assert len(hook.log) == 3
    for request, _ in hook.log:
        body = request.get_data()
        assert verify_signature(secret, body, request.headers[SIGNATURE_HEADER])
        assert request.headers["Authorization"] == "Bearer hook-token-1234567890"
        assert json.loads(body) == {
            "request": submitted["_id"],
            "dn": "CN=app.example.com",
            "event": "on_approve_enroll",
        }

    status, got = approver_api.get(f"/api/v1/requests/{submitted['_id']}")
    assert status == 200, got
    parsed = WebRAEnrollRequestOnGetResponse.from_dict(got)
    results = {r.name: r for r in parsed.trigger_results or []}
    assert set(results) == {"mail-on-submit", "hook-on-approve"}, got["triggerResults"]
    webhook = results["hook-on-approve"]
    assert isinstance(webhook, TriggerResult)
    assert (webhook.status, webhook.event, webhook.trigger_type) == (
        "success",
        "on_approve_enroll",
        "webhook",
    )
    assert webhook.retries == 1 and not webhook.retryable  # 3 retries, 2 spent
    assert results["mail-on-submit"].status == "success"

    # 336 days later, 29 days before notAfter: the onExpire mail, once.
    certificate_id = approved["certificate"]["_id"]
    with time_machine.travel(timezone.now() + dt.timedelta(days=336)):
        assert fire_expiry_triggers() == 1
        assert fire_expiry_triggers() == 0
    expiry = smtp_sink.matching("Expires soon: ")
    assert len(expiry) == 1, smtp_sink.subjects()
    owner = Certificate.objects.get(pk=approved["certificate"]["_id"]).owner
    assert owner is not None and expiry[0]["X-Envelope-To"] == owner.email

    status, got = approver_api.get(f"/api/v1/certificates/{certificate_id}")
    assert status == 200, got
    certificate = CertificateWithPermissionsResponse.from_dict(got).certificate
    assert [(r.name, r.event, r.status) for r in certificate.trigger_results] == [
        ("hook-on-approve", "on_approve_enroll", "success"),
        ("mail-on-expire", "on_expire", "success"),
    ]
