"""Background work on Celery: each task in eager mode (what runs without a broker), the
notification hooks, the beat schedule, and a real worker fed through Redis."""

import datetime as dt
import importlib
import json
import os
import signal
import smtplib
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from cryptography import x509
from django.apps import apps as django_apps
from django.core.mail.backends import locmem
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from certificates import housekeeping as certificate_housekeeping
from certificates.models import Certificate, CertificateAuthority
from certificates.services import revoke_certificate
from certificates.tasks import refresh_crls
from profiles.models import Workflow
from raportal.celery import app as celery_app
from raportal.models import AuditEvent, OutboxMessage
from raportal.tasks import run_outbox_message, sweep_outbox
from requests_app import notifications
from requests_app.models import Request, Status
from requests_app.tasks import (
    expire_requests,
    notify_request_decided,
    notify_request_pending,
    purge_requests,
)
from tests.conftest import enroll_body
from tests.factories import TeamFactory, UserFactory, grant, make_csr
from tests.redis_server import REDIS_URL, redis_or_skip

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture(autouse=True)
def eager():
    """Tasks run at once, as without a broker, whatever the caller's environment says."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


def past() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=1)


# --- configuration -----------------------------------------------------------------------


def settings_with(**env) -> dict:
    """What the Celery settings come to in a fresh process with this environment."""
    code = (
        "import django, json; django.setup();"
        "from raportal.celery import app; c = app.conf;"
        "from django.conf import settings;"
        "print(json.dumps({'eager': c.task_always_eager, 'broker': c.broker_url,"
        " 'queue': c.task_default_queue, 'outbox': settings.RAPORTAL_OUTBOX_DELIVERY,"
        " 'beat': {k: [v['task'], str(v['schedule'])] for k, v in c.beat_schedule.items()}}))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CELERY_", "RAPORTAL_OUTBOX_", "RAPORTAL_ALLOW_INLINE"))
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "raportal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_without_a_broker_a_task_called_directly_runs_at_once_in_process():
    assert settings_with()["eager"] is True


@pytest.mark.slow
def test_without_a_broker_queued_work_goes_to_the_outbox_worker_thread():
    assert settings_with()["outbox"] == "thread"


@pytest.mark.slow
def test_with_a_broker_queued_work_goes_to_celery():
    assert settings_with(CELERY_BROKER_URL="redis://127.0.0.1:6379/3")["outbox"] == "celery"


def settings_error(**env) -> str:
    with pytest.raises(AssertionError) as refused:
        settings_with(**env)
    return str(refused.value)


@pytest.mark.slow
def test_inline_delivery_is_refused_in_production_unless_allowed():
    assert "RAPORTAL_OUTBOX_DELIVERY=inline" in settings_error(RAPORTAL_OUTBOX_DELIVERY="inline")
    allowed = settings_with(RAPORTAL_OUTBOX_DELIVERY="inline", RAPORTAL_ALLOW_INLINE_DELIVERY="1")
    assert allowed["outbox"] == "inline"


@pytest.mark.slow
def test_celery_delivery_without_a_broker_and_an_unknown_delivery_are_refused():
    assert "needs CELERY_BROKER_URL" in settings_error(RAPORTAL_OUTBOX_DELIVERY="celery")
    assert "celery, thread or inline" in settings_error(RAPORTAL_OUTBOX_DELIVERY="cron")


@pytest.mark.slow
def test_with_a_broker_tasks_go_to_it_and_beat_schedules_the_housekeeping():
    conf = settings_with(CELERY_BROKER_URL="redis://127.0.0.1:6379/3")
    assert conf["eager"] is False and conf["broker"] == "redis://127.0.0.1:6379/3"
    assert conf["queue"] == "raportal"
    assert conf["beat"] == {
        "sweep-outbox": ["raportal.tasks.sweep_outbox", "<crontab: * * * * * (m/h/dM/MY/d)>"],
        "refresh-crls": ["certificates.tasks.refresh_crls", "<crontab: 7 * * * * (m/h/dM/MY/d)>"],
        "expire-requests": [
            "requests_app.tasks.expire_requests",
            "<crontab: 17 * * * * (m/h/dM/MY/d)>",
        ],
        "purge-requests": [
            "requests_app.tasks.purge_requests",
            "<crontab: 27 3 * * * (m/h/dM/MY/d)>",
        ],
        "purge-events": ["raportal.tasks.purge_events", "<crontab: 47 3 * * * (m/h/dM/MY/d)>"],
        "log-event-anchor": [
            "raportal.tasks.log_event_anchor",
            "<crontab: 57 * * * * (m/h/dM/MY/d)>",
        ],
        "run-due-triggers": [
            "triggers.tasks.run_due_triggers",
            "<crontab: * * * * * (m/h/dM/MY/d)>",
        ],
        "expiry-triggers": [
            "certificates.tasks.fire_expiry_triggers",
            "<crontab: 37 * * * * (m/h/dM/MY/d)>",
        ],
        "pending-reminders": [
            "requests_app.tasks.fire_pending_reminders",
            "<crontab: */10 * * * * (m/h/dM/MY/d)>",
        ],
        "send-expiry-notices": [
            "certificates.tasks.send_expiry_notices",
            "<crontab: 47 * * * * (m/h/dM/MY/d)>",
        ],
        "renew-ocsp-responders": [
            "certificates.tasks.renew_ocsp_responders",
            "<crontab: 27 * * * * (m/h/dM/MY/d)>",
        ],
        "acme-validate-due": [
            "acme_server.tasks.validate_due_challenges",
            "<crontab: * * * * * (m/h/dM/MY/d)>",
        ],
        "acme-purge-nonces": [
            "acme_server.tasks.purge_acme_nonces",
            "<crontab: 3 * * * * (m/h/dM/MY/d)>",
        ],
    }


def test_every_scheduled_task_is_registered_with_the_app():
    # What a worker's autodiscovery does first: import the ``tasks`` module of every app.
    for app in django_apps.get_app_configs():
        if (Path(app.path) / "tasks.py").exists():
            importlib.import_module(f"{app.name}.tasks")
    for entry in celery_app.conf.beat_schedule.values():
        assert entry["task"] in celery_app.tasks, entry


@pytest.mark.slow
def test_email_tls_and_ssl_together_are_refused():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "raportal.settings",
            "EMAIL_USE_TLS": "1",
            "EMAIL_USE_SSL": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode != 0 and "EMAIL_USE_TLS" in result.stderr, result.stderr


# --- CRL refresh -------------------------------------------------------------------------


def crl_numbers() -> dict[str, int]:
    return dict(CertificateAuthority.objects.values_list("name", "crl_number"))


def test_refresh_crls_signs_a_first_crl_for_every_ca_then_leaves_fresh_ones_alone(pki):
    assert refresh_crls.delay().get() == {pki["root"].name: 1, pki["issuing"].name: 1}
    assert refresh_crls.delay().get() == {pki["root"].name: 1, pki["issuing"].name: 1}
    for ca in CertificateAuthority.objects.all():
        crl = x509.load_der_x509_crl(bytes(ca.crl_der))
        assert crl.is_signature_valid(ca.certificate.public_key())


def test_refresh_crls_publishes_a_revocation(pki, issue):
    refresh_crls.delay().get()
    certificate = Certificate.objects.get(pk=issue()["_id"])
    with transaction.atomic():
        revoke_certificate(certificate, "keycompromise")
    assert refresh_crls.delay().get() == {pki["root"].name: 1, pki["issuing"].name: 2}
    issuing = CertificateAuthority.objects.get(pk=pki["issuing"].pk)
    crl = x509.load_der_x509_crl(bytes(issuing.crl_der))
    assert crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16)) is not None


def test_refresh_crls_renews_a_crl_past_half_its_validity(pki):
    refresh_crls.delay().get()
    half = dt.timedelta(hours=pki["issuing"].crl_validity_hours / 2)
    CertificateAuthority.objects.filter(pk=pki["issuing"].pk).update(
        crl_next_update=timezone.now() + half - dt.timedelta(minutes=1)
    )
    assert refresh_crls.delay().get()[pki["issuing"].name] == 2
    issuing = CertificateAuthority.objects.get(pk=pki["issuing"].pk)
    assert issuing.crl_next_update > timezone.now() + half


def test_one_ca_that_cannot_sign_does_not_stop_the_others(pki, monkeypatch):
    real = certificate_housekeeping.current_crl

    def broken_for_root(ca):
        if ca.pk == pki["root"].pk:
            raise ValueError("HSM unplugged")
        return real(ca)

    monkeypatch.setattr(certificate_housekeeping, "current_crl", broken_for_root)
    assert refresh_crls.delay().get() == {pki["root"].name: None, pki["issuing"].name: 1}
    with pytest.raises(CommandError, match="could not be refreshed"):
        call_command("refresh_crls")


def test_the_refresh_crls_command_runs_the_same_refresh(pki, capsys):
    call_command("refresh_crls")
    assert capsys.readouterr().out.splitlines() == [
        f"{pki['root'].name}: CRL #1",
        f"{pki['issuing'].name}: CRL #1",
    ]
    assert crl_numbers() == {pki["root"].name: 1, pki["issuing"].name: 1}


# --- expiry and retention --------------------------------------------------------------------


def submit_centralized(api) -> str:
    status, body = api.submit(
        enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}}
    )
    assert status == 201 and body["status"] == "pending", body
    return body["_id"]


def test_expire_requests_closes_expired_pending_requests_and_wipes_their_secrets(
    profile, requester_api
):
    expired, fresh = submit_centralized(requester_api), submit_centralized(requester_api)
    Request.objects.filter(pk=expired).update(expires_at=past())
    assert expire_requests.delay().get() == 1
    assert Request.objects.get(pk=expired).sealed_password is None
    assert Request.objects.get(pk=expired).status == Status.EXPIRED
    assert Request.objects.get(pk=fresh).open_password() == PASSWORD
    assert expire_requests.delay().get() == 0


def test_purge_requests_deletes_requests_past_their_remove_at(profile, requester_api):
    gone, kept = submit_centralized(requester_api), submit_centralized(requester_api)
    Request.objects.filter(pk=gone).update(expires_at=past(), remove_at=past())
    assert purge_requests.delay().get() == 1
    assert list(Request.objects.values_list("pk", flat=True)) == [uuid.UUID(kept)]


# --- notifications -----------------------------------------------------------------------------


@pytest.fixture
def pending(profile, requester_api):
    csr, _ = make_csr()
    status, body = requester_api.submit(
        enroll_body(csr=csr, subject=[{"element": "cn.1", "value": "app.example.com"}])
    )
    assert status == 201 and body["status"] == "pending", body
    return Request.objects.get(pk=body["_id"])


def hook(function, request, callbacks) -> None:
    """Calls a service hook inside a transaction, as the services do, and commits."""
    with callbacks(execute=True), transaction.atomic():
        function(request)


def test_a_pending_request_mails_each_approver_after_commit(
    pending, profile, outsider, mailoutbox, django_capture_on_commit_callbacks
):
    member = UserFactory(username="team-approver")
    approvers = TeamFactory(name="approvers")
    approvers.members.add(member)
    grant(profile, approvers, "perform", Workflow.ENROLL)
    grant(profile, UserFactory(username="no-mail", email=""), "perform", Workflow.ENROLL)
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        notifications.request_submitted(pending)
        assert mailoutbox == []  # nothing before commit
    assert len(callbacks) == 1 and mailoutbox == []
    callbacks[0]()
    assert sorted(m.to[0] for m in mailoutbox) == [
        "approver@example.com",
        "team-approver@example.com",
    ], "one mail each; not the requester, the outsider, nor a user without an address"
    mail = mailoutbox[0]
    assert mail.subject == "[RA Portal] Waiting for your decision: enroll on webra-demo"
    assert "requester asks to enroll on profile webra-demo:\n  CN=app.example.com" in mail.body
    assert f"http://ra.test.example/approvals/{pending.pk}/" in mail.body


def test_a_rolled_back_submission_mails_nobody(pending, mailoutbox):
    with transaction.atomic():
        notifications.request_submitted(pending)
        transaction.set_rollback(True)
    assert mailoutbox == []


def test_a_request_decided_before_its_notice_runs_mails_no_approver(pending, mailoutbox):
    Request.objects.filter(pk=pending.pk).update(status=Status.CANCELED)
    assert notify_request_pending.delay(str(pending.pk)).get() == 0
    assert mailoutbox == []


def test_an_expired_request_mails_no_approver(pending, mailoutbox):
    Request.objects.filter(pk=pending.pk).update(expires_at=past())
    assert notify_request_pending.delay(str(pending.pk)).get() == 0


def decided(request_id) -> Request:
    return Request.objects.get(pk=request_id)


def test_the_requester_hears_of_an_approval(
    pending, approver_api, mailoutbox, django_capture_on_commit_callbacks
):
    status, body = approver_api.post(
        "/api/v1/requests/approve", {"_id": str(pending.pk), "approverComment": "fine"}
    )
    assert status == 200, body
    mailoutbox.clear()  # in case the services already notify
    hook(notifications.request_decided, decided(pending.pk), django_capture_on_commit_callbacks)
    [mail] = mailoutbox
    assert mail.to == ["requester@example.com"]
    assert mail.subject == "[RA Portal] Your enroll request was approved"
    assert "was approved by approver" in mail.body and "Their comment: fine" in mail.body
    assert f"http://ra.test.example/requests/{pending.pk}/" in mail.body


def test_the_requester_hears_of_a_denial_and_of_no_secret(
    profile, requester_api, approver_api, mailoutbox, django_capture_on_commit_callbacks
):
    request_id = submit_centralized(requester_api)
    status, body = approver_api.post(
        "/api/v1/requests/deny", {"_id": request_id, "approverComment": "not this host"}
    )
    assert status == 200, body
    mailoutbox.clear()
    hook(notifications.request_decided, decided(request_id), django_capture_on_commit_callbacks)
    [mail] = mailoutbox
    assert mail.subject == "[RA Portal] Your enroll request was denied"
    assert "Their comment: not this host" in mail.body
    assert PASSWORD not in mail.body


def test_a_centralized_approval_points_to_the_pkcs12_without_sending_it(
    profile, requester_api, approver_api, mailoutbox, django_capture_on_commit_callbacks
):
    request_id = submit_centralized(requester_api)
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": request_id})
    assert status == 200, body
    mailoutbox.clear()
    hook(notifications.request_decided, decided(request_id), django_capture_on_commit_callbacks)
    [mail] = mailoutbox
    assert "PKCS#12 waits on the request's page" in mail.body
    assert PASSWORD not in mail.body and not mail.attachments


def test_a_request_executed_by_its_own_requester_is_no_news(
    profile, approver_api, mailoutbox, django_capture_on_commit_callbacks
):
    status, body = approver_api.submit(enroll_body(csr=make_csr()[0]))
    assert status == 201 and body["status"] == "completed", body
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        notifications.request_submitted(decided(body["_id"]))
        notifications.request_decided(decided(body["_id"]))
    assert callbacks == [] and mailoutbox == []


def test_a_failing_mail_server_is_recorded_not_raised(pending, mailoutbox, monkeypatch):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, "try later")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
    assert notify_request_pending.delay(str(pending.pk)).get() == 0
    event = AuditEvent.objects.get(action="notification.failed")
    assert event.object_id == str(pending.pk) and event.detail["kind"] == "pending"
    assert "try later" in event.detail["error"]


def test_a_broker_that_is_down_delays_the_mail_until_the_sweep_sends_it_again(
    pending, mailoutbox, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.RAPORTAL_OUTBOX_DELIVERY = "celery"
    broker_up = False
    real_delay = run_outbox_message.delay

    def delay(*args, **kwargs):
        if not broker_up:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return real_delay(*args, **kwargs)  # eager here: run at once

    monkeypatch.setattr(run_outbox_message, "delay", delay)
    OutboxMessage.objects.all().delete()  # the fixture's submission's, never committed here
    hook(notifications.request_submitted, pending, django_capture_on_commit_callbacks)
    assert mailoutbox == [] and OutboxMessage.objects.count() == 1, "kept, not lost"
    assert sweep_outbox.delay().get() == 0, "a message just queued is left to its own task"
    OutboxMessage.objects.update(available_at=timezone.now() - dt.timedelta(minutes=2))
    broker_up = True
    assert sweep_outbox.delay().get() == 1
    [mail] = mailoutbox
    assert mail.to == ["approver@example.com"]
    assert not OutboxMessage.objects.exists()


def test_a_requester_without_an_address_gets_no_mail(pending, approver_api, mailoutbox):
    type(pending.requester).objects.filter(pk=pending.requester_id).update(email="")
    status, body = approver_api.post("/api/v1/requests/deny", {"_id": str(pending.pk)})
    assert status == 200, body
    mailoutbox.clear()
    assert notify_request_decided.delay(str(pending.pk)).get() == 0
    assert mailoutbox == []


# The services queue these notifications: request_submit calls notifications.request_submitted,
# request_approve and request_deny call notifications.request_decided, inside their transaction.


def test_submitting_a_pending_request_mails_its_approvers_once_committed(
    profile, requester_api, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_id = submit_centralized(requester_api)
    [mail] = mailoutbox
    assert mail.to == ["approver@example.com"] and request_id in mail.body


def test_a_dry_run_or_an_executed_submission_mails_nobody(
    profile, requester_api, approver_api, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        status, body = requester_api.submit(enroll_body(csr=make_csr()[0]) | {"dryRun": True})
        assert status == 201, body
        status, body = approver_api.submit(enroll_body(csr=make_csr()[0]))
        assert status == 201 and body["status"] == "completed", body
    assert mailoutbox == []
    assert callbacks == [], "an executed submission is no news to anyone"
    with django_capture_on_commit_callbacks(execute=True):
        submit_centralized(requester_api)
    assert len(mailoutbox) == 1, "the hooks are wired (else this test proves nothing)"


@pytest.mark.parametrize(("decision", "word"), [("approve", "approved"), ("deny", "denied")])
def test_deciding_mails_the_requester_once_committed(
    decision, word, pending, approver_api, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        status, body = approver_api.post(f"/api/v1/requests/{decision}", {"_id": str(pending.pk)})
    assert status == 200, body
    [mail] = mailoutbox
    assert mail.to == ["requester@example.com"]
    assert mail.subject == f"[RA Portal] Your enroll request was {word}"


# --- a real worker, fed through Redis ------------------------------------------------------


def test_database_url() -> str:
    """The URL of the test database this process is using, for the worker to share it."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def redis_up():
    redis_or_skip()


@pytest.fixture
def worker(redis_up, tmp_path):
    """A `celery -A raportal worker` process on its own queue, sharing the test database;
    stopped (warm shutdown) at the end."""
    queue = f"raportal-test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "DJANGO_CONN_MAX_AGE": "0",  # no connection left open on the test database
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "raportal",
        "worker",
        "--pool",
        "solo",
        "--queues",
        queue,
        "--hostname",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    # Not the current app: the shared tasks of later tests must stay on the (eager) portal app.
    client = Celery(
        "raportal-test-client", broker=REDIS_URL, backend=REDIS_URL, set_as_current=False
    )
    client.conf.task_default_queue = queue
    handle = type("Worker", (), {"process": process, "log": log, "queue": queue})()
    handle.run = lambda name, *args: _run(client, handle, name, *args)
    try:
        yield handle
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        import redis

        server = redis.Redis.from_url(REDIS_URL)
        for key in server.scan_iter(match=f"*{queue}*"):  # the queue and kombu's bindings
            server.delete(key)
        client.close()


def _run(client, worker, name: str, *args, timeout: float = 90):
    """Sends a task by name and waits for the worker's answer."""
    result = client.send_task(name, args=args, queue=worker.queue)
    deadline = time.monotonic() + timeout
    try:
        while not result.ready():
            if worker.process.poll() is not None:
                pytest.fail(f"the worker stopped ({worker.process.returncode}):\n{_tail(worker)}")
            if time.monotonic() > deadline:
                pytest.fail(f"no answer from the worker in {timeout} s:\n{_tail(worker)}")
            time.sleep(0.2)
        return result.get(timeout=5)
    finally:
        result.forget()


def _denied(profile, requester, approver, **fields) -> Request:
    """A request the approver denied: by default still kept (not past its removeAt)."""
    now = timezone.now()
    values = {
        "dn": "CN=denied.example.com",
        "expires_at": now + dt.timedelta(days=7),
        "remove_at": now + dt.timedelta(days=97),
        **fields,
    }
    return Request.objects.create(
        module="webra",
        workflow=Workflow.ENROLL,
        status=Status.DENIED,
        profile=profile,
        requester=requester,
        approver=approver,
        **values,
    )


def _tail(worker) -> str:
    return worker.log.read_text(errors="replace")[-4000:]


@pytest.mark.slow
@pytest.mark.postgres
def test_a_real_worker_runs_the_tasks_sent_through_redis(
    postgres_only, redis_up, transactional_db, pki, profile, requester, approver, worker
):
    # Committed data (transactional_db): the worker reads it through its own connection.
    now = timezone.now()
    old = _denied(
        profile,
        requester,
        approver,
        dn="CN=old.example.com",
        created_at=now - dt.timedelta(days=100),
        expires_at=now - dt.timedelta(days=93),
        remove_at=now - dt.timedelta(days=3),
    )
    denied = _denied(profile, requester, approver, approver_comment="not this one")

    numbers = worker.run("certificates.tasks.refresh_crls")
    assert numbers == {pki["root"].name: 1, pki["issuing"].name: 1}
    assert crl_numbers() == numbers  # written by the worker, seen here

    assert worker.run("requests_app.tasks.purge_requests") == 1
    assert not Request.objects.filter(pk=old.pk).exists()
    assert Request.objects.filter(pk=denied.pk).exists()

    assert worker.run("requests_app.tasks.notify_request_decided", str(denied.pk)) == 1
    deadline = time.monotonic() + 10  # the console backend's mail reaches the log
    while "Your enroll request was denied" not in _tail(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Subject: [RA Portal] Your enroll request was denied" in _tail(worker), _tail(worker)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_real_worker_runs_outbox_messages_and_its_sweep_sends_the_left_ones_again(
    postgres_only, redis_up, transactional_db, pki, profile, requester, approver, worker
):
    denied = _denied(profile, requester, approver)
    task = "requests_app.tasks.notify_request_decided"
    sent = OutboxMessage.objects.create(task=task, args=[str(denied.pk)])
    assert worker.run("raportal.tasks.run_outbox_message", sent.pk) is True
    assert not OutboxMessage.objects.filter(pk=sent.pk).exists(), "deleted once run"
    assert worker.run("raportal.tasks.run_outbox_message", sent.pk) is None, "runs once"

    # Committed a while ago and never handed on (a broker that was down, a dead process).
    left = OutboxMessage.objects.create(
        task=task, args=[str(denied.pk)], available_at=timezone.now() - dt.timedelta(minutes=2)
    )
    assert worker.run("raportal.tasks.sweep_outbox") == 1
    deadline = time.monotonic() + 30  # the sweep's task goes through Redis to the worker
    while OutboxMessage.objects.filter(pk=left.pk).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not OutboxMessage.objects.filter(pk=left.pk).exists(), _tail(worker)
    log = worker.log.read_text(errors="replace")
    assert log.count("Subject: [RA Portal] Your enroll request was denied") == 2, _tail(worker)
