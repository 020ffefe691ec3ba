"""Secrets never appear in logs, list views or search results (DESIGN.md, convention 7).

The whole suite runs under the ``secrets_watch`` of tests/conftest.py: every log line, and
every answer of the list and search endpoints, is read for private keys, PKCS#12 payloads,
and the passwords and API keys in play; a test that leaks fails. Here: first the watch
itself (it must see what it is meant to see, and not cry wolf at certificates), then the
situations most likely to leak — lists full of centralized enrollments with escrowed keys and
secrets waiting to be collected, an unexpected error while a PKCS#12 is in memory, failed
authentications.
"""

import base64
import json
import logging

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    pkcs12,
)
from django.test import Client

from certificates.models import Certificate
from certificates.pki.keys import generate_private_key
from tests.conftest import LIST_PATHS, Api, enroll_body
from tests.factories import api_key_for

PASSWORD = "Correct-Horse-9-battery"
log = logging.getLogger("raportal.tests.leaks")


def taken(watch) -> list[str]:
    """What the watch found, which this test provoked on purpose: taken off its books so that
    the test does not fail for it."""
    found = watch.findings[watch.reported :]
    watch.reported = len(watch.findings)
    return found


# --- the watch sees what it must ----------------------------------------------------------


def test_the_watch_flags_a_private_key_written_to_a_log(secrets_watch):
    key = generate_private_key("ec-secp256r1")
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    log.warning("the key was %s", pem)
    found = taken(secrets_watch)
    assert len(found) == 1 and "a PEM private key" in found[0], found
    assert "raportal.tests.leaks/WARNING" in found[0], found


def test_the_watch_reads_loggers_that_do_not_propagate_to_the_root(secrets_watch):
    assert logging.getLogger("django").propagate is False  # the settings' LOGGING
    logging.getLogger("django.request").error("body was {'password': '%s'}", PASSWORD)
    found = taken(secrets_watch)
    assert len(found) == 1 and "a test password Corr…(23 chars)" in found[0], found
    assert PASSWORD not in found[0], found  # the report masks the secret it names


def test_the_watch_flags_the_api_keys_in_play_in_a_log(secrets_watch, requester):
    key = api_key_for(requester)
    log.info("authenticated with %s", key)
    found = taken(secrets_watch)
    assert len(found) == 1 and "the API key of requester" in found[0], found


def test_the_watch_reads_traceback_and_extra_fields_of_log_records(secrets_watch):
    try:
        raise ValueError(f"could not open with {PASSWORD}")
    except ValueError:
        log.exception("unexpected")
    log.info("seen", extra={"form": {"password": PASSWORD}})
    found = taken(secrets_watch)
    assert len(found) == 2, found


def _pkcs12_b64() -> str:
    key = generate_private_key("rsa-2048")
    blob = pkcs12.serialize_key_and_certificates(
        b"x", key, None, None, BestAvailableEncryption(PASSWORD.encode())
    )
    return base64.b64encode(blob).decode()


def test_the_watch_flags_a_pkcs12_in_a_list_but_not_a_certificate(secrets_watch, issue):
    pem = Certificate.objects.get(pk=issue()["_id"]).pem
    der = base64.b64encode(x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER))
    clean = json.dumps({"results": [{"certificate": pem, "der": der.decode()}]})
    assert secrets_watch.scan(clean, "a list") == []  # PEM, and one-line DER, of certificates
    leaky = json.dumps({"results": [{"pkcs12": {"value": _pkcs12_b64()}}]})
    found = secrets_watch.scan(leaky, "a list")
    assert len(found) == 1 and "a PKCS#12 (RFC 7292 PFX" in found[0], found
    taken(secrets_watch)


def test_the_watch_remembers_what_a_submit_answer_handed_over(secrets_watch, profile, approver_api):
    from profiles.models import PasswordPolicy

    profile.p12_password_mode = "random"
    profile.password_policy = PasswordPolicy.objects.create(name="any")
    profile.save()
    status, body = approver_api.submit(enroll_body(keyType="ec-secp256r1"))
    assert status == 201 and "pkcs12" in body, body
    generated, p12 = body["password"]["value"], body["pkcs12"]["value"]
    assert secrets_watch.secrets.get(generated) == "a password handed over"
    log.info("set up with %s", generated)
    log.info("payload tail %s", p12[-200:])  # even a piece of the PKCS#12
    found = taken(secrets_watch)
    assert [("a password handed over" in f, "a PKCS#12 handed over" in f) for f in found] == [
        (True, False),
        (False, True),
    ], found


# --- the portal leaks nothing where it matters --------------------------------------------


@pytest.fixture
def secrets_everywhere(profile, requester, approver, requester_api, approver_api):
    """Centralized enrollments with escrowed keys in every state: handed over in the submit
    answer, pending with a sealed password, approved with a sealed PKCS#12 waiting for the
    requester, and a renewal of one with a new PKCS#12."""
    import datetime as dt

    from django.utils import timezone

    body = enroll_body(keyType="rsa-2048") | {"password": {"value": PASSWORD}}
    status, done = approver_api.submit(body)
    assert status == 201 and "pkcs12" in done, done
    status, waiting = requester_api.submit(body)
    assert status == 201 and waiting["status"] == "pending", waiting
    other = enroll_body(keyType="rsa-2048", subject=[{"element": "cn.1", "value": "p.example.com"}])
    status, pending = requester_api.submit(other | {"password": {"value": PASSWORD}})
    assert status == 201 and pending["status"] == "pending", pending
    status, approved = approver_api.post("/api/v1/requests/approve", {"_id": waiting["_id"]})
    assert status == 200 and approved["status"] == "completed", approved
    Certificate.objects.filter(pk=done["certificate"]["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=10)
    )
    status, renewed = approver_api.submit(
        {
            "module": "webra",
            "workflow": "renew",
            "certificateId": done["certificate"]["_id"],
            "password": {"value": PASSWORD},
        }
    )
    assert status == 201 and "pkcs12" in renewed, renewed
    return {"done": done, "approved": approved, "renewed": renewed}


def test_list_and_search_answers_hold_no_key_pkcs12_password_or_api_key(
    secrets_everywhere, secrets_watch, requester, approver, requester_api, approver_api
):
    for api in (requester_api, approver_api):
        for path in ("/api/v1/requests/search", "/api/v1/certificates/search"):
            status, body = api.post(path, {"withCount": True})
            assert status == 200 and body["results"], body
    for user in (requester, approver):
        browser = Client()
        browser.force_login(user)
        paths = ["/requests/", "/certificates/", "/certificates/expiring/"]
        if user == approver:  # the requester approves nothing: no queue (404)
            paths.append("/approvals/")
        for path in paths:
            response = browser.get(path)
            assert response.status_code == 200, response.content.decode()[:2000]
    assert sorted(set(secrets_watch.scanned)) == sorted(
        {f"POST {p}" for p in LIST_PATHS if p.startswith("/api/")}
        | {f"GET {p}" for p in LIST_PATHS if not p.startswith("/api/")}
    ), secrets_watch.scanned
    handed_over = set(secrets_watch.secrets.values())
    assert "a PKCS#12 handed over" in handed_over, handed_over  # what it looks for
    assert secrets_watch.findings == [], secrets_watch.findings


def test_an_unexpected_error_with_a_pkcs12_in_memory_logs_no_secret(
    profile, approver_api, secrets_watch, monkeypatch
):
    """The traceback of an error raised after the PKCS#12 was built goes to the log: the
    password and the key are in the frames' locals, and must stay there."""
    import requests_app.services

    def fail(*args, **kwargs):
        raise RuntimeError("injected after the PKCS#12 was built")

    monkeypatch.setattr(requests_app.services, "record", fail)
    status, body = approver_api.submit(
        enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}}
    )
    assert status == 500 and body["error"] == "REQ-001", body
    assert any("unexpected error" in line for line in secrets_watch.logged), secrets_watch.logged
    assert secrets_watch.findings == [], secrets_watch.findings


def test_failed_authentications_log_no_api_key(requester, secrets_watch, api_as):
    api_key_for(requester)
    for key in ("requester-key-with-a-typo", "approver-key-of-someone-else"):
        status, body = api_as(requester, key).get("/api/v1/security/principals/self")
        assert (status, body["error"]) == (401, "SEC-AUTH-002"), body
    status, body = Api().get("/api/v1/security/principals/self")
    assert status == 401, body
    assert secrets_watch.findings == [], secrets_watch.findings
