"""The outbox (raportal/outbox.py): work queued in the caller's transaction runs after the
commit, once, outside the request's thread, and survives a process that dies after the
commit."""

import datetime as dt
import json
import os
import smtplib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from raportal import outbox
from raportal.models import AuditEvent, OutboxMessage
from tests.conftest import enroll_body
from tests.factories import make_csr
from tests.raportal import outbox_tasks
from tests.raportal.outbox_tasks import flaky, note

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh_runs():
    outbox_tasks.runs.clear()
    outbox_tasks.failures_left["count"] = 0
    yield
    outbox.stop_worker()


def values() -> list:
    return [value for _thread, value in outbox_tasks.runs]


# --- queued in the transaction, run after it -------------------------------------------------


def test_a_message_runs_once_its_transaction_commits_and_is_then_deleted(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue(note, "hello")
        assert values() == [] and OutboxMessage.objects.count() == 1
    assert values() == ["hello"]
    assert not OutboxMessage.objects.exists()


def test_a_rolled_back_transaction_leaves_no_message(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        outbox.enqueue(note, "never")
        transaction.set_rollback(True)
    assert callbacks == [] and values() == []
    assert not OutboxMessage.objects.exists()


def test_arguments_json_would_change_are_refused(db):
    with pytest.raises(TypeError):
        outbox.enqueue(note, dt.date(2026, 1, 1))
    with pytest.raises(TypeError):
        outbox.enqueue(note, (1, 2))  # would come back as a list


def test_a_message_for_later_waits_for_its_time(db, django_capture_on_commit_callbacks):
    later = timezone.now() + dt.timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue(note, "later", at=later)
    assert values() == [] and outbox.drain() == 0
    assert outbox.claim(now=later + dt.timedelta(seconds=1)).pk == message.pk


# --- claims, leases, retries ---------------------------------------------------------------


def test_a_claimed_message_is_not_claimed_again_until_its_lease_is_over(db, settings):
    settings.RAPORTAL_OUTBOX_LEASE_SECONDS = 300
    message = outbox.enqueue(note, "x")
    now = timezone.now()
    assert outbox.claim(now=now).pk == message.pk
    assert outbox.claim(now=now + dt.timedelta(seconds=299)) is None
    again = outbox.claim(now=now + dt.timedelta(seconds=301))
    assert again.pk == message.pk and again.attempts == 2, "a dead worker's claim runs out"


def test_a_failing_task_is_retried_with_backoff_then_runs(db, settings):
    settings.RAPORTAL_OUTBOX_RETRY_DELAY = 30
    outbox_tasks.failures_left["count"] = 2
    message = outbox.enqueue(flaky, "eventually")
    start = timezone.now()
    assert outbox.drain() == 1, "a failed attempt waits for its retry"
    message.refresh_from_db()
    assert message.attempts == 1 and "the receiver is away" in message.last_error
    assert 25 <= (message.available_at - start).total_seconds() <= 35
    outbox.run(outbox.claim(now=message.available_at))
    message.refresh_from_db()
    assert message.attempts == 2
    assert 55 <= (message.available_at - start).total_seconds() <= 70, "doubled"
    outbox.run(outbox.claim(now=message.available_at))
    assert values() == ["eventually"] and not OutboxMessage.objects.exists()


def test_a_task_failing_every_attempt_is_kept_as_failed(db, settings, caplog):
    settings.RAPORTAL_OUTBOX_MAX_ATTEMPTS = 2
    outbox_tasks.failures_left["count"] = 5
    message = outbox.enqueue(flaky, "never")
    far = timezone.now() + dt.timedelta(days=1)
    for _ in range(2):
        outbox.run(outbox.claim(now=far))
    message.refresh_from_db()
    assert message.failed_at is not None and message.attempts == 2
    assert outbox.claim(now=far + dt.timedelta(days=1)) is None, "given up on"
    assert "given up" in caplog.text


def test_a_message_whose_worker_dies_at_every_attempt_is_given_up_and_the_next_one_runs(
    db, settings, caplog
):
    settings.RAPORTAL_OUTBOX_MAX_ATTEMPTS = 2
    settings.RAPORTAL_OUTBOX_LEASE_SECONDS = 300
    killer = outbox.enqueue(note, "kills its worker")
    now = timezone.now()
    for attempt in range(2):  # claimed, then its worker dies: the lease runs out
        assert outbox.claim(now=now + dt.timedelta(seconds=301 * attempt)).pk == killer.pk
    # Due just after the dead one's lease ends: the dead one comes first in the queue.
    later = outbox.enqueue(note, "after it", at=now + dt.timedelta(seconds=601.5))
    taken = outbox.claim(now=now + dt.timedelta(seconds=602))
    assert taken is not None and taken.pk == later.pk, "the dead one is not taken a third time"
    killer.refresh_from_db()
    assert killer.failed_at is not None and "died" in killer.last_error
    assert "given up" in caplog.text


def test_a_name_that_is_no_task_is_not_run(db, settings):
    settings.RAPORTAL_OUTBOX_MAX_ATTEMPTS = 1
    message = OutboxMessage.objects.create(task="os.system", args=["true"])
    outbox.run(outbox.claim())
    message.refresh_from_db()
    assert message.failed_at is not None and "is not a task" in message.last_error


# --- run_worker --------------------------------------------------------------------------


def test_run_worker_once_runs_what_is_due_and_exits(db, capsys):
    outbox.enqueue(note, "a")
    outbox.enqueue(note, "b")
    call_command("run_worker", "--once")
    assert values() == ["a", "b"] and "2 message(s) run" in capsys.readouterr().out
    call_command("run_worker", "--once")
    assert values() == ["a", "b"] and "0 message(s) run" in capsys.readouterr().out


# --- delivery by the worker thread, not by the request ----------------------------------------


def test_with_thread_delivery_the_mail_leaves_from_the_worker_thread_not_the_request(
    transactional_db, profile, requester_api, settings, mailoutbox, monkeypatch
):
    settings.RAPORTAL_OUTBOX_DELIVERY = "thread"
    senders = []
    real_send = locmem.EmailBackend.send_messages

    def send(self, messages):
        senders.append(threading.current_thread().name)
        return real_send(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send)
    status, body = requester_api.submit(enroll_body(csr=make_csr()[0]))
    assert status == 201 and body["status"] == "pending", body
    deadline = time.monotonic() + 20
    while not mailoutbox and time.monotonic() < deadline:
        time.sleep(0.05)
    [mail] = mailoutbox
    assert mail.to == ["approver@example.com"] and body["_id"] in mail.body
    assert senders == ["raportal-outbox"], "sent by the worker thread"
    assert threading.current_thread().name not in senders
    outbox.stop_worker()
    assert not OutboxMessage.objects.exists()


# --- several claimers ----------------------------------------------------------------------


@pytest.mark.postgres
def test_two_claimers_at_once_run_each_message_exactly_once(postgres_only, transactional_db):
    # Committed, and handed to nobody (as after a crash): the two claimers share them out.
    OutboxMessage.objects.bulk_create(
        OutboxMessage(task=note.name, args=[number, 0.01]) for number in range(30)
    )
    start = threading.Barrier(2)

    def claimer():
        try:
            start.wait()
            outbox.drain()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer, name=f"claimer-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(values()) == list(range(30)), "each message once"
    assert {name for name, _value in outbox_tasks.runs} == {"claimer-0", "claimer-1"}
    assert not OutboxMessage.objects.exists()


# --- a process killed right after its commit ---------------------------------------------


CRASH = """
import os, signal, threading, django
django.setup()
from django.db import transaction
from raportal import outbox
from tests.conftest import Api

# The worker thread is held back: the kill below always comes before it could run.
outbox.drain = lambda limit=None: threading.Event().wait()
queue = outbox.enqueue

def enqueue_then_die(*args, **kwargs):
    message = queue(*args, **kwargs)
    # After the outbox's own hook: the process dies right after the commit.
    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    return message

outbox.enqueue = enqueue_then_die
user = type("U", (), {"username": "requester"})()
Api(user, key=os.environ["TEST_API_KEY"]).submit(__BODY__)
print("survived")
"""


def shared_database_url(tmp_path: Path) -> str:
    """A database the subprocesses and this test share: the PostgreSQL test database, or
    (on SQLite, in memory here) a file copy of it."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db["USER"] or ""
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        return f"postgres://{user}{password}@{host}/{db['NAME']}"
    import sqlite3

    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    return f"sqlite:///{path}"


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_a_process_killed_right_after_its_commit_loses_no_mail_and_sends_it_once(
    transactional_db, profile, requester, tmp_path
):
    from aiosmtpd.controller import Controller

    from tests.factories import api_key_for
    from tests.triggers.conftest import Sink, _free_port

    key = api_key_for(requester)
    sink, port = Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {
            **os.environ,
            "DATABASE_URL": shared_database_url(tmp_path),
            "DJANGO_CONN_MAX_AGE": "0",
            "RAPORTAL_OUTBOX_DELIVERY": "thread",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_TIMEOUT": "10",
            "TEST_API_KEY": key,
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("EMAIL_BACKEND", None)
        body = enroll_body(csr=make_csr()[0])
        code = CRASH.replace("__BODY__", json.dumps(body))
        crashed = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert crashed.returncode == -9, crashed.stdout + crashed.stderr
        assert sink.messages == [], "nothing was sent before the process died"

        first = manage(env, "run_worker", "--once")
        assert first.returncode == 0, first.stderr
        assert "1 message(s) run" in first.stdout, first.stdout + first.stderr
        [mail] = sink.messages
        assert mail["X-Envelope-To"] == "approver@example.com"
        assert str(mail["Subject"]).startswith("[RA Portal] Waiting for your decision")

        again = manage(env, "run_worker", "--once")
        assert again.returncode == 0 and "0 message(s) run" in again.stdout, again.stderr
        assert len(sink.messages) == 1, "delivered exactly once"
    finally:
        controller.stop()


# --- a mail server away for a while ---------------------------------------------------------


@pytest.fixture
def pending_notice(profile, requester_api):
    """A pending request's notice, queued and not run yet (the test's transaction never
    commits)."""
    status, body = requester_api.submit(enroll_body(csr=make_csr()[0]))
    assert status == 201 and body["status"] == "pending", body
    [message] = OutboxMessage.objects.all()
    assert message.task == "requests_app.tasks.notify_request_pending"
    return body["_id"]


def mail_server_down_for(monkeypatch, attempts: int) -> None:
    real_send = locmem.EmailBackend.send_messages
    left = {"count": attempts}

    def send(self, messages):
        if left["count"] > 0:
            left["count"] -= 1
            raise smtplib.SMTPConnectError(421, "try later")
        return real_send(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send)


def test_a_mail_server_away_for_a_while_delays_the_notice_without_recording_a_failure(
    pending_notice, mailoutbox, monkeypatch
):
    mail_server_down_for(monkeypatch, 1)
    assert outbox.drain() == 1 and mailoutbox == []
    message = OutboxMessage.objects.get()
    assert message.attempts == 1 and "try later" in message.last_error
    outbox.run(outbox.claim(now=message.available_at))
    [mail] = mailoutbox
    assert mail.to == ["approver@example.com"] and pending_notice in mail.body
    assert not AuditEvent.objects.filter(action="notification.failed").exists()
    assert not OutboxMessage.objects.exists()


def test_a_notice_whose_last_attempt_fails_is_recorded_as_a_failed_notification(
    pending_notice, mailoutbox, monkeypatch, settings
):
    settings.RAPORTAL_OUTBOX_MAX_ATTEMPTS = 2
    mail_server_down_for(monkeypatch, 5)
    outbox.drain()
    assert not AuditEvent.objects.filter(action="notification.failed").exists()
    outbox.run(outbox.claim(now=OutboxMessage.objects.get().available_at))
    [event] = AuditEvent.objects.filter(action="notification.failed")
    assert event.object_id == pending_notice and "try later" in event.detail["error"]
    assert mailoutbox == [] and not OutboxMessage.objects.exists(), "recorded, not kept"


@pytest.fixture
def broker(db, settings, monkeypatch) -> list[tuple]:
    """Celery delivery with a broker that records what it is sent: (eta or "now", args)."""
    from raportal.tasks import run_outbox_message

    settings.RAPORTAL_OUTBOX_DELIVERY = "celery"
    sent: list[tuple] = []
    monkeypatch.setattr(run_outbox_message, "delay", lambda *args: sent.append(("now", args)))
    monkeypatch.setattr(
        run_outbox_message, "apply_async", lambda args, eta: sent.append((eta, args))
    )
    return sent


def test_with_a_broker_a_failed_attempt_is_sent_again_for_its_retry_time(broker, settings):
    """Not left to the sweep (which looks at messages due a minute ago): the retry's task
    goes to the broker with the retry's time as its eta."""
    settings.RAPORTAL_OUTBOX_RETRY_DELAY = 30
    outbox_tasks.failures_left["count"] = 1
    message = outbox.enqueue(flaky, "later")
    assert outbox.run(outbox.claim()) is False
    message.refresh_from_db()
    assert broker == [(message.available_at, (message.pk,))], broker
    assert outbox.run(outbox.claim(message.pk, now=message.available_at)) is True
    assert values() == ["later"]


def test_with_a_broker_a_long_retry_wait_is_left_to_the_sweep(broker, settings):
    """A broker keeps eta tasks in its workers' memory: hours of a mail server away would
    pile them up there; the sweep sends the retry once it is due."""
    settings.RAPORTAL_OUTBOX_RETRY_DELAY = 600
    outbox_tasks.failures_left["count"] = 1
    outbox.enqueue(flaky, "much later")
    assert outbox.run(outbox.claim()) is False
    assert broker == []
