"""Production settings refuse the development secrets and weak values: low-entropy keys, a
wildcard host, plain http, a per-process cache — unless explicitly allowed where that is
legitimate (tests, a lab). ``make serve`` fails on any ``check --deploy`` warning."""

import base64
import json
import subprocess

import pytest

from tests.raportal.test_serving import BASE_DIR, run_settings

# Slow (`make test-fast` leaves it out): every test loads the settings in a fresh interpreter.
pytestmark = pytest.mark.slow

DEV_KEK = "cmFwb3J0YWwtZGV2LWtlay1ub3QtZm9yLXByb2QhISE="


def kek_of(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def settings_load(*, code: str = "import django; django.setup()", **env):
    return run_settings(env, code)


GOOD = {
    "DJANGO_SECRET_KEY": "iaDqoR5l6eJ8uqvYxFTCp33lXSp6nZCQ-MNqxdHFH6bF3ApDlZtnY4NbA9so5yvvGGA",
    "RAPORTAL_KEK": "JxLNjmHLo89WDoRmiKa2S+ggwTFM9Ve0HMg3MNrTpRk=",
    "DJANGO_ALLOWED_HOSTS": "ra.example.com",
    "RAPORTAL_BASE_URL": "https://ra.example.com",
    "RAPORTAL_CACHE_URL": "redis://cache.example.com:6379/1",
    "RAPORTAL_ALLOW_SQLITE": "1",  # DEBUG off refuses SQLite otherwise (see test_serving.py)
}


def test_production_settings_load_with_real_secrets():
    result = settings_load(**GOOD)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"RAPORTAL_KEK": DEV_KEK}, "RAPORTAL_KEK"),
        ({"RAPORTAL_KEK": "c2hvcnQ="}, "32 bytes"),
        ({"RAPORTAL_KEK": "not base64!"}, "base64"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
        ({"RAPORTAL_BASE_URL": "ftp://x"}, "RAPORTAL_BASE_URL"),
        ({"RAPORTAL_BASE_URL": ""}, "RAPORTAL_BASE_URL"),
        ({"DJANGO_SECRET_KEY": "x" * 40}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "x" * 64}, "DJANGO_SECRET_KEY is too weak"),
        ({"DJANGO_SECRET_KEY": "abcdefghij" * 6}, "DJANGO_SECRET_KEY is too weak"),
        ({"DJANGO_SECRET_KEY": "0123456789" * 6}, "DJANGO_SECRET_KEY is too weak"),
        # openssl rand -base64 32: random, but shorter than Django's deploy check wants.
        ({"DJANGO_SECRET_KEY": "JxLNjmHLo89WDoRmiKa2S+ggwTFM9Ve0HMg3MNrTpRk="}, "50 characters"),
        ({"RAPORTAL_KEK": kek_of(bytes(32))}, "RAPORTAL_KEK is too weak"),
        ({"RAPORTAL_KEK": kek_of(b"\x01\x02" * 16)}, "RAPORTAL_KEK is too weak"),
        # Text, not random bytes: a passphrase (this was the test suite's own KEK).
        ({"RAPORTAL_KEK": kek_of(b"test-only-kek-0123456789abcdefgh")}, "RAPORTAL_KEK is too weak"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_ALLOWED_HOSTS": "ra.example.com, *"}, "DJANGO_ALLOWED_HOSTS"),
        ({"RAPORTAL_BASE_URL": "http://ra.example.com"}, "RAPORTAL_ALLOW_HTTP=1"),
        ({"RAPORTAL_CACHE_URL": ""}, "RAPORTAL_ALLOW_LOCAL_CACHE=1"),
        ({"RAPORTAL_CACHE_URL": "locmem://"}, "RAPORTAL_ALLOW_LOCAL_CACHE=1"),
        ({"RAPORTAL_PKI_BASE_URL": "ldap://ra.example.com"}, "RAPORTAL_PKI_BASE_URL"),
        ({"RAPORTAL_OCSP_RESPONDER_DAYS": "0"}, "RAPORTAL_OCSP_RESPONDER_DAYS"),
        ({"RAPORTAL_OCSP_VALIDITY_MINUTES": "soon"}, "RAPORTAL_OCSP_VALIDITY_MINUTES"),
        # Answers signed by a responder due for renewal must end before it does.
        (
            {"RAPORTAL_OCSP_RESPONDER_DAYS": "1", "RAPORTAL_OCSP_VALIDITY_MINUTES": "481"},
            "at most a third of RAPORTAL_OCSP_RESPONDER_DAYS",
        ),
    ],
)
def test_production_settings_refuse_unsafe_values(override, message):
    env = {**GOOD, **override}
    env = {k: v for k, v in env.items() if v != ""}  # "" stands for "not set"
    result = settings_load(**env)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr, result.stderr
    assert message in result.stderr, result.stderr
    for secret in ("x" * 40, "abcdefghij", "AAAAAAAA"):
        assert secret not in result.stderr, "a refused secret is never written back"


def test_debug_mode_runs_with_the_development_defaults():
    result = settings_load(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr


SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.RAPORTAL_BASE_URL, s.RAPORTAL_PKI_BASE_URL, s.SESSION_COOKIE_SECURE, "
    "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.CACHES['default']['BACKEND']]))"
)


def shown(**env) -> list:
    result = settings_load(code=SHOW, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_and_a_local_cache_only_when_explicitly_allowed():
    base, pki, session_secure, csrf_secure, hsts, cache = shown(
        **{**GOOD, "RAPORTAL_BASE_URL": "http://127.0.0.1:8000", "RAPORTAL_CACHE_URL": ""},
        RAPORTAL_ALLOW_HTTP="1",
        RAPORTAL_ALLOW_LOCAL_CACHE="1",
    )
    assert base == pki == "http://127.0.0.1:8000"
    assert (session_secure, csrf_secure, hsts) == (False, False, 0)
    assert cache.endswith("LocMemCache")


def test_https_portal_with_secure_cookies_and_hsts_and_http_for_crls():
    # Relying parties fetch CRLs and CA certificates over plain http (RFC 5280 4.2.1.13: a
    # CRL is signed, and TLS to check TLS would go round in circles): allowed without opt-in.
    base, pki, session_secure, csrf_secure, hsts, cache = shown(
        **GOOD, RAPORTAL_PKI_BASE_URL="http://pki.example.com/"
    )
    assert (base, pki) == ("https://ra.example.com", "http://pki.example.com")
    assert session_secure and csrf_secure and hsts == 365 * 24 * 3600
    assert cache.endswith("RedisCache")


DEPLOY_CHECK = (
    "from django.core.management import call_command as c; "
    "c('check', '--deploy', '--fail-level', 'WARNING')"
)


def test_a_good_production_environment_passes_the_deploy_check_without_warnings():
    result = settings_load(code=f"import django; django.setup(); {DEPLOY_CHECK}", **GOOD)
    assert result.returncode == 0, result.stderr


def test_a_deploy_check_warning_fails_the_check():
    result = settings_load(
        code=f"import django; django.setup(); {DEPLOY_CHECK}",
        **GOOD,
        DJANGO_SECURE_HSTS_SECONDS="0",
    )
    assert result.returncode != 0 and "security.W004" in result.stderr, result.stderr


def test_make_serve_stops_on_deploy_check_warnings():
    result = subprocess.run(
        ["make", "-n", "serve"], cwd=BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    commands = result.stdout.splitlines()
    check = [line for line in commands if "manage.py check" in line]
    assert check and "--deploy --fail-level WARNING" in check[0], result.stdout
    assert commands.index(check[0]) < next(
        n for n, line in enumerate(commands) if "gunicorn" in line
    ), result.stdout


DB_OPTIONS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))"
)


@pytest.mark.parametrize(("threshold", "prepared_after"), [(None, 5), ("1", 1), ("0", None)])
def test_postgresql_binds_parameters_on_the_server_and_prepares_what_runs_often(
    threshold, prepared_after
):
    env = {**GOOD, "DATABASE_URL": "postgres://portal@db.example.com:5432/raportal"}
    if threshold is not None:
        env["RAPORTAL_DB_PREPARE_THRESHOLD"] = threshold
    result = settings_load(code=DB_OPTIONS, **env)
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout.strip().splitlines()[-1])
    assert options["server_side_binding"] is True, options
    assert options["prepare_threshold"] == prepared_after, options


def test_a_prepare_threshold_that_is_not_a_number_is_refused():
    env = {**GOOD, "DATABASE_URL": "postgres://portal@db.example.com:5432/raportal"}
    result = settings_load(**env, RAPORTAL_DB_PREPARE_THRESHOLD="often")
    assert result.returncode != 0
    assert "RAPORTAL_DB_PREPARE_THRESHOLD must be a whole number" in result.stderr, result.stderr


def test_server_side_binding_can_be_turned_off():
    env = {**GOOD, "DATABASE_URL": "postgres://portal@db.example.com:5432/raportal"}
    result = settings_load(code=DB_OPTIONS, **env, RAPORTAL_DB_SERVER_SIDE_BINDING="0")
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout.strip().splitlines()[-1])
    assert "server_side_binding" not in options and "prepare_threshold" not in options, options


@pytest.mark.postgres
def test_the_test_database_connection_binds_on_the_server_and_prepares(postgres_only, db):
    """What the options above turn into on a live connection (CI runs every test so)."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    assert type(connection.cursor().cursor).__name__ == "ServerBindingCursor"
    assert raw.prepare_threshold == 5
