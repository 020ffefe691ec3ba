"""Production serving: settings refused at start, the health endpoint, JSON logs, and gunicorn
with deploy/gunicorn.conf.py really answering."""

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import OperationalError, connection

from bench.common import local_server
from raportal.logging_json import JsonFormatter, SkipHealthChecks

BASE_DIR = Path(__file__).resolve().parents[2]
GOOD = {
    "DJANGO_SECRET_KEY": "a-production-secret-key-3f9d1c7b2e8a4f60b5d2-Kq8vZr1Tn5Wy0Lm7Xp",
    "RAPORTAL_KEK": "JxLNjmHLo89WDoRmiKa2S+ggwTFM9Ve0HMg3MNrTpRk=",
    "DJANGO_ALLOWED_HOSTS": "ra.example.com",
    "RAPORTAL_BASE_URL": "https://ra.example.com",
    "DATABASE_URL": "postgres://raportal:secret@db.example.com:5432/raportal",
    "REDIS_URL": "redis://cache.example.com:6379/1",
}

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "RAPORTAL_LOG_FORMAT", "CACHES",
    "RAPORTAL_AUTH_FAILURES_PER_ACCOUNT", "RAPORTAL_TRUSTED_PROXY_COUNT"]}, default=str))
"""


def run_settings(env: dict, code: str = "import django; django.setup()"):
    """Loads the settings in a fresh interpreter with exactly this environment (plus PATH)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "RAPORTAL_", "DATABASE_URL", "REDIS_URL", "CELERY_"))
    }
    env = {k: v for k, v in env.items() if v is not None}  # None stands for "not set"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "raportal.settings", **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_with(**overrides) -> dict:
    result = run_settings({**GOOD, **overrides}, SHOW_SETTINGS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- settings validated at start ----------------------------------------------------------


@pytest.mark.slow
def test_a_complete_production_environment_starts():
    result = run_settings(GOOD)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS must list"),
        ({"DATABASE_URL": None}, "DATABASE_URL must name a PostgreSQL database"),
        ({"DATABASE_URL": "sqlite:////tmp/ra.sqlite3"}, "RAPORTAL_ALLOW_SQLITE=1"),
        ({"RAPORTAL_CACHE_URL": "memcached://cache:11211"}, "RAPORTAL_CACHE_URL / REDIS_URL"),
        ({"REDIS_URL": "http://redis"}, "RAPORTAL_CACHE_URL / REDIS_URL"),
        ({"RAPORTAL_AUTH_FAILURES_PER_ACCOUNT": "ten"}, "must be a whole number"),
        ({"RAPORTAL_AUTH_FAILURE_WINDOW": "0"}, "RAPORTAL_AUTH_FAILURE_WINDOW must be at least 1"),
        ({"RAPORTAL_TRUSTED_PROXY_COUNT": "-1"}, "RAPORTAL_TRUSTED_PROXY_COUNT must be at least"),
        ({"DJANGO_CONN_MAX_AGE": "forever"}, "DJANGO_CONN_MAX_AGE must be a whole number"),
        ({"DJANGO_CSRF_TRUSTED_ORIGINS": "ra.example.com"}, "with their scheme"),
        ({"DJANGO_SECURE_PROXY_SSL_HEADER": "X Forwarded Proto"}, "DJANGO_SECURE_PROXY_SSL_HEADER"),
        ({"DJANGO_SECURE_HSTS_SECONDS": "a year"}, "DJANGO_SECURE_HSTS_SECONDS"),
        ({"RAPORTAL_LOG_FORMAT": "xml"}, "RAPORTAL_LOG_FORMAT must be json or text"),
        ({"DJANGO_LOG_LEVEL": "LOUD"}, "DJANGO_LOG_LEVEL must be"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set"),
    ],
)
def test_a_bad_production_environment_is_refused_with_a_clear_message(override, message):
    result = run_settings({**GOOD, **override})
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr, result.stderr


@pytest.mark.slow
def test_sqlite_is_allowed_when_asked_for_or_in_debug():
    assert (
        run_settings({**GOOD, "DATABASE_URL": None, "RAPORTAL_ALLOW_SQLITE": "1"}).returncode == 0
    )
    assert run_settings({"DJANGO_DEBUG": "1"}).returncode == 0  # development: no env at all


@pytest.mark.slow
def test_https_turns_on_hsts_secure_cookies_and_the_proxy_header():
    values = settings_with()
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True


@pytest.mark.slow
def test_plain_http_sets_no_hsts_and_trusts_no_proxy_header():
    values = settings_with(RAPORTAL_BASE_URL="http://ra.internal", RAPORTAL_ALLOW_HTTP="1")
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SESSION_COOKIE_SECURE"] is False


@pytest.mark.slow
def test_tls_settings_can_be_tuned():
    values = settings_with(
        DJANGO_SECURE_HSTS_SECONDS="600",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Ssl=on",
    )
    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SSL", "on"]
    assert settings_with(DJANGO_SECURE_PROXY_SSL_HEADER="off")["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.slow
def test_the_cache_is_redis_when_a_url_is_given_else_local_memory():
    local = settings_with(REDIS_URL=None, RAPORTAL_ALLOW_LOCAL_CACHE="1")["CACHES"]["default"]
    assert local["BACKEND"].endswith("LocMemCache")
    redis = settings_with(REDIS_URL="redis://127.0.0.1:6379/1")["CACHES"]["default"]
    assert redis["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["LOCATION"] == "redis://127.0.0.1:6379/1"
    chosen = settings_with(
        REDIS_URL="redis://127.0.0.1:6379/1", RAPORTAL_CACHE_URL="redis://cache:6379/2"
    )["CACHES"]["default"]
    assert chosen["LOCATION"] == "redis://cache:6379/2"


@pytest.mark.slow
def test_logs_are_json_in_production_and_text_in_debug():
    assert settings_with()["RAPORTAL_LOG_FORMAT"] == "json"
    assert settings_with(DJANGO_DEBUG="1")["RAPORTAL_LOG_FORMAT"] == "text"
    assert settings_with(RAPORTAL_LOG_FORMAT="text")["RAPORTAL_LOG_FORMAT"] == "text"


# --- health endpoint ----------------------------------------------------------------------


def test_health_answers_ok_without_authentication(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response and not response.cookies
    assert client.head("/healthz").status_code == 200


def test_health_answers_a_load_balancer_probing_by_address(db, client):
    # Probes carry the instance's address as Host, which ALLOWED_HOSTS does not list.
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_health_refuses_other_methods(db, client):
    assert client.post("/healthz").status_code == 405


def test_health_answers_503_when_the_database_is_unreachable(db, client, monkeypatch, caplog):
    def unreachable():
        raise OperationalError('connection to server at "db" failed: password=hunter2')

    with monkeypatch.context() as patch, caplog.at_level(logging.INFO):
        patch.setattr(connection, "cursor", unreachable)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unreachable"}}
    # One warning naming the error's class: no stack trace, no connection details.
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in records] == [
        "health check failed: database unreachable (OperationalError)"
    ]
    assert "hunter2" not in caplog.text


def test_successful_health_checks_are_not_logged(db, client, caplog):
    with caplog.at_level(logging.DEBUG, logger="raportal"):
        client.get("/healthz")
    assert not [r for r in caplog.records if r.name.startswith(("raportal", "django.request"))]


# --- JSON logs ----------------------------------------------------------------------------


@pytest.fixture
def json_log():
    """Captures the portal's log lines as the production formatter writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(), logging.getLogger("django")]  # "django" does not propagate
    for logger in loggers:
        logger.addHandler(handler)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    for logger in loggers:
        logger.removeHandler(handler)


def test_a_log_line_is_one_json_object_with_time_level_logger_message(json_log):
    logging.getLogger("raportal.example").warning("issued %s certificates", 3)
    (line,) = json_log()
    assert line["level"] == "WARNING" and line["logger"] == "raportal.example"
    assert line["message"] == "issued 3 certificates"
    assert line["time"].endswith("+00:00") and "T" in line["time"]
    assert "request_id" not in line  # not in a request


def test_lines_written_during_a_request_carry_its_id_method_path_and_status(
    db, client, json_log, monkeypatch
):
    def unreachable():
        raise OperationalError("down")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", unreachable)
        response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a")
    assert response["X-Request-ID"] == "lb-7f3a"
    (line,) = [entry for entry in json_log() if entry["logger"] == "raportal.health"]
    assert line["request_id"] == "lb-7f3a" and line["method"] == "GET"
    assert line["path"] == "/healthz"

    response = client.get("/api/v1/nothing-here?api_key=not-logged")
    (line,) = [entry for entry in json_log() if entry["logger"] == "django.request"]
    assert line["status"] == 404 and line["path"] == "/api/v1/nothing-here"
    assert line["request_id"] == response["X-Request-ID"] and line["method"] == "GET"
    assert "not-logged" not in json.dumps(json_log())


def test_a_malformed_request_id_is_replaced(db, client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='forged"\n{"level": "ERROR"}')
    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()


def test_extra_fields_are_kept_and_secret_looking_ones_redacted(json_log):
    logging.getLogger("raportal.example").info(
        "api call",
        extra={"profile": "webra-demo", "api_key": "k-123", "password": "p", "count": 2},
    )
    (line,) = json_log()
    assert line["profile"] == "webra-demo" and line["count"] == 2
    assert line["api_key"] == "[redacted]" and line["password"] == "[redacted]"


def test_exceptions_are_one_field_of_the_same_line(json_log):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("raportal.example").exception("failed")
    (line,) = json_log()
    assert line["level"] == "ERROR" and "ValueError: boom" in line["exception"]


def access_record(path="/api/v1/cas", status="200"):
    atoms = {
        "h": "10.0.0.2",
        "m": "GET",
        "U": path,
        "q": "token=secret",
        "s": status,
        "B": 512,
        "M": 12,
        "a": "curl/8",
        "H": "HTTP/1.1",
        "{x-request-id}o": "abc123",
        "{x-forwarded-for}i": "203.0.113.9",
    }
    return logging.LogRecord(
        "gunicorn.access", logging.INFO, "", 0, '%(h)s "%(m)s %(U)s" %(s)s', (atoms,), None
    )


def test_gunicorn_access_lines_become_fields():
    line = json.loads(JsonFormatter().format(access_record()))
    assert line["message"] == '10.0.0.2 "GET /api/v1/cas" 200'
    assert line["method"] == "GET" and line["path"] == "/api/v1/cas" and line["status"] == 200
    assert line["request_id"] == "abc123" and line["duration_ms"] == 12 and line["bytes"] == 512
    assert line["remote_addr"] == "10.0.0.2" and line["forwarded_for"] == "203.0.113.9"
    assert "secret" not in json.dumps(line)  # the query string is never written


def test_successful_health_checks_are_left_out_of_the_access_log():
    skip = SkipHealthChecks()
    assert skip.filter(access_record()) is True
    assert skip.filter(access_record("/healthz", "200")) is False
    assert skip.filter(access_record("/healthz", "503")) is True


# --- gunicorn, for real -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (http://127.0.0.1)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.slow
def test_gunicorn_serves_health_and_static_files_with_the_deploy_config(
    postgres_only, db, tmp_path
):
    name = connection.settings_dict["NAME"]  # the test database
    parts = urlsplit(os.environ["DATABASE_URL"])
    database_url = urlunsplit(parts._replace(path=f"/{name}"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RAPORTAL_"))} | {
        "DJANGO_SECRET_KEY": GOOD["DJANGO_SECRET_KEY"],
        "RAPORTAL_KEK": GOOD["RAPORTAL_KEK"],
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "RAPORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        **local_server(),
        "DATABASE_URL": database_url,
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "RAPORTAL_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collect.returncode == 0, collect.stderr
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "--config", "deploy/gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, body = fetch(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")

        status, headers, page = fetch(f"http://127.0.0.1:{port}/login/")
        assert status == 200, page[:500]
        # The manifest's hashed name, as the page links it, served by WhiteNoise for a year.
        stylesheet = page.split(b'href="/static/css/portal.')[1].split(b'"')[0].decode()
        status, headers, css = fetch(f"http://127.0.0.1:{port}/static/css/portal.{stylesheet}")
        assert status == 200 and b"{" in css
        assert "immutable" in headers["Cache-Control"]
        assert headers["X-Content-Type-Options"] == "nosniff"

        # A certificate in the path (URL-encoded PEM) passes gunicorn's request-line limit:
        # the portal itself answers (a problem about the certificate), not gunicorn's 400.
        status, headers, body = fetch(f"http://127.0.0.1:{port}/api/v1/rfc5280/tc/{'A' * 6000}")
        assert headers["Content-Type"] == "application/problem+json", body[:300]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines, output
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert {line["path"] for line in access} >= {"/login/", f"/static/css/portal.{stylesheet}"}
    assert all(line["path"] != "/healthz" for line in access)  # not logged
    assert all(line.get("request_id") for line in access)
    assert any(line["message"].startswith("Booting worker") for line in lines)
