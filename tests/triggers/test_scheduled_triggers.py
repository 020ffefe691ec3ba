"""Scheduled triggers fire once: onExpire once per trigger and certificate, onPending once
per period — however often the scan runs, and when two workers scan at once (PostgreSQL)."""

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from certificates.expiry_triggers import fire_expiry_triggers
from certificates.models import Certificate
from requests_app.trigger_events import fire_pending_reminders
from tests.conftest import enroll_body
from tests.factories import make_csr
from tests.requests_app.test_concurrency import race
from tests.triggers.conftest import email_trigger
from triggers.models import TriggerRun

EXPIRY = email_trigger(
    "expiry-mail",
    "on_expire",
    title="Expires: {{certificate.dn}}",
    runPeriod="30 days",
    to=[{"type": "static", "email": "owners@example.com"}],
)
REMINDER = email_trigger(
    "still-waiting",
    "on_pending_enroll",
    title="Still waiting: {{request.dn}}",
    runPeriod="1 day",
    to=[{"type": "lifecycle_operators"}],
)


def _expiry_mails() -> list:
    return [m for m in mail.outbox if m.subject.startswith("Expires: ")]


@pytest.fixture
def expiring(create_trigger, profile, issue):
    create_trigger(EXPIRY)
    profile.triggers = {"onExpire": [{"name": "expiry-mail"}]}
    profile.save()
    return issue("soon.example.com")


@pytest.mark.django_db(transaction=True)
def test_the_expiry_scan_run_twice_mails_each_certificate_once(expiring):
    with time_machine.travel(timezone.now() + dt.timedelta(days=340)):
        assert fire_expiry_triggers() == 1
        assert fire_expiry_triggers() == 0
    assert len(_expiry_mails()) == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_fires_before_the_period_nor_for_revoked_or_renewed_certificates(
    expiring, issue, profile
):
    assert fire_expiry_triggers() == 0  # 365 days left
    revoked = issue("revoked.example.com")
    Certificate.objects.filter(pk=revoked["_id"]).update(revocation_date=timezone.now())
    renewed = Certificate.objects.get(pk=issue("renewed.example.com")["_id"])
    renewed.metadata = [{"key": "renewed_certificate_id", "value": str(expiring["_id"])}]
    renewed.save()
    with time_machine.travel(timezone.now() + dt.timedelta(days=340)):
        assert fire_expiry_triggers() == 1  # only the first one
    assert [m.subject for m in _expiry_mails()] == ["Expires: CN=soon.example.com"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_scanning_at_once_mail_each_certificate_once(postgres_only, expiring):
    with time_machine.travel(timezone.now() + dt.timedelta(days=340), tick=True):
        results = race(fire_expiry_triggers, count=4)
    assert sorted(results) == [0, 0, 0, 1], results
    assert TriggerRun.objects.filter(event="on_expire").count() == 1
    assert len(_expiry_mails()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_pending_request_reminds_its_approvers_once_a_day(
    create_trigger, profile, requester_api, approver
):
    create_trigger(REMINDER)
    profile.triggers = {"onPendingEnroll": [{"name": "still-waiting"}]}
    profile.save()
    status, body = requester_api.submit(
        enroll_body(subject=[{"element": "cn.1", "value": "wait.example.com"}], csr=make_csr()[0])
    )
    assert status == 201, body
    assert fire_pending_reminders() == 0  # not a day yet
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        assert fire_pending_reminders() == 1
        assert fire_pending_reminders() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(hours=49)):
        assert fire_pending_reminders() == 1
    reminders = [m.to[0] for m in mail.outbox if m.subject.startswith("Still waiting: ")]
    # Two periods, one mail to each who may decide (the approver, the administrator).
    assert reminders.count(approver.email) == 2, reminders
    assert len(reminders) == 2 * len(set(reminders)), reminders
    assert TriggerRun.objects.filter(event="on_pending_enroll").count() == 2


@pytest.mark.django_db(transaction=True)
def test_run_triggers_does_what_the_scheduler_does_for_a_site_without_a_broker(expiring):
    out = io.StringIO()
    with time_machine.travel(timezone.now() + dt.timedelta(days=340)):
        call_command("run_triggers", stdout=out)
        call_command("run_triggers", stdout=out)
    assert "1 expiry run(s)" in out.getvalue() and len(_expiry_mails()) == 1, out.getvalue()
