"""Schemathesis over the portal's own OpenAPI schema (drf-spectacular, ``/api/schema/``).

Every operation the schema lists is called with generated valid and invalid input,
authenticated as the approver of the demo-like profile (``X-API-ID`` + ``X-API-KEY``, as the
schema's security schemes say). What must hold, on top of schemathesis's own checks (no 5xx,
status codes, content types and bodies as documented, invalid input refused, authentication
not ignored):

- every 4xx is ``application/problem+json`` whose ``error`` is a documented code (the
  contract's ``error-codes.json`` or ``raportal/api/error_codes.py``) and whose ``status`` is
  the HTTP status.

The run is bounded and derandomized so that CI sees the same cases every time.
"""

import json
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck

from raportal.api.error_codes import KNOWN_CODES
from raportal.api.problems import PROBLEM_CONTENT_TYPE
from tests.factories import UserFactory, api_key_for

# Slow (`make test-fast` leaves it out): Schemathesis fuzzes every operation.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# The contract's codes as data, in the shared/ folder beside the checkout (CI lays it there
# too). error_codes.py carries the same codes plus the official client's read-side ones, so the
# check stands where shared/ is missing; both count as documented.
CONTRACT_FILE = Path(__file__).resolve().parents[3] / "shared" / "contract" / "error-codes.json"
CONTRACT_CODES = (
    {entry["error"] for entry in json.loads(CONTRACT_FILE.read_text())}
    if CONTRACT_FILE.exists()
    else set()
)
DOCUMENTED_CODES = CONTRACT_CODES | set(KNOWN_CODES)

FUZZ_USER = "approver"  # holds `perform` on every workflow: the deepest code paths
MAX_EXAMPLES = 30  # per operation, in the fuzzing phase; the file takes well under 2 minutes


def in_test_transaction(handler):
    """Django's WSGI handler, minus the per-request ``close_old_connections``: the test runs
    inside a transaction (pytest-django), which closing the connection would abort. Django's
    own test client does the same."""

    def app(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()  # sends request_finished
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return app


def fuzz_config(user: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 20260101,
            "auth": {
                "openapi": {
                    # api_key_for() gives each user the key "<username>-key".
                    "apiId": {"api_key": user},
                    "apiKey": {"api_key": f"{user}-key"},
                }
            },
            **COMMON_CONFIG,
        }
    )


COMMON_CONFIG = {
    # Off: schemathesis would also draw string literals from the source of the module that
    # defines the app object (this one) and of its imports, which ties the cases to test
    # code instead of the schema (test passwords ended up in URLs, and then in logs).
    "analysis": {"constants": {"enabled": False}},
    "checks": {
        # Excluded: it expects 2xx for any input the schema allows, but the schema cannot
        # say what only the database knows (which profiles, request ids and certificates
        # exist) nor all of the contract's polymorphic bodies (submit: only the envelope
        # all workflows share; searches: HRQL text). Such input is rightly refused with a
        # documented 4xx, which problem_json_with_documented_code below still checks.
        "positive_data_acceptance": {"enabled": False},
    },
}
FUZZ_ADMIN = "fuzz-admin"  # staff: reaches the admin API's depths (as others it is 403)
ADMIN_PATHS = (
    r"^/api/v1/(certificate/(profiles|labels)|security/(teams|identity|principalinfos)"
    r"|pki/connectors|cas|discovery/campaigns)"
)

# Loaded once at collection: serving the schema touches no database (no credentials sent).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", in_test_transaction(WSGIHandler()), config=fuzz_config(FUZZ_USER)
)
admin_schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", in_test_transaction(WSGIHandler()), config=fuzz_config(FUZZ_ADMIN)
).include(path_regex=ADMIN_PATHS)


@schemathesis.check
def problem_json_with_documented_code(ctx, response, case):
    """A 4xx is an RFC 7807 problem carrying a documented code and its own status."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    body = response.content[:2000]
    assert content_type == PROBLEM_CONTENT_TYPE, (
        f"{response.status_code} answered as {content_type!r}, not problem+json: {body!r}"
    )
    problem = json.loads(response.content)
    assert problem.get("error") in DOCUMENTED_CODES, f"undocumented error code: {problem}"
    assert problem.get("status") == response.status_code, f"status differs: {problem}"
    for field in ("message", "title", "detail"):
        assert isinstance(problem.get(field), str) and problem[field], f"no {field}: {problem}"
    return True


@pytest.fixture
def fuzz_world(settings, profile, requester, approver, issue):
    """The demo-like world: credentials and an issued certificate, so that searches and
    lists have something to render."""
    # The authentication throttle (raportal/throttling.py) off: schemathesis probes every
    # operation with missing and wrong credentials from one address, many times per
    # operation; after 50 failures every call, the approver's included, would answer 429.
    # The throttle has its own tests.
    settings.RAPORTAL_AUTH_FAILURES_PER_ACCOUNT_AND_IP = 0
    settings.RAPORTAL_AUTH_FAILURES_PER_ACCOUNT = 0
    settings.RAPORTAL_AUTH_FAILURES_PER_IP = 0
    api_key_for(approver)
    api_key_for(requester)
    issue("fuzz.example.com")
    return profile


FUZZ_SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,  # the first call of an operation pays for imports and key generation
    derandomize=True,
    database=None,  # nothing remembered between runs: CI sees the same cases as a developer
    suppress_health_check=[
        # `fuzz_world` is function-scoped on purpose: one database transaction per operation,
        # shared by its examples, rolled back at the end.
        HealthCheck.function_scoped_fixture,
        # Some operations' inputs are slow to build (large path parameters) or filtered.
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_its_schema_says_and_errors_are_documented_problems(
    case, fuzz_world
):
    case.call_and_validate(additional_checks=[problem_json_with_documented_code])


@admin_schema.parametrize()
@FUZZ_SETTINGS
def test_every_admin_operation_called_by_staff_answers_as_its_schema_says(case, fuzz_world):
    UserFactory(username=FUZZ_ADMIN, is_staff=True)
    api_key_for(get_user_model().objects.get(username=FUZZ_ADMIN))
    case.call_and_validate(additional_checks=[problem_json_with_documented_code])


# Path parameters that reach each operation's view (a certificate route needs an id or a PEM).
REACHING = {
    "reference": "9b2f2c4e-0000-4000-8000-000000000000",
    "certificate_id": "9b2f2c4e-0000-4000-8000-000000000000",
    "pem": "-----BEGIN x",
    "event": "on_enroll",
}


def reaching_path(template: str) -> str:
    path = template
    for name in ("name", "reference", "certificate_id", "request_id", "pem", "event"):
        path = path.replace("{" + name + "}", REACHING.get(name, "x"))
    return path


# Operations open without credentials by design, each for a reason: the trust chain of a
# certificate the caller sends (its content is theirs, the CAs are published at /pki/), read
# by clients that renewed or revoked by proof of possession and hold no account.
OPEN_BY_DESIGN = {("get", "/api/v1/rfc5280/tc/{pem}")}
OPERATIONS = [
    (method, path) for path, item in schema.raw_schema["paths"].items() for method in item
]


def test_only_the_operations_open_by_design_say_they_need_no_credentials():
    open_in_schema = {
        (method, path)
        for method, path in OPERATIONS
        if {} in schema.raw_schema["paths"][path][method].get("security", [])
    }
    assert open_in_schema == OPEN_BY_DESIGN


@pytest.mark.parametrize(
    "method, template",
    [operation for operation in OPERATIONS if operation not in OPEN_BY_DESIGN],
)
@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "SEC-AUTH-009"),
        ({"HTTP_X_API_ID": FUZZ_USER, "HTTP_X_API_KEY": "not-the-key"}, "SEC-AUTH-002"),
    ],
    ids=["no credentials", "a wrong key"],
)
def test_every_operation_refuses_missing_or_wrong_credentials_with_a_401_problem(
    approver, client, method, template, headers, code
):
    api_key_for(approver)  # the user exists and has a key: only the one sent is wrong
    call = getattr(client, method)
    kwargs = {"data": "{}", "content_type": "application/json"} if method == "post" else {}
    response = call(reaching_path(template), **kwargs, **headers)
    assert response.status_code == 401, (response.status_code, response.content[:300])
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE, response.content[:300]
    assert response.json()["error"] == code, response.json()
