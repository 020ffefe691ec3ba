"""Authentication throttling (wrong API keys, wrong passwords) and the security headers of
every page and API answer."""

import os
import re
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.test import Client
from rest_framework.test import APIClient

from raportal import throttling
from requests_app.models import Request
from tests.conftest import Api, enroll_body
from tests.factories import UserFactory, api_key_for, make_csr

SELF = "/api/v1/security/principals/self"
PASSWORD = "pw-for-tests-123"  # tests/factories.py
ACCOUNT_LIMIT = 3
IP_LIMIT = 6


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.RAPORTAL_AUTH_FAILURES_PER_ACCOUNT_AND_IP = ACCOUNT_LIMIT
    settings.RAPORTAL_AUTH_FAILURES_PER_IP = IP_LIMIT
    settings.RAPORTAL_AUTH_FAILURES_PER_ACCOUNT = 100  # account-wide: test_auth_lockout.py
    settings.RAPORTAL_AUTH_FAILURE_WINDOW = 300
    settings.RAPORTAL_TRUSTED_PROXY_COUNT = 0
    return settings


def api_get(user_id: str, key: str, ip: str = "192.0.2.1", **headers):
    return APIClient().get(
        SELF, HTTP_X_API_ID=user_id, HTTP_X_API_KEY=key, REMOTE_ADDR=ip, **headers
    )


def sign_in(username: str, password: str, ip: str = "192.0.2.1", path: str = "/login/"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(path, {"username": username, "password": password})
    return client, response


def assert_throttled_problem(response):
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["error"] == "SEC-AUTH-002" and body["status"] == 429, body
    assert "Too many failed authentication attempts" in body["detail"]
    assert 0 < int(response["Retry-After"]) <= 300


# --- API: X-API-ID / X-API-KEY ------------------------------------------------------------


def test_wrong_api_keys_up_to_the_limit_answer_401_then_429_with_retry_after(requester):
    api_key_for(requester)
    for _ in range(ACCOUNT_LIMIT):
        response = api_get("requester", "wrong")
        assert (response.status_code, response.json()["error"]) == (401, "SEC-AUTH-002")
    assert_throttled_problem(api_get("requester", "wrong"))


def test_the_right_key_is_refused_too_from_the_blocked_address(requester):
    # Otherwise 429 (wrong) vs 200 (right) would tell the attacker when they guessed right.
    key = api_key_for(requester)
    for _ in range(ACCOUNT_LIMIT):
        api_get("requester", "wrong")
    assert_throttled_problem(api_get("requester", key))
    # The holder, elsewhere, is not locked out by them (test_auth_lockout.py).
    assert api_get("requester", key, ip="198.51.100.7").status_code == 200


def test_another_account_from_another_address_is_not_throttled(requester, approver):
    api_key_for(requester)
    approver_key = api_key_for(approver)
    for _ in range(ACCOUNT_LIMIT + 2):
        api_get("requester", "wrong", ip="192.0.2.1")
    assert api_get("approver", approver_key, ip="198.51.100.7").status_code == 200
    wrong = api_get("approver", "wrong", ip="198.51.100.7")
    assert wrong.status_code == 401, wrong.content


def test_one_address_trying_many_accounts_is_throttled_for_every_account(requester, approver):
    approver_key = api_key_for(approver)
    for n in range(IP_LIMIT):
        api_get(f"guess-{n}", "wrong", ip="203.0.113.9")  # never the same account twice
    assert_throttled_problem(api_get("approver", approver_key, ip="203.0.113.9"))
    # The same account from elsewhere is fine: only the address is blocked.
    assert api_get("approver", approver_key, ip="198.51.100.7").status_code == 200


def test_successful_calls_are_never_counted(requester):
    key = api_key_for(requester)
    for _ in range(3 * IP_LIMIT):
        assert api_get("requester", key).status_code == 200
    for _ in range(ACCOUNT_LIMIT):
        assert api_get("requester", "wrong").status_code == 401
    assert api_get("requester", key).status_code == 429  # only the failures counted


def test_valid_credentials_cost_one_cache_read(requester, monkeypatch):
    key = api_key_for(requester)
    # The first success from an address remembers it (one write, for a month); later ones
    # only read.
    assert api_get("requester", key).status_code == 200
    cache = caches["default"]
    calls = []
    original = cache.get_many

    def counting(keys, *args, **kwargs):
        calls.append(keys)
        return original(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", counting)
    for method in ("add", "incr", "set"):
        monkeypatch.setattr(cache, method, lambda *a, **k: pytest.fail("a write on success"))
    assert api_get("requester", key).status_code == 200
    assert len(calls) == 1


def test_missing_half_of_the_credentials_counts_as_a_failure(requester):
    key = api_key_for(requester)
    for _ in range(ACCOUNT_LIMIT):
        response = APIClient().get(SELF, HTTP_X_API_ID="requester", REMOTE_ADDR="192.0.2.1")
        assert response.status_code == 401
    assert_throttled_problem(api_get("requester", key))


def test_no_credentials_at_all_are_not_counted(db):
    for _ in range(IP_LIMIT + 1):
        response = APIClient().get(SELF, REMOTE_ADDR="192.0.2.1")
        assert (response.status_code, response.json()["error"]) == (401, "SEC-AUTH-009")


def test_the_block_ends_after_the_window(requester, settings):
    settings.RAPORTAL_AUTH_FAILURE_WINDOW = 1
    key = api_key_for(requester)
    for _ in range(ACCOUNT_LIMIT):
        api_get("requester", "wrong")
    response = api_get("requester", key)
    assert response.status_code == 429 and response["Retry-After"] == "1"
    time.sleep(1.2)
    assert api_get("requester", key).status_code == 200


def test_account_names_are_compared_without_case(requester):
    key = api_key_for(requester)
    for name in ("Requester", "REQUESTER", "requester "):
        api_get(name, "wrong")
    assert api_get("requester", key).status_code == 429


def test_a_limit_of_zero_turns_the_throttle_off(requester, settings):
    settings.RAPORTAL_AUTH_FAILURES_PER_ACCOUNT_AND_IP = 0
    settings.RAPORTAL_AUTH_FAILURES_PER_ACCOUNT = 0
    settings.RAPORTAL_AUTH_FAILURES_PER_IP = 0
    key = api_key_for(requester)
    for _ in range(3 * IP_LIMIT):
        api_get("requester", "wrong")
    assert api_get("requester", key).status_code == 200


def test_the_throttle_fails_open_when_the_cache_is_down(requester, monkeypatch, caplog):
    key = api_key_for(requester)

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    cache = caches["default"]
    for method in ("get_many", "add", "incr", "set"):
        monkeypatch.setattr(cache, method, down)
    assert api_get("requester", "wrong").status_code == 401
    assert api_get("requester", key).status_code == 200
    assert "authentication throttle unavailable (ConnectionError)" in caplog.text


def test_the_block_is_logged_without_the_credential(requester, caplog):
    api_key_for(requester)
    for _ in range(ACCOUNT_LIMIT):
        api_get("requester", "a-wrong-key-value")
    assert "account 'requester'" in caplog.text and "192.0.2.1" in caplog.text
    assert "a-wrong-key-value" not in caplog.text


def test_a_name_that_is_no_account_is_not_logged(db, caplog):
    # A user who swapped the two headers would otherwise write their key into the log.
    for _ in range(ACCOUNT_LIMIT):
        api_get("K3y-pasted-in-the-wrong-header", "requester")
    assert "an unknown account" in caplog.text
    assert "K3y-pasted" not in caplog.text


# --- client addresses behind proxies ------------------------------------------------------


def test_without_trusted_proxies_x_forwarded_for_is_ignored(requester):
    key = api_key_for(requester)
    for n in range(IP_LIMIT):
        # An attacker rotating a forged header still comes from one address.
        api_get(f"guess-{n}", "wrong", ip="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert api_get("requester", key, ip="203.0.113.9").status_code == 429


def test_behind_one_proxy_the_address_it_appended_is_the_client(requester, settings):
    settings.RAPORTAL_TRUSTED_PROXY_COUNT = 1
    key = api_key_for(requester)
    proxy = "10.0.0.2"
    for n in range(IP_LIMIT):
        # The client forges the left part; the proxy appends the real address.
        api_get(f"guess-{n}", "wrong", ip=proxy, HTTP_X_FORWARDED_FOR=f"1.1.1.{n}, 203.0.113.9")
    attacker = api_get("requester", key, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert attacker.status_code == 429
    # Everybody else comes through the same proxy and is not blocked with them.
    assert api_get("requester", key, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == (
        200
    )


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("not an address", "not an address"),
    ],
)
def test_ipv6_clients_are_counted_per_64_network(address, bucket):
    assert throttling._address_bucket(address) == bucket


# --- web sign-in --------------------------------------------------------------------------


def test_wrong_passwords_then_a_429_page_that_says_why(requester):
    for _ in range(ACCOUNT_LIMIT):
        _, response = sign_in("requester", "wrong-password")
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content
    client, response = sign_in("requester", PASSWORD)  # right, but blocked
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 300
    assert b"Too many failed sign-in attempts" in response.content
    assert b"Try again in 5 minutes" in response.content
    assert "_auth_user_id" not in client.session


def test_a_blocked_sign_in_does_not_hash_the_password(requester, monkeypatch):
    for _ in range(ACCOUNT_LIMIT):
        sign_in("requester", "wrong-password")
    checked = []
    user_model = get_user_model()
    original = user_model.check_password
    monkeypatch.setattr(
        user_model, "check_password", lambda self, raw: checked.append(1) or original(self, raw)
    )
    assert sign_in("requester", PASSWORD)[1].status_code == 429
    assert checked == []


def test_another_user_signs_in_from_another_address(requester, approver):
    for _ in range(ACCOUNT_LIMIT + 2):
        sign_in("requester", "wrong-password", ip="192.0.2.1")
    client, response = sign_in("approver", PASSWORD, ip="198.51.100.7")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(approver.pk)


def test_successful_sign_ins_are_not_counted(requester):
    for _ in range(3 * IP_LIMIT):
        assert sign_in("requester", PASSWORD)[1].status_code == 302
    for _ in range(ACCOUNT_LIMIT - 1):
        sign_in("requester", "wrong-password")
    assert sign_in("requester", PASSWORD)[1].status_code == 302


def test_password_failures_from_one_address_throttle_it(requester, approver):
    for n in range(IP_LIMIT):
        sign_in(f"nobody-{n}", "wrong-password", ip="203.0.113.9")
    assert sign_in("approver", PASSWORD, ip="203.0.113.9")[1].status_code == 429
    assert sign_in("approver", PASSWORD, ip="198.51.100.7")[1].status_code == 302


def test_the_admin_sign_in_is_throttled_too(db):
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    for _ in range(ACCOUNT_LIMIT):
        sign_in("boss", "wrong-password", path="/admin/login/")
    client, response = sign_in(admin.username, PASSWORD, path="/admin/login/")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_api_and_web_failures_count_separately_per_account(requester):
    key = api_key_for(requester)
    for _ in range(ACCOUNT_LIMIT):
        sign_in("requester", "wrong-password", ip="192.0.2.1")
    # The password form is blocked for this account; the API key still works from elsewhere.
    assert api_get("requester", key, ip="198.51.100.7").status_code == 200


def test_redis_is_used_when_configured_and_shared_between_servers(requester, settings):
    redis = pytest.importorskip("redis")
    url = os.environ.get("RAPORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            # Own keys only (never flushed): they expire with the window.
            "KEY_PREFIX": f"raportal-test-{uuid.uuid4().hex}",
        }
    }
    settings.RAPORTAL_AUTH_FAILURE_WINDOW = 30
    key = api_key_for(requester)
    for _ in range(ACCOUNT_LIMIT):
        api_get("requester", "wrong")
    assert_throttled_problem(api_get("requester", key))
    # Another app server is another process: it sees the block through Redis alone.
    client = redis.Redis.from_url(url)
    assert any(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*authblock*"))


# --- security headers ---------------------------------------------------------------------

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def assert_security_headers(response, path, csp=STRICT_CSP):
    assert response["Content-Security-Policy"] == csp, path
    assert response["X-Frame-Options"] == "DENY", path
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert response["Referrer-Policy"] == "same-origin", path
    assert response["X-Request-ID"], path


@pytest.fixture
def portal(profile, requester, approver, issue):
    """Something on every page: a completed request with its certificate, a pending one."""
    certificate = issue("done.example.com")
    body = enroll_body()
    body["template"]["csr"] = make_csr()[0]
    status, pending = Api(requester).submit(body)
    assert status == 201, pending
    return {"certificate": certificate["_id"], "pending": pending["_id"]}


def test_every_page_and_api_answer_carries_the_security_headers(portal, approver, client):
    anonymous = ["/", "/login/", "/healthz", "/static/js/portal.js"]
    for path in anonymous:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response, path)
    approver.is_staff = True  # the admin too
    approver.save(update_fields=["is_staff"])
    client.force_login(approver)
    pages = [
        "/",
        "/enroll/",
        "/enroll/webra-demo/",
        "/requests/",
        f"/requests/{portal['pending']}/",
        "/certificates/",
        f"/certificates/{portal['certificate']}/",
        "/approvals/",
        f"/approvals/{portal['pending']}/",
        "/import/",
        "/admin/",
        "/api/v1/security/principals/self",
        "/api/v1/requests/profiles",
        f"/api/v1/requests/{portal['pending']}",
        "/api/v1/cas",
        "/api/schema/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_security_headers(response, path)


def test_error_answers_and_problems_carry_them_too(db, client):
    for path, status in [
        (SELF, 401),  # problem from DRF
        ("/api/v1/nothing-here", 404),  # problem written by ApiProblemMiddleware
        ("/nothing-here/", 404),  # Django's page
        ("/requests/", 302),  # redirect to sign in
    ]:
        response = client.get(path)
        assert response.status_code == status, path
        assert_security_headers(response, path)
    throttled = None
    for _ in range(ACCOUNT_LIMIT + 1):
        throttled = api_get("nobody", "wrong")
    assert throttled.status_code == 429
    assert_security_headers(throttled, "429")


def test_the_api_docs_relax_styles_only_and_load_no_inline_script(db, client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_security_headers(
        response,
        "/api/docs/",
        STRICT_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
    )
    inline_scripts = re.findall(rb"<script(?![^>]*\bsrc=)[^>]*>", response.content)
    assert inline_scripts == []
    assert b'src="/api/docs/?script="' in response.content
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_templates_have_no_inline_script_or_event_handler():
    # The CSP blocks them: behaviour lives in static/js/portal.js.
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "javascript:" not in text, template


def test_hsts_when_the_request_came_over_https(db, settings):
    # What RAPORTAL_BASE_URL=https://… sets (test_serving.py checks that it does).
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    secure = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/login/")  # plain HTTP: never


# --- the real browser: no page breaks the CSP ---------------------------------------------

from tests.browser.conftest import CHROMIUM  # noqa: E402 (the browser tests' settings)
from tests.browser.conftest import FLAGS as CHROMIUM_FLAGS  # noqa: E402

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI + " " +
                (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.mark.slow
@pytest.mark.skipif(
    not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()), reason=f"no Chromium at {CHROMIUM}"
)
def test_no_page_violates_the_csp_in_a_real_browser(live_server, transactional_db, pki):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop, our ORM
    from playwright.sync_api import sync_playwright

    from profiles.models import Workflow
    from tests.factories import ProfileFactory, grant

    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    profile = ProfileFactory(name="webra-demo", ca=pki["issuing"])
    for workflow in Workflow.values:
        grant(profile, admin, "perform", workflow)
    requester = UserFactory(username="asker")
    grant(profile, requester, "request", "enroll")
    body = enroll_body()
    body["template"]["csr"] = make_csr()[0]
    status, pending = Api(requester).submit(body)
    assert status == 201, pending
    body = enroll_body(subject=[{"element": "cn.1", "value": "done.example.com"}])
    body["template"]["csr"] = make_csr()[0]
    status, done = Api(admin).submit(body)
    assert status == 201, done
    assert Request.objects.count() == 2

    paths = [
        "/",
        "/enroll/",
        "/enroll/webra-demo/",
        "/requests/",
        f"/requests/{done['_id']}/",
        "/certificates/",
        f"/certificates/{done['certificate']['_id']}/",
        "/approvals/",
        f"/approvals/{pending['_id']}/",
        "/import/",
        "/admin/",
        "/admin/profiles/profile/",
        "/api/docs/",
    ]

    def visit_every_page() -> dict[str, list[str]]:
        """Each page's CSP violations and script errors, in a browser signed in as admin."""
        seen = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
            )
            try:
                page = browser.new_context(base_url=live_server.url).new_page()
                page.set_default_timeout(15_000)
                problems = []
                page.on(
                    "console",
                    lambda m: (
                        problems.append(m.text)
                        if "Content Security Policy" in m.text or "CSP violation" in m.text
                        else None
                    ),
                )
                page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
                page.add_init_script(REPORT_VIOLATIONS)
                page.goto("/login/")
                page.get_by_label("Username").fill("boss")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/")
                for path in paths:
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    if path == "/api/docs/":
                        page.wait_for_selector(".swagger-ui .info")  # its script ran
                    seen[path] = list(problems)
                    problems.clear()
            finally:
                browser.close()
        return seen

    # A thread of its own: Playwright's sync API refuses to start where an event loop runs,
    # as it does in this process when tests/browser's session-wide browser is open.
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(visit_every_page).result(timeout=300)
    assert set(seen) == set(paths)
    assert {path: problems for path, problems in seen.items() if problems} == {}
