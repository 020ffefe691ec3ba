"""Scale-out: two app servers sharing one PostgreSQL and one Redis, as the portal runs when one
machine is not enough (README, "Running in production").

Two gunicorn instances, each with production's configuration (deploy/gunicorn.conf.py, DEBUG
off, two workers) and the same secrets, serve one throw-away database seeded with the demo,
and keep their cache in one Redis. What one instance does, the other must honour on its next
request: an approval decided once whichever instance each approver reached, a profile
changed through the other, authentication failures counted together, a request submitted on
one decided on the other, one CRL.

PostgreSQL only (skipped on SQLite: its own database beside the test database); Redis from
``RAPORTAL_TEST_REDIS_URL`` (tests/redis_server.py): skipped without one, except in CI.
"""

import copy
import json
import os
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import IO, Any

import pytest
from cryptography import x509
from django.conf import settings

from bench.common import (
    ROOT,
    drop_database,
    free_port,
    fresh_secrets,
    recreate_database,
    seed_demo_database,
    start_gunicorn,
    stop,
    wait_until_healthy,
)
from tests.conftest import enroll_body, revoke_body
from tests.factories import make_csr
from tests.redis_server import REDIS_URL, redis_or_skip

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WORKERS = 2  # per instance: requests race between processes within an instance too
FAILURE_LIMIT = 4  # wrong keys for one account from one address before it is blocked
TIMEOUT = 60  # seconds for one answer: the machine may be busy
CA = "ra-portal-issuing-ca"
SUBMIT = "/api/v1/requests/submit"
APPROVE = "/api/v1/requests/approve"
PROFILES = "/api/v1/certificate/profiles"
SELF = "/api/v1/security/principals/self"
# The cache keys the instances write (KEY_PREFIX "raportal", version 1): only ours are
# forgotten, whatever else shares that Redis database (the Celery test's queue).
CACHE_KEYS = "raportal:1:*"
THROTTLE_KEYS = "raportal:1:raportal:auth*"
PRODUCTION_DEFAULTS = (
    "DJANGO_DEBUG",
    "REDIS_URL",
    "RAPORTAL_ALLOW_SQLITE",
    "RAPORTAL_ALLOW_LOCAL_CACHE",
    "RAPORTAL_DASHBOARD_CACHE_SECONDS",
    # Queued mails and triggers go to each instance's outbox thread, not inline.
    "RAPORTAL_OUTBOX_DELIVERY",
    "RAPORTAL_ALLOW_INLINE_DELIVERY",
)


@dataclass
class Instance:
    name: str
    base: str
    server: Popen
    log: Path

    def call(
        self,
        path: str,
        *,
        account: str | None = None,
        key: str | None = None,
        body: Any = None,
        method: str | None = None,
    ) -> tuple[int, Any]:
        """An API call as ``account`` (its demo key unless ``key``): status and JSON body."""
        status, content = self.fetch(path, account=account, key=key, body=body, method=method)
        return status, json.loads(content) if content else None

    def fetch(self, path, *, account=None, key=None, body=None, method=None) -> tuple[int, bytes]:
        headers = {}
        if account:
            headers = {"X-API-ID": account, "X-API-KEY": key or f"{account}-key"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        url = self.base + path  # http://127.0.0.1 only
        request = urllib.request.Request(url, data, headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
                status, content = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        # Nothing answers 500: say what the instance logged if it did.
        assert status < 500, f"{self.name} {path}: {status} {content[:500]!r}\n{self.tail()}"
        return status, content

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def forget(store, pattern: str) -> None:
    keys = list(store.scan_iter(match=pattern))
    if keys:
        store.delete(*keys)


@pytest.fixture(scope="module")
def redis_store():
    redis_or_skip()
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    forget(store, CACHE_KEYS)  # an earlier run's counters and blocks
    yield store
    forget(store, CACHE_KEYS)
    store.close()


@pytest.fixture(scope="module")
def postgres_server() -> str:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    return os.environ["DATABASE_URL"]


@pytest.fixture(scope="module")
def database(postgres_server) -> Iterator[str]:
    """A database of its own on the test database's server, migrated and seeded as a site's."""
    # Named after this process's test database (test_raportal_<pid>): runs do not collide.
    name = settings.DATABASES["default"]["TEST"]["NAME"] + "_instances"
    url = recreate_database(name, postgres_server)
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def instances(
    postgres_server, redis_store, database, tmp_path_factory
) -> Iterator[tuple[Instance, Instance]]:
    """Instances A and B: the same settings but their port, as app servers behind a load
    balancer have (README, "Running in production")."""
    ports = free_port(), free_port()
    env = {
        **os.environ,
        **fresh_secrets(),
        "DATABASE_URL": database,
        "RAPORTAL_CACHE_URL": REDIS_URL,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "RAPORTAL_BASE_URL": f"http://127.0.0.1:{ports[0]}",
        "RAPORTAL_ALLOW_HTTP": "1",  # no TLS proxy in front: the base URL is plain http
        "RAPORTAL_AUTH_FAILURES_PER_ACCOUNT_AND_IP": str(FAILURE_LIMIT),
        "CELERY_BROKER_URL": "",  # tasks run in the instance that sends them
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_LOG_LEVEL": "WARNING",
        "RAPORTAL_LOG_FORMAT": "text",
    }
    # Production's defaults and checks, not the test suite's (pyproject.toml), Redis the only
    # cache.
    for name in PRODUCTION_DEFAULTS:
        env.pop(name, None)
    seed_demo_database(env)
    directory = tmp_path_factory.mktemp("instances")
    started: list[tuple[Instance, IO]] = []
    try:
        for name, port in zip("AB", ports, strict=True):
            log = directory / f"{name}.log"
            out = log.open("w")
            config = ("-c", str(ROOT / "deploy" / "gunicorn.conf.py"))
            server = start_gunicorn(env, port, WORKERS, *config, log=out)
            started.append((Instance(name, f"http://127.0.0.1:{port}", server, log), out))
        for instance, _ in started:
            try:
                wait_until_healthy(instance.base, instance.server, timeout=180)
            except RuntimeError as exc:
                pytest.fail(f"{exc}\n{instance.tail()}")
        a, b = (instance for instance, _ in started)
        yield a, b
    finally:
        stop(*(instance.server for instance, _ in started))
        for _, out in started:
            out.close()


def unique_name(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}.example.com"


def enroll(name: str, **extra) -> dict:
    csr, _ = make_csr(subject=[("cn.1", name)])
    return enroll_body(csr=csr, subject=[{"element": "cn.1", "value": name}]) | extra


def query(database: str, sql: str, *parameters) -> tuple:
    """One row from the instances' database, read directly."""
    import psycopg

    with psycopg.connect(database) as connection:
        row = connection.execute(sql, parameters).fetchone()
    assert row is not None
    return row


def certificates_named(database: str, name: str) -> int:
    return query(
        database, "SELECT count(*) FROM certificates_certificate WHERE dn = %s", f"CN={name}"
    )[0]


def audit_chain(database: str) -> tuple[int, int, int, int]:
    """The audit events' count, first and last sequence, and how many do not link to the
    hash of the event before them (raportal/models.py, EventChainHead)."""
    return query(
        database,
        "SELECT (SELECT count(*) FROM raportal_auditevent),"
        " (SELECT min(sequence) FROM raportal_auditevent),"
        " (SELECT max(sequence) FROM raportal_auditevent),"
        " (SELECT count(*) FROM raportal_auditevent e JOIN raportal_auditevent p"
        "  ON p.sequence = e.sequence - 1 WHERE e.previous_hash <> p.hash)",
    )


def test_a_request_submitted_on_one_instance_is_approved_on_the_other(instances):
    a, b = instances
    status, pending = a.call(SUBMIT, account="requester", body=enroll(unique_name("handover")))
    assert (status, pending["status"]) == (201, "pending"), pending

    status, approved = b.call(APPROVE, account="approver", body={"_id": pending["_id"]})
    assert (status, approved["status"]) == (200, "completed"), approved

    status, seen = a.call(f"/api/v1/requests/{pending['_id']}", account="requester")
    assert (status, seen["status"], seen["approver"]) == (200, "completed", "approver"), seen
    assert seen["certificate"]["serial"] == approved["certificate"]["serial"]


def test_approvals_racing_on_both_instances_issue_exactly_one_certificate(instances, database):
    a, b = instances
    name = unique_name("race")
    status, pending = a.call(SUBMIT, account="requester", body=enroll(name))
    assert status == 201, pending
    racers = [a, b] * 4
    start = threading.Barrier(len(racers))

    def approve(instance: Instance) -> tuple[int, str]:
        start.wait(timeout=TIMEOUT)
        status, body = instance.call(APPROVE, account="approver", body={"_id": pending["_id"]})
        return status, body.get("error") or body["status"]

    with ThreadPoolExecutor(len(racers)) as pool:
        results = list(pool.map(approve, racers))

    # One approval executed the request; every other one found it no longer pending.
    assert sorted(results) == [(200, "completed")] + [(400, "REQ-004")] * (len(racers) - 1)
    assert certificates_named(database, name) == 1
    serials = {
        instance.call(f"/api/v1/requests/{pending['_id']}", account="requester")[1]["certificate"][
            "serial"
        ]
        for instance in (a, b)
    }
    assert len(serials) == 1, serials
    # Both instances appended their events to one audit chain, one after the other.
    count, first, last, broken = audit_chain(database)
    assert (first, last - first + 1, broken) == (1, count, 0)


def test_a_profile_changed_through_one_instance_is_enforced_by_the_other_at_once(instances):
    a, b = instances
    trial = enroll(unique_name("profile"), dryRun=True)  # an EC P-256 key: allowed, for now
    # Every worker of B has probably read the profile by now, and keeps it in memory
    # (profiles/cache.py): what it keeps must not outlive a change made elsewhere.
    for _ in range(2 * WORKERS):
        status, body = b.call(SUBMIT, account="requester", body=trial)
        assert (status, body["dryRun"]) == (201, True), body
    status, profile = a.call(f"{PROFILES}/webra-demo", account="admin")
    assert status == 200, profile
    narrower = copy.deepcopy(profile)
    narrower["cryptoPolicy"]["authorizedKeyTypes"] = ["rsa-3072", "ec-secp384r1"]
    narrower["cryptoPolicy"]["defaultKeyType"] = "ec-secp384r1"
    try:
        status, body = a.call(PROFILES, account="admin", body=narrower, method="PUT")
        assert status == 200, body

        for _ in range(2 * WORKERS):
            status, body = b.call(SUBMIT, account="requester", body=trial)
            assert (status, body.get("error")) == (400, "WEBRA-ENROLL-002"), body
            assert "ec-secp256r1 is not allowed" in body["detail"], body
    finally:
        status, body = a.call(PROFILES, account="admin", body=profile, method="PUT")
        assert status == 200, body

    for _ in range(2 * WORKERS):  # and the change back reaches B as quickly
        status, body = b.call(SUBMIT, account="requester", body=trial)
        assert (status, body["dryRun"]) == (201, True), body


def test_the_authentication_throttle_counts_failures_on_both_instances_together(
    instances, redis_store
):
    a, b = instances
    try:
        for instance in (a, b, a):
            status, body = instance.call(SELF, account="requester", key="wrong-key")
            assert status == 401, body
        # One failure short of the limit: the right key still works.
        status, body = b.call(SELF, account="requester")
        assert status == 200, body

        status, body = b.call(SELF, account="requester", key="wrong-key")
        assert status == 401, body

        # Neither instance saw the limit on its own (two failures each): together they did,
        # and both refuse the account from this address now, even with its right key.
        for instance in (a, b):
            status, body = instance.call(SELF, account="requester")
            assert (status, body.get("error")) == (429, "SEC-AUTH-002"), body
    finally:
        forget(redis_store, THROTTLE_KEYS)  # the next tests' requester is not blocked

    status, body = a.call(SELF, account="requester")
    assert status == 200, body


def test_both_instances_publish_the_same_crl_after_a_revocation_through_one(instances):
    a, b = instances
    crl_path = f"/pki/{CA}.crl"
    status, issued = a.call(SUBMIT, account="approver", body=enroll(unique_name("crl")))
    assert (status, issued["status"]) == (201, "completed"), issued
    certificate = issued["certificate"]
    status, before = a.fetch(crl_path)
    assert status == 200

    status, revoked = b.call(
        SUBMIT, account="approver", body=revoke_body(certificate["_id"], "keycompromise")
    )
    assert (status, revoked["status"]) == (201, "completed"), revoked

    # Both instances asked at once: one signs the new CRL, the others wait for its row lock
    # and serve that one, not one of their own.
    askers = [a, b] * 2
    start = threading.Barrier(len(askers))

    def crl(instance: Instance) -> bytes:
        start.wait(timeout=TIMEOUT)
        status, content = instance.fetch(crl_path)
        assert status == 200, content
        return content

    with ThreadPoolExecutor(len(askers)) as pool:
        published = set(pool.map(crl, askers))
    assert len(published) == 1
    [der] = published
    assert {a.fetch(crl_path)[1], b.fetch(crl_path)[1]} == {der}  # and it stays the one

    new, old = x509.load_der_x509_crl(der), x509.load_der_x509_crl(before)
    number = x509.CRLNumber
    assert new.extensions.get_extension_for_class(number).value.crl_number == (
        old.extensions.get_extension_for_class(number).value.crl_number + 1
    )
    entry = new.get_revoked_certificate_by_serial_number(int(certificate["serial"], 16))
    assert entry is not None
    assert old.get_revoked_certificate_by_serial_number(int(certificate["serial"], 16)) is None
    issuer = x509.load_der_x509_certificate(a.fetch(f"/pki/{CA}.crt")[1])
    assert new.is_signature_valid(issuer.public_key())
