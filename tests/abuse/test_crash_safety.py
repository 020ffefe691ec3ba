"""A failure between issuing a certificate and committing leaves no half state.

Issuing writes the certificate row (and its escrowed key), then the request row and the audit
events, all in the submitting (or approving) transaction. Whatever stops that transaction — an
exception or the process being killed — the database must hold either both (a certificate and
its completed request) or neither: never a certificate nobody asked for, never a completed
request without its certificate.

Two kinds of fault:

- an exception injected at each step after the certificate row is written (the API answers a
  problem+json 500 with a code, and everything rolls back);
- a real ``SIGKILL`` of a separate process in the middle of the transaction (PostgreSQL only:
  the test database must be visible to another process, and the server must be the one that
  throws the uncommitted work away).
"""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from certificates.models import Certificate, EscrowedKey
from raportal.models import AuditEvent
from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import make_csr

PASSWORD = "Correct-Horse-9-battery"
PROBLEM = "application/problem+json"


class Fault(RuntimeError):
    """The injected failure."""


def fail_on(action: str, original):
    """An audit ``record`` that raises for one action and behaves for the others."""

    def record(actor, name, obj, **detail):
        if name == action:
            raise Fault(f"injected fault at {name}")
        return original(actor, name, obj, **detail)

    return record


def centralized(body: dict) -> dict:
    body["template"]["keyType"] = "ec-secp256r1"
    body["password"] = {"value": PASSWORD}
    return body


def decentralized(body: dict) -> dict:
    body["template"]["csr"] = make_csr()[0]
    return body


def assert_no_half_state():
    """Every certificate has its completed request, every completed request its certificate."""
    completed = Request.objects.filter(status="completed", workflow__in=["enroll", "renew"])
    assert not completed.filter(certificate__isnull=True).exists(), list(completed.values())
    orphans = Certificate.objects.exclude(pk__in=completed.values("certificate"))
    assert not orphans.exists(), list(orphans.values("serial", "dn", "metadata"))


def assert_logged_fault(caplog):
    """The 500 came from the injected fault (not from something else going wrong), and the
    fault was logged, with its traceback, for the operators."""
    faults = [r for r in caplog.records if r.exc_info and r.exc_info[0] is Fault]
    assert faults, [r.getMessage() for r in caplog.records]


def assert_problem_500(status, body):
    assert status == 500, body
    assert (body.get("error"), body.get("status")) == ("REQ-001", 500), body
    assert set(body) >= {"error", "message", "title", "detail", "status"}, body
    assert "Traceback" not in json.dumps(body) and "injected" not in body["detail"], body


# --- an exception between writing the certificate and committing --------------------------


def patch_certificate_audit(monkeypatch):
    import certificates.services

    monkeypatch.setattr(
        certificates.services,
        "record",
        fail_on("certificate.issue", certificates.services.record),
    )


def patch_submit_audit(monkeypatch):
    import requests_app.services

    monkeypatch.setattr(
        requests_app.services,
        "record",
        fail_on("request.submit.enroll", requests_app.services.record),
    )


def patch_request_save(monkeypatch):
    def save(self, *args, **kwargs):
        raise Fault("injected fault saving the request")

    monkeypatch.setattr(Request, "save", save)


def patch_pkcs12(monkeypatch):
    from requests_app.workflows import keys

    def deliver(**kwargs):
        raise Fault("injected fault building the PKCS#12")

    monkeypatch.setattr(keys, "deliver_pkcs12", deliver)


FAULTS = {
    # The certificate row (and its escrowed key) is written, its audit event fails.
    "audit-of-the-issuance": patch_certificate_audit,
    # The certificate row is written, the PKCS#12 cannot be built (centralized only).
    "building-the-pkcs12": patch_pkcs12,
    # The certificate row is written, the request row cannot be.
    "saving-the-request": patch_request_save,
    # Both rows are written, the last step before commit fails.
    "audit-of-the-submission": patch_submit_audit,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("fault", "mode"),
    [
        (fault, mode)
        for fault in FAULTS
        for mode in (centralized, decentralized)
        if not (fault == "building-the-pkcs12" and mode is decentralized)  # builds none
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_a_fault_after_the_certificate_is_written_leaves_no_certificate_and_no_request(
    profile, approver_api, monkeypatch, caplog, fault, mode
):
    FAULTS[fault](monkeypatch)
    status, body = approver_api.submit(mode(enroll_body()))
    assert_problem_500(status, body)
    assert_logged_fault(caplog)
    assert Certificate.objects.count() == 0, list(Certificate.objects.values("serial", "dn"))
    assert EscrowedKey.objects.count() == 0
    assert Request.objects.count() == 0, list(Request.objects.values())
    assert not AuditEvent.objects.filter(action__in=["certificate.issue", "request.submit.enroll"])
    assert_no_half_state()
    monkeypatch.undo()
    # Nothing is stuck either (no lock, no counter): the same submission then succeeds.
    status, body = approver_api.submit(mode(enroll_body()))
    assert status == 201 and body["status"] == "completed", body
    assert_no_half_state()


@pytest.mark.django_db(transaction=True)
def test_a_fault_while_approving_leaves_the_request_pending_and_no_certificate(
    profile, requester_api, approver_api, monkeypatch, caplog
):
    import requests_app.services

    status, pending = requester_api.submit(centralized(enroll_body()))
    assert status == 201 and pending["status"] == "pending", pending
    monkeypatch.setattr(
        requests_app.services,
        "record",
        fail_on("request.approve.enroll", requests_app.services.record),
    )
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert_problem_500(status, body)
    assert_logged_fault(caplog)
    request = Request.objects.get(pk=pending["_id"])
    assert (request.status, request.certificate_id, request.approver_id) == ("pending", None, None)
    assert request.sealed_pkcs12 is None  # nothing sealed for a certificate that does not exist
    assert request.sealed_password is not None  # the requester's password is still there
    assert Certificate.objects.count() == 0 and EscrowedKey.objects.count() == 0
    monkeypatch.undo()
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status == 200 and body["status"] == "completed", body
    assert_no_half_state()


@pytest.mark.django_db(transaction=True)
def test_a_fault_while_renewing_leaves_the_old_certificate_unlinked_and_no_successor(
    profile, issue, approver_api, monkeypatch, caplog
):
    import requests_app.services

    old = issue()
    Certificate.objects.filter(pk=old["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=10)
    )
    monkeypatch.setattr(
        requests_app.services,
        "record",
        fail_on("request.submit.renew", requests_app.services.record),
    )
    renew = {
        "module": "webra",
        "workflow": "renew",
        "certificateId": old["_id"],
        "template": {"csr": make_csr()[0]},
    }
    status, body = approver_api.submit(renew)
    assert_problem_500(status, body)
    assert_logged_fault(caplog)
    stored = Certificate.objects.get(pk=old["_id"])
    assert stored.metadata == [], stored.metadata  # no renewed_certificate_id to nowhere
    assert Certificate.objects.count() == 1
    assert not Request.objects.filter(workflow="renew").exists()
    monkeypatch.undo()
    status, body = approver_api.submit(renew)
    assert status == 201 and body["status"] == "completed", body


# --- a real SIGKILL in the middle of the transaction ---------------------------------------

CHILD = r"""
import json, os, signal, sys

import django

django.setup()

import certificates.services
import requests_app.services
from django.contrib.auth import get_user_model
from certificates.models import Certificate
from requests_app.workflows import handler_for

point, payload = sys.argv[1], json.loads(sys.argv[2])


def die(what):
    # Proof, for the parent, that the kill came after the rows were written.
    sys.stderr.write(
        f"killing after {what}: {Certificate.objects.count()} certificate row(s) visible\n"
    )
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def kill_on(module, action):
    original = module.record

    def record(actor, name, obj, **detail):
        result = original(actor, name, obj, **detail)
        if name == action:
            die(action)
        return result

    module.record = record


user = get_user_model().objects.get(username=payload["user"])
if point == "certificate-written":
    kill_on(certificates.services, "certificate.issue")
elif point == "request-written":
    kill_on(requests_app.services, "request.submit.enroll")
elif point == "approval-certificate-written":
    kill_on(certificates.services, "certificate.issue")

if point.startswith("approval"):
    requests_app.services.request_approve(user, payload["request"])
else:
    handler = handler_for("webra", "enroll")
    requests_app.services.request_submit(user, handler, payload["data"])
die("commit")
"""


def child_env() -> dict:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "raportal.settings",
        "DATABASE_URL": url,
        "DJANGO_CONN_MAX_AGE": "0",
        "PYTHONPATH": str(settings.BASE_DIR),
    }


def run_child(point: str, payload: dict) -> str:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, point, json.dumps(payload)],
        env=child_env(),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]
    wait_for_other_sessions_to_end()
    return child.stderr


def wait_for_other_sessions_to_end(timeout: float = 15.0):
    """The server notices the dead client's socket and rolls its transaction back; wait for
    that, so that the flush after the test does not queue behind its locks."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    pytest.fail("the killed process's transaction is still open on the server")


KILL_POINTS = [
    # (where the child dies, what the database must hold afterwards)
    ("certificate-written", "nothing"),
    ("request-written", "nothing"),
    ("commit", "both"),
]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", [centralized, decentralized], ids=lambda f: f.__name__)
@pytest.mark.parametrize(("point", "expected"), KILL_POINTS)
def test_a_submission_killed_mid_transaction_leaves_a_certificate_only_with_its_request(
    postgres_only, profile, approver, point, expected, mode
):
    data = mode(enroll_body())
    stderr = run_child(point, {"user": approver.username, "data": data})
    assert "killing after" in stderr, stderr
    if point != "commit":
        assert "1 certificate row(s) visible" in stderr, stderr  # written, then killed
    assert_no_half_state()
    certificates, requests = Certificate.objects.count(), Request.objects.count()
    if expected == "nothing":
        assert (certificates, requests, EscrowedKey.objects.count()) == (0, 0, 0), stderr
        assert not AuditEvent.objects.filter(action="certificate.issue").exists()
    else:
        assert (certificates, requests) == (1, 1), stderr
        assert Request.objects.get().status == "completed"
        assert EscrowedKey.objects.count() == (1 if mode is centralized else 0)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_approval_killed_mid_transaction_leaves_the_request_pending_without_certificate(
    postgres_only, profile, requester_api, approver
):
    status, pending = requester_api.submit(decentralized(enroll_body()))
    assert status == 201 and pending["status"] == "pending", pending
    stderr = run_child(
        "approval-certificate-written", {"user": approver.username, "request": pending["_id"]}
    )
    assert "killing after certificate.issue: 1 certificate row(s) visible" in stderr, stderr
    request = Request.objects.get(pk=pending["_id"])
    assert (request.status, request.certificate_id) == ("pending", None)
    assert Certificate.objects.count() == 0
    assert_no_half_state()
