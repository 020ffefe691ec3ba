"""Shared fixtures: the built-in PKI, a demo-like profile, and the three principals every
test talks about — requester (holds ``request``), approver (holds ``perform``), outsider
(holds nothing)."""

import json

import pytest
from django.db import connection
from rest_framework.test import APIClient

from certificates.services import create_ca, list_authority
from profiles.models import Workflow
from tests.factories import (
    ProfileFactory,
    TeamFactory,
    UserFactory,
    api_key_for,
    grant,
    make_csr,
)


def pytest_configure(config):
    # Tests run with DEBUG off but without `collectstatic`: serve static files from the
    # finders, without the manifest that production builds.
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    # Factories set passwords for every user; PBKDF2 would cost ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.hookimpl(wrapper=True)
def pytest_report_to_serializable(config, report):
    """A pytest-xdist worker sends each test's report to the controller as UTF-8: a report
    holding a lone surrogate (a test sends U+D800 on purpose, and the portal's log line
    quoting it lands in the report's captured log) would crash the worker, and the run. Such
    characters travel backslash-escaped instead."""
    data = yield
    return _utf8_safe(data)


def _utf8_safe(value):
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {_utf8_safe(key): _utf8_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_utf8_safe(item) for item in value)
    return value


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The authentication throttle counts failures in the cache (local memory in tests, see
    # pyproject.toml): one test's wrong keys must not throttle the next test.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def pki(db):
    root = create_ca(common_name="Test Root CA", key_type="ec-secp384r1", validity_days=3650)
    issuing = create_ca(
        common_name="Test Issuing CA", key_type="ec-secp256r1", validity_days=1825, parent=root
    )
    # Listed as init_pki lists them.
    list_authority(root, public=True, downloadable=True)
    list_authority(issuing, public=True, downloadable=True, trusted_for_client_authentication=True)
    return {"root": root, "issuing": issuing}


@pytest.fixture
def requester(db):
    return UserFactory(username="requester")


@pytest.fixture
def approver(db):
    return UserFactory(username="approver")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def team(requester, approver):
    team = TeamFactory(name="demo-team")
    team.members.add(requester, approver)
    return team


@pytest.fixture
def profile(pki, requester, approver):
    profile = ProfileFactory(name="webra-demo", ca=pki["issuing"])
    for workflow in Workflow.values:  # as in the demo: request vs perform on every workflow
        grant(profile, requester, "request", workflow)
        grant(profile, approver, "perform", workflow)
    return profile


@pytest.fixture
def issue(profile, approver_api):
    """Issues a certificate on the demo-like profile; returns the contract's Certificate."""

    def make(cn: str = "web.example.com", *, centralized: bool = False, owned_by=None, **template):
        """``owned_by``: the account that owns it afterwards (the approver by default)."""
        template.setdefault("subject", [{"element": "cn.1", "value": cn}])
        body = enroll_body(**template)
        if centralized:
            body["template"].setdefault("keyType", "ec-secp256r1")
            body["password"] = {"value": "Correct-Horse-9-battery"}
        else:
            body["template"].setdefault("csr", make_csr()[0])
        status, answer = approver_api.submit(body)
        assert status == 201 and answer["status"] == "completed", answer
        if owned_by is not None:
            from certificates.models import Certificate

            Certificate.objects.filter(pk=answer["certificate"]["_id"]).update(owner=owned_by)
        return answer["certificate"]

    return make


class Api:
    """A test client speaking JSON with X-API-ID/X-API-KEY; ``.post`` returns (status, body)."""

    def __init__(self, user=None, key: str | None = None):
        self.client = APIClient()
        self.headers = {}
        if user is not None:
            key = key or api_key_for(user)
            self.headers = {"HTTP_X_API_ID": user.username, "HTTP_X_API_KEY": key}

    def post(self, path: str, body) -> tuple[int, dict]:
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response = self.client.post(path, raw, content_type="application/json", **self.headers)
        return response.status_code, _json(response)

    def get(self, path: str) -> tuple[int, dict]:
        response = self.client.get(path, **self.headers)
        return response.status_code, _json(response)

    def submit(self, body) -> tuple[int, dict]:
        return self.post("/api/v1/requests/submit", body)


def _json(response):
    try:
        return response.json()
    except (ValueError, TypeError):
        return {"_raw": response.content[:500]}


@pytest.fixture
def api_as():
    return Api


@pytest.fixture
def requester_api(requester):
    return Api(requester)


@pytest.fixture
def approver_api(approver):
    return Api(approver)


@pytest.fixture
def outsider_api(outsider):
    return Api(outsider)


def enroll_body(profile="webra-demo", **template):
    template.setdefault("subject", [{"element": "cn.1", "value": "web.example.com"}])
    body = {"profile": profile, "module": "webra", "workflow": "enroll", "template": template}
    return body


def revoke_body(certificate_id: str, reason: str = "unspecified") -> dict:
    return {
        "module": "webra",
        "workflow": "revoke",
        "certificateId": certificate_id,
        "template": {"revocationReason": reason},
    }


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


# --- secrets never reach a log line or a list (DESIGN.md, convention 7) ------------------
# Every test runs under a watch: a handler on the root logger (and on the loggers that do not
# propagate to it) reads every log line the test makes the portal write, and a wrapper around
# Django's request handling reads every answer of the list and search endpoints. A private
# key, a PKCS#12, a password or an API key in play in either fails the test, naming the
# leak. The answers that hand a PKCS#12 over once (the submit answer, the first GET of an
# approved request, the request page's "Get your key") are not lists and are not read, but
# what they hand over is remembered: it must not turn up anywhere else.
# tests/abuse/test_no_secrets_leak.py tests the watch itself.

import base64 as _base64  # noqa: E402 (this block is appended to the fixtures)
import binascii as _binascii  # noqa: E402
import logging as _logging  # noqa: E402
import re as _re  # noqa: E402

# Passwords the tests use: PKCS#12 and challenge passwords, and every user's (factories.py).
TEST_PASSWORDS = (
    "Correct-Horse-9-battery",
    "Device-Secret-2026",
    "Very-Secret-Password-1",
    "pw-for-tests-123",
)
LIST_PATHS = frozenset(
    {
        "/api/v1/requests/search",
        "/api/v1/certificates/search",
        "/requests/",
        "/certificates/",
        "/certificates/expiring/",
        "/approvals/",
    }
)
# A PEM private key of any kind: PRIVATE KEY, ENCRYPTED PRIVATE KEY, EC/RSA PRIVATE KEY.
PRIVATE_KEY_MARKER = "PRIVATE KEY"
# DER in base64 on one line ("MI" + a two- or three-byte length: 0x30 0x82/0x83), longer
# than any short value: a PKCS#12 as the submit answer carries it. Certificates in answers
# are PEM (64-character lines), which this never matches; a one-line certificate is allowed.
LONG_DER = _re.compile(r"MI[I-P][A-Za-z0-9+/]{1000,}={0,2}")
SHORTEST_SECRET = 8  # shorter values ("x", "weak") are what tests send to be refused


def _der_kind(blob: str) -> str | None:
    """What a long base64 DER blob is, when it is a secret (a certificate is not)."""
    from cryptography import x509

    try:
        der = _base64.b64decode(blob + "=" * (-len(blob) % 4))
    except (_binascii.Error, ValueError):
        return None
    try:
        x509.load_der_x509_certificate(der)
        return None
    except ValueError:
        pass
    if der[4:7] == b"\x02\x01\x03" or der[5:8] == b"\x02\x01\x03":
        return "a PKCS#12 (RFC 7292 PFX, version 3)"
    return "a long base64 DER payload that is not a certificate (a PKCS#12 or a key?)"


def _masked(value: str) -> str:
    return f"{value[:4]}…({len(value)} chars)"


class SecretsWatch(_logging.Handler):
    """Reads log records and list answers for secrets; keeps what it found."""

    def __init__(self):
        super().__init__(level=_logging.NOTSET)
        self.secrets = {value: "a test password" for value in TEST_PASSWORDS}
        self.findings: list[str] = []
        self.reported = 0
        self.scanned: list[str] = []  # list/search answers read: "GET /certificates/"
        self.logged: list[str] = []  # the first line of every log record read
        self.loggers: list[_logging.Logger] = []
        self._format = _logging.Formatter("%(levelname)s %(name)s: %(message)s").format

    def know(self, value, what: str) -> None:
        """Remembers a secret in play (a password handed over, an API key used)."""
        if isinstance(value, str) and len(value) >= SHORTEST_SECRET:
            self.secrets.setdefault(value, what)

    def scan(self, text: str, where: str) -> list[str]:
        found = []
        if PRIVATE_KEY_MARKER in text:
            found.append((text.index(PRIVATE_KEY_MARKER), "a PEM private key"))
        for match in LONG_DER.finditer(text):
            kind = _der_kind(match.group())
            if kind:
                found.append((match.start(), kind))
        for value, what in list(self.secrets.items()):
            if value in text:
                found.append((text.index(value), f"{what} {_masked(value)}"))
        new = [f"{where} holds {what}: {self._excerpt(text, at)}" for at, what in found]
        self.findings += new
        return new

    def _excerpt(self, text: str, at: int) -> str:
        piece = text[max(0, at - 60) : at + 40]
        for value in self.secrets:
            piece = piece.replace(value, "«secret»")
        return repr(piece)

    # -- logs --

    def emit(self, record: _logging.LogRecord) -> None:
        try:
            text = self._format(record)
        except Exception:  # a record that cannot format: read what it has
            text = f"{record.msg} {record.args}"
        extras = {
            key: value
            for key, value in record.__dict__.items()
            if key not in _STANDARD_RECORD_FIELDS and key != "request"
        }
        if extras:
            text += f" {extras}"
        self.logged.append(text.partition("\n")[0])
        self.scan(text, f"log record {record.name}/{record.levelname}")

    def attach(self) -> None:
        manager = _logging.root.manager
        self.loggers = [_logging.getLogger()] + [
            logger
            for logger in list(manager.loggerDict.values())
            if isinstance(logger, _logging.Logger) and not logger.propagate
        ]
        for logger in self.loggers:
            logger.addHandler(self)

    def detach(self) -> None:
        for logger in self.loggers:
            logger.removeHandler(self)

    # -- answers --

    def look_at(self, request, response) -> None:
        self.know(request.META.get("HTTP_X_API_KEY"), "an API key")
        if getattr(response, "streaming", False):
            return
        if "no-store" in response.get("Cache-Control", ""):
            self._remember_handed_over(response)
        if request.path in LIST_PATHS:
            self.scanned.append(f"{request.method} {request.path}")
            text = response.content.decode("utf-8", "replace")
            self.scan(text, f"the answer to {request.method} {request.path}")

    def _remember_handed_over(self, response) -> None:
        """An answer that hands a PKCS#12 or a password over: those must not show anywhere
        else. (The tail of a PKCS#12 is its MAC salt and digest: unique to it.)"""
        text = response.content.decode("utf-8", "replace")
        if "json" in response.get("Content-Type", ""):
            try:
                body = json.loads(text)
            except ValueError:
                body = None
            if isinstance(body, dict):
                for field, what in (("password", "a password handed over"),):
                    value = body.get(field)
                    self.know(value.get("value") if isinstance(value, dict) else None, what)
        for match in LONG_DER.finditer(text):
            self.know(match.group().rstrip("=")[-48:], "a PKCS#12 handed over")

    def wrap(self, get_response):
        watch = self

        def watched_get_response(handler, request):
            response = get_response(handler, request)
            try:
                watch.look_at(request, response)
            except Exception as exc:  # the watch must not hide what the portal answered
                watch.findings.append(f"the watch could not read {request.path}: {exc!r}")
            return response

        return watched_get_response

    def unreported(self) -> list[str]:
        new = self.findings[self.reported :]
        self.reported = len(self.findings)
        return new


_STANDARD_RECORD_FIELDS = frozenset(
    _logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)
_SECRETS_WATCH = pytest.StashKey[SecretsWatch]()


def _leak_report(leaks: list[str]) -> str:
    return "secrets leaked (DESIGN.md, convention 7):\n" + "\n".join(f"  - {x}" for x in leaks)


@pytest.fixture(autouse=True)
def secrets_watch(request):
    """The watch over this test (autouse); tests/abuse asks for it by name."""
    from django.core.handlers.base import BaseHandler

    from raportal.models import ApiCredential

    watch = SecretsWatch()
    set_key = ApiCredential.set_key

    def remembered_set_key(credential, key=None):
        key = set_key(credential, key)
        watch.know(key, f"the API key of {credential.api_id}")
        return key

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseHandler, "get_response", watch.wrap(BaseHandler.get_response))
        patch.setattr(ApiCredential, "set_key", remembered_set_key)
        watch.attach()
        request.node.stash[_SECRETS_WATCH] = watch
        try:
            yield watch
        finally:
            watch.detach()
    leaks = watch.unreported()
    if leaks:  # written while the test's fixtures were torn down
        pytest.fail(_leak_report(leaks), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test whose logs or lists leaked a secret fails, as itself (not at teardown)."""
    result = yield
    watch = item.stash.get(_SECRETS_WATCH, None)
    leaks = watch.unreported() if watch is not None else []
    if leaks:
        pytest.fail(_leak_report(leaks), pytrace=False)
    return result
