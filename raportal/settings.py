"""RA Portal settings: one module, driven by environment variables only.

Development defaults are safe to run on a laptop; with DEBUG off (the default) every
development secret is refused with ImproperlyConfigured, so a production deployment cannot
start with a key that is published in this repository.
"""

import base64
import binascii
import hashlib
import hmac
import ipaddress
import os
import re
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from raportal.key_strength import kek_weakness, secret_key_weakness

BASE_DIR = Path(__file__).resolve().parent.parent

TRUTHY = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUTHY


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return number


DEBUG = env_bool("DJANGO_DEBUG", False)

# --- secrets -----------------------------------------------------------------------------
DEV_SECRET_KEY = "dev-insecure-raportal-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (the development key is public)."
    )
if not DEBUG and (_weakness := secret_key_weakness(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is too weak: {_weakness}. Generate one with: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

# Key-encryption key: AES-256-GCM key protecting CA private keys, escrowed keys and the
# one-time secrets of requests. 32 bytes, base64-encoded.
DEV_KEK = base64.b64encode(b"raportal-dev-kek-not-for-prod!!!").decode()
_kek_b64 = os.environ.get("RAPORTAL_KEK", DEV_KEK)
if not DEBUG and _kek_b64 == DEV_KEK:
    raise ImproperlyConfigured(
        "RAPORTAL_KEK must be set when DJANGO_DEBUG is off (the development key is public). "
        "Generate one with: openssl rand -base64 32"
    )
try:
    RAPORTAL_KEK = base64.b64decode(_kek_b64, validate=True)
except (binascii.Error, ValueError) as exc:
    raise ImproperlyConfigured("RAPORTAL_KEK must be base64.") from exc
if len(RAPORTAL_KEK) != 32:
    raise ImproperlyConfigured("RAPORTAL_KEK must decode to exactly 32 bytes (AES-256).")
if not DEBUG and (_weakness := kek_weakness(RAPORTAL_KEK)):
    raise ImproperlyConfigured(
        f"RAPORTAL_KEK is too weak: {_weakness}. Generate one with: openssl rand -base64 32"
    )

# Sealed audit events (raportal/events.py): each event's hash is sealed with HMAC-SHA256 under
# this key, held outside the database, so that whoever can write the database cannot re-seal
# an edited event. 32 bytes, base64. Unset: derived from RAPORTAL_KEK under a label of its
# own (rotating the KEK then changes it: set this to keep the seals verifiable across one).
_event_seal_b64 = os.environ.get("RAPORTAL_EVENT_SEAL_KEY", "").strip()
if _event_seal_b64:
    try:
        RAPORTAL_EVENT_SEAL_KEY = base64.b64decode(_event_seal_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("RAPORTAL_EVENT_SEAL_KEY must be base64.") from exc
    if len(RAPORTAL_EVENT_SEAL_KEY) != 32:
        raise ImproperlyConfigured("RAPORTAL_EVENT_SEAL_KEY must decode to exactly 32 bytes.")
    if not DEBUG and (_weakness := kek_weakness(RAPORTAL_EVENT_SEAL_KEY)):
        raise ImproperlyConfigured(
            f"RAPORTAL_EVENT_SEAL_KEY is too weak: {_weakness}. Generate one with: "
            "openssl rand -base64 32"
        )
    if RAPORTAL_EVENT_SEAL_KEY == RAPORTAL_KEK:
        raise ImproperlyConfigured(
            "RAPORTAL_EVENT_SEAL_KEY must differ from RAPORTAL_KEK (leave it unset to derive one)."
        )
else:
    # HKDF-Expand (RFC 5869 §2.3) with the KEK as the pseudorandom key: one block, one label.
    RAPORTAL_EVENT_SEAL_KEY = hmac.new(
        RAPORTAL_KEK, b"raportal audit event seal v1\x01", hashlib.sha256
    ).digest()
# How long audit events are kept, in days; 0 (the default): forever. Older events are purged
# daily, always behind a sealed checkpoint that verification starts from (raportal/events.py).
RAPORTAL_EVENT_RETENTION_DAYS = env_int("RAPORTAL_EVENT_RETENTION_DAYS", 0)

# --- hosts and URLs ----------------------------------------------------------------------
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the portal's host names.")
if not DEBUG and "*" in ALLOWED_HOSTS:
    # Any Host header accepted: links in mails and redirects could point at an attacker's host.
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must list the portal's host names, not * (any host)."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"DJANGO_CSRF_TRUSTED_ORIGINS lists origins with their scheme (https://…), "
            f"not {_origin!r}."
        )

# Public base URL of this portal: links in mails, and (unless RAPORTAL_PKI_BASE_URL says
# otherwise) written into issued certificates, so it must be reachable by relying parties.
RAPORTAL_BASE_URL = os.environ.get(
    "RAPORTAL_BASE_URL", "http://127.0.0.1:8000" if DEBUG else ""
).rstrip("/")
if not DEBUG and not RAPORTAL_BASE_URL:
    raise ImproperlyConfigured(
        "RAPORTAL_BASE_URL must be set when DJANGO_DEBUG is off: the portal's public https:// "
        "URL (links in mails; written into certificates unless RAPORTAL_PKI_BASE_URL is set)."
    )
if not RAPORTAL_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("RAPORTAL_BASE_URL must be an http:// or https:// URL.")
# Plain http sends passwords, API keys and session cookies in clear: with DEBUG off only when
# asked for (a closed lab, the test suite, a benchmark on this machine). Behind a TLS proxy the
# base URL is https:// — the proxy's — and plain http stays between the proxy and gunicorn.
RAPORTAL_ALLOW_HTTP = env_bool("RAPORTAL_ALLOW_HTTP")
if not DEBUG and RAPORTAL_BASE_URL.startswith("http://") and not RAPORTAL_ALLOW_HTTP:
    raise ImproperlyConfigured(
        "RAPORTAL_BASE_URL must be an https:// URL when DJANGO_DEBUG is off: over http://, "
        "passwords, API keys and session cookies travel in clear. Set RAPORTAL_ALLOW_HTTP=1 "
        "to serve plain http anyway (a closed lab, tests)."
    )
# Where relying parties fetch CRLs and CA certificates: written into every certificate issued
# (CRL distribution point, CA issuers). The portal's own URL unless set. Usually plain http, as
# RFC 5280 and PKI practice expect (signed objects; fetching them must not need TLS, whose
# validation needs them), often a host of its own that the proxy forwards to /pki/ without
# redirecting to https: no opt-in is needed for http here.
RAPORTAL_PKI_BASE_URL = (
    os.environ.get("RAPORTAL_PKI_BASE_URL", "").strip() or RAPORTAL_BASE_URL
).rstrip("/")
if not RAPORTAL_PKI_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("RAPORTAL_PKI_BASE_URL must be an http:// or https:// URL.")

# OCSP (certificates/ocsp_responders.py): each CA answers through a delegated responder
# certificate this many days long, renewed past two thirds of its life; an answer is valid
# (nextUpdate) this many minutes, and is signed once per certificate and status for half that.
RAPORTAL_OCSP_RESPONDER_DAYS = env_int("RAPORTAL_OCSP_RESPONDER_DAYS", 7, minimum=1)
RAPORTAL_OCSP_VALIDITY_MINUTES = env_int("RAPORTAL_OCSP_VALIDITY_MINUTES", 60, minimum=1)
# The home dashboard's charts are kept in the cache until a write changes what they count, and
# at most this long (requests_app/pages/dashboard_cache.py); 0: counted on every visit.
RAPORTAL_DASHBOARD_CACHE_SECONDS = env_int("RAPORTAL_DASHBOARD_CACHE_SECONDS", 60)
if RAPORTAL_OCSP_VALIDITY_MINUTES * 60 * 3 > RAPORTAL_OCSP_RESPONDER_DAYS * 86400:
    # A responder is renewed with a third of its life left: an answer it signed then must
    # still end before the responder certificate does.
    raise ImproperlyConfigured(
        "RAPORTAL_OCSP_VALIDITY_MINUTES must be at most a third of RAPORTAL_OCSP_RESPONDER_DAYS."
    )

# How long a finished request is kept before it may be purged (its removeAt date).
RAPORTAL_REQUEST_RETENTION_DAYS = int(os.environ.get("RAPORTAL_REQUEST_RETENTION_DAYS", "90"))

# --- applications ------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",  # django-bootstrap-static: Bootstrap 5 served locally, never from a CDN
    "raportal",
    "profiles",
    "triggers",
    "certificates",
    "requests_app",
    "discovery",
    "administration",
    "est",
    "scep",
    # Our ACME server; "acme" itself is certbot's protocol library (used by the tests).
    "acme_server",
]

MIDDLEWARE = [
    # Outermost: a request id (X-Request-ID) in every log line written for the request.
    "raportal.logging_json.RequestContextMiddleware",
    # JSON answers under /api/ carry their media type without parameters.
    "raportal.api.content_type.JsonContentTypeMiddleware",
    # Security headers (HSTS, nosniff, Referrer-Policy, CSP, X-Frame-Options) outside
    # everything that may write an answer, problems and static files included. None of them
    # raises (SECURE_SSL_REDIRECT stays off: the TLS proxy redirects).
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # GET /healthz for load balancers: before host validation, sessions and the database.
    "raportal.health.HealthCheckMiddleware",
    # 429 + Retry-After for sign-ins refused by the authentication throttle.
    "raportal.throttling.AuthThrottleMiddleware",
    # The TLS client certificate a proxy forwards: dropped unless the proxy sent it.
    "raportal.client_certificates.ClientCertificateHeaderMiddleware",
    # Next, so that errors raised by any other middleware under /api/ (a bad Host, CSRF…)
    # still reach API clients as problem+json.
    "raportal.api.middleware.ApiProblemMiddleware",
    # The configuration revision (cached profiles and grants) read once per request.
    "profiles.revision.RevisionPerRequestMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Control characters in a query string: refused (400) unless the page reads its query
    # with a form, which shows the error on its field (raportal/query_strings.py).
    "raportal.query_strings.ControlCharacterQueryMiddleware",
]

ROOT_URLCONF = "raportal.urls"
WSGI_APPLICATION = "raportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "requests_app.navigation.navigation",
            ],
            # Filters every page uses without {% load %}: |dn (distinguished names).
            "builtins": ["raportal.templatetags.distinguished_names"],
        },
    },
]

# --- database ----------------------------------------------------------------------------
# SQLite by default (the embedded database a newcomer runs); PostgreSQL when DATABASE_URL is
# set, which is the production database and the one CI tests on.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if (
    DATABASES["default"]["ENGINE"].endswith("sqlite3")
    and not DEBUG
    and not env_bool("RAPORTAL_ALLOW_SQLITE")
):
    # One file on one machine: several app servers cannot share it, and its writers queue.
    raise ImproperlyConfigured(
        "DATABASE_URL must name a PostgreSQL database when DJANGO_DEBUG is off "
        "(postgres://user:password@host:5432/name); SQLite is for development. "
        "Set RAPORTAL_ALLOW_SQLITE=1 to run on SQLite anyway (a single server, tests)."
    )
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers take the lock when their transaction begins: concurrent approvals wait in turn
    # instead of failing with "database is locked" (SQLite has no SELECT … FOR UPDATE).
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    # A file, not Django's shared in-memory database: the live server threads of the contract
    # tests then use their own connections instead of racing on the test thread's.
    # One file per test process, so two runs from one checkout do not share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"raportal-test-{os.getpid()}.sqlite3")
    }
else:
    # Parameters bound by the server, not quoted into the SQL by Python, and a statement run
    # RAPORTAL_DB_PREPARE_THRESHOLD times by a connection prepared (planned once): in one
    # in-process A/B run here, a submit 12 % and principals/self 20 % faster (wall time).
    # 0 turns preparing off (a PgBouncer older than 1.21 in transaction mode needs that).
    # RAPORTAL_DB_SERVER_SIDE_BINDING=0 goes back to Python's quoting (and no preparing).
    if "postgresql" in DATABASES["default"]["ENGINE"] and env_bool(
        "RAPORTAL_DB_SERVER_SIDE_BINDING", True
    ):
        _db_options = DATABASES["default"].setdefault("OPTIONS", {})
        _db_options["server_side_binding"] = True
        _prepare_threshold = env_int("RAPORTAL_DB_PREPARE_THRESHOLD", 5)
        _db_options["prepare_threshold"] = _prepare_threshold or None
    # One test database per test process: two runs on one server do not collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_raportal_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Local accounts' passwords follow a Horizon password policy (its length and character
# classes), as Horizon's local identities do: profiles/password_validation.py. Django's checks
# against common and all-digit passwords stay beside it.
RAPORTAL_LOCAL_PASSWORD_POLICY = os.environ.get("RAPORTAL_LOCAL_PASSWORD_POLICY", "").strip()
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "profiles.password_validation.PasswordPolicyValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- security headers (production) -------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the browser-side forms read it for fetch() calls
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy on every answer (django.middleware.csp): the portal's own files
# only — no inline script or style, no CDN (an air-gapped PKI zone has none), no framing.
# data: images are Bootstrap's own: its CSS draws checkboxes, selects and the navbar toggler
# with inline SVG. The Swagger UI at /api/docs/ relaxes style-src (raportal/security.py).
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# HTTPS: the portal is public over https:// when RAPORTAL_BASE_URL says so. gunicorn serves
# plain HTTP, so TLS ends at a reverse proxy / load balancer in front of it, which must set
# X-Forwarded-Proto (overwriting whatever the client sent): Django then knows the request
# came over HTTPS (secure cookies, CSRF origin checks, HSTS). The proxy also redirects
# http:// to https://, hence no SECURE_SSL_REDIRECT here (and its deploy check is silenced).
# HSTS for subdomains and the preload list are opt-in (below): they bind more than this
# portal, so their deploy checks are silenced too. `make serve` fails on any other warning.
SILENCED_SYSTEM_CHECKS = ["security.W008", "security.W005", "security.W021"]
if RAPORTAL_ALLOW_HTTP and RAPORTAL_BASE_URL.startswith("http://"):
    # Plain http, knowingly: no HSTS, no secure cookies (browsers would not send them back).
    SILENCED_SYSTEM_CHECKS += ["security.W004", "security.W012", "security.W016"]
RAPORTAL_HTTPS = not DEBUG and RAPORTAL_BASE_URL.startswith("https://")
_proxy_header = os.environ.get(
    "DJANGO_SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto" if RAPORTAL_HTTPS else ""
).strip()
if _proxy_header and _proxy_header.lower() not in {"0", "off", "none", "false"}:
    # "X-Forwarded-Proto" (value https), or "Name=value" (X-Forwarded-Ssl=on).
    _name, _, _value = _proxy_header.partition("=")
    if not re.fullmatch(r"[A-Za-z0-9-]+", _name.strip()):
        raise ImproperlyConfigured(
            "DJANGO_SECURE_PROXY_SSL_HEADER is a header name such as X-Forwarded-Proto "
            "(optionally Name=value), or off."
        )
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _name.strip().upper().replace("-", "_"),
        _value.strip() or "https",
    )
if RAPORTAL_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Browsers then refuse plain HTTP to this host for a year (RFC 6797). Subdomains and the
    # preload list are opt-in: they bind more than this portal.
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS")
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD")

# --- cache and authentication throttle ---------------------------------------------------
# Redis when RAPORTAL_CACHE_URL (or else REDIS_URL) names one — shared by every app server,
# which the authentication throttle needs to count failures across them; local memory
# otherwise (per process: development; with DEBUG off only when RAPORTAL_ALLOW_LOCAL_CACHE
# says so — tests, one single-worker server).
_cache_url = (os.environ.get("RAPORTAL_CACHE_URL") or os.environ.get("REDIS_URL") or "").strip()
if _cache_url.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": "raportal",
            # A Redis that hangs must not hold requests up (the throttle then fails open).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
elif _cache_url in ("", "locmem://"):
    if not DEBUG and not env_bool("RAPORTAL_ALLOW_LOCAL_CACHE"):
        # Each worker process would count failures on its own: the throttle's limits would be
        # multiplied by the number of workers and servers (raportal/throttling.py).
        raise ImproperlyConfigured(
            "RAPORTAL_CACHE_URL (or REDIS_URL) must name a Redis shared by every app server "
            "and worker when DJANGO_DEBUG is off (redis://host:6379/1): the authentication "
            "throttle counts failures there. Set RAPORTAL_ALLOW_LOCAL_CACHE=1 to use a cache "
            "per process anyway (one single-worker server, tests)."
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "raportal",
        }
    }
else:
    raise ImproperlyConfigured(
        "RAPORTAL_CACHE_URL / REDIS_URL must be a redis://, rediss:// or unix:// URL "
        "(or locmem:// for a per-process cache)."
    )

# Wrong API keys or passwords within the window (raportal/throttling.py); 0 turns a limit off.
# For one account from one address: that address may not try that account again until the
# window has passed (429). A stranger's failures thus never lock the holder out elsewhere.
RAPORTAL_AUTH_FAILURES_PER_ACCOUNT_AND_IP = env_int("RAPORTAL_AUTH_FAILURES_PER_ACCOUNT_AND_IP", 10)
# From one address, whatever the account: higher, as an office behind NAT shares one.
RAPORTAL_AUTH_FAILURES_PER_IP = env_int("RAPORTAL_AUTH_FAILURES_PER_IP", 50)
# For one account from every address: its owner is alerted (mail, log, audit), and for the
# window the account may be tried only from addresses it authenticated from before.
RAPORTAL_AUTH_FAILURES_PER_ACCOUNT = env_int("RAPORTAL_AUTH_FAILURES_PER_ACCOUNT", 100)
RAPORTAL_AUTH_FAILURE_WINDOW = env_int("RAPORTAL_AUTH_FAILURE_WINDOW", 300, minimum=1)
# How many reverse proxies in front of the app append to X-Forwarded-For: the client's
# address is the entry the outermost of them wrote. 0: REMOTE_ADDR (no proxy). Behind a
# proxy, leaving 0 makes every client share the proxy's address (and its limit).
RAPORTAL_TRUSTED_PROXY_COUNT = env_int("RAPORTAL_TRUSTED_PROXY_COUNT", 0)
# EST re-enrollment authenticates a device by its TLS client certificate, which the TLS proxy
# forwards (URL-encoded PEM) in this header; honoured only from these proxy addresses or
# networks, stripped from everyone else (raportal/client_certificates.py). Empty: never.
RAPORTAL_CLIENT_CERT_HEADER = os.environ.get("RAPORTAL_CLIENT_CERT_HEADER", "X-SSL-Client-Cert")
RAPORTAL_CLIENT_CERT_PROXIES = env_list("RAPORTAL_CLIENT_CERT_PROXIES")
for _proxy in RAPORTAL_CLIENT_CERT_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"RAPORTAL_CLIENT_CERT_PROXIES: {_proxy!r} is not an IP address or network"
        ) from None
# EST's /.well-known/est/<operation> (no profile label) serves this profile; empty: none.
RAPORTAL_EST_DEFAULT_PROFILE = os.environ.get("RAPORTAL_EST_DEFAULT_PROFILE", "")
# SCEP at NDES's path /certsrv/mscep/mscep.dll serves this profile; empty: none.
RAPORTAL_SCEP_DEFAULT_PROFILE = os.environ.get("RAPORTAL_SCEP_DEFAULT_PROFILE", "")
# A local account's password is accepted as its X-API-KEY (as in Horizon); a verified one is
# remembered this many seconds (an HMAC in the cache, never the password), so that calls do not
# each cost a password hash. A password change ends it at once. 0: verify on every call.
RAPORTAL_PASSWORD_AUTH_CACHE_SECONDS = env_int("RAPORTAL_PASSWORD_AUTH_CACHE_SECONDS", 300)

# Django's ModelBackend, refusing sign-ins while the account or the address is throttled.
AUTHENTICATION_BACKENDS = ["raportal.throttling.ThrottledModelBackend"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# A field with an error shows the error, not its help text as well (raportal/form_rendering.py).
FORM_RENDERER = "raportal.form_rendering.PortalFormRenderer"

# --- REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "raportal.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["raportal.api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "raportal.api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Escape non-ASCII in JSON answers: an error that quotes a client's malformed text (a lone
    # surrogate) must still be encodable.
    "UNICODE_JSON": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "RA Portal API",
    "DESCRIPTION": "Certificate requests, speaking the EverTrust Horizon request contract.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts them as links inside each operation's button, nested
    # controls that screen readers cannot reach (axe: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "raportal.api.schema.document_refused_parameters",  # 400 for control characters
    ],
}

# Debug pages and error reports mask settings whose names look secret; KEK is one more.
DEFAULT_EXCEPTION_REPORTER_FILTER = "raportal.reporting.SecretSettingsFilter"

# Logs go to stdout: JSON lines in production (time, level, logger, message, and the request
# id, method, path and status where known — raportal/logging_json.py), readable lines with
# DEBUG. RAPORTAL_LOG_FORMAT=json|text overrides the choice.
RAPORTAL_LOG_FORMAT = os.environ.get("RAPORTAL_LOG_FORMAT", "").strip().lower() or (
    "text" if DEBUG else "json"
)
if RAPORTAL_LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("RAPORTAL_LOG_FORMAT must be json or text.")
_log_level = os.environ.get("DJANGO_LOG_LEVEL", "").strip().upper() or "INFO"
if _log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured("DJANGO_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "raportal.logging_json.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": RAPORTAL_LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": _log_level},
    "loggers": {
        # Django's own console handler would print every line a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- background work (Celery) ------------------------------------------------------------
# Notifications, CRL refresh, request expiry and retention purge run as Celery tasks
# (raportal/celery.py; the tasks live in <app>/tasks.py). With a broker (Redis) they go to a
# worker (`celery -A raportal worker`) and the periodic ones are sent by one scheduler
# (`celery -A raportal beat`). Without one (CELERY_BROKER_URL unset: `make run`, the tests)
# a task called directly runs at once in the calling process and nothing is scheduled; the
# work a request queues (mails, trigger runs) goes through the outbox instead (below).
from celery.schedules import crontab  # noqa: E402 (this block is appended to the settings)

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip()
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Results are kept (a day) only to be waited for by someone: tests, an operator's shell.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL) or None
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "raportal")
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the worker logs through LOGGING above
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down must not hold a web request up for long: a notification queued
# after commit gives up after about a second (logged and audited, the request stands).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get(
    "CELERY_BEAT_SCHEDULE_FILENAME",
    str(Path(tempfile.gettempdir()) / "raportal-celerybeat-schedule"),
)
CELERY_BEAT_SCHEDULE = {
    # Outbox messages still due a minute after their commit (a broker that was down, a
    # worker that died mid-task) are sent to the workers again (raportal/outbox.py).
    "sweep-outbox": {"task": "raportal.tasks.sweep_outbox", "schedule": crontab()},
    # current_crl() regenerates a CRL that is stale or past half its validity: hourly,
    # relying parties never see one past its nextUpdate, fetched or not.
    "refresh-crls": {"task": "certificates.tasks.refresh_crls", "schedule": crontab(minute=7)},
    # OCSP responder certificates past two thirds of their life, renewed before a request
    # has to wait for it (an answer renews one too, under the CA's row lock).
    "renew-ocsp-responders": {
        "task": "certificates.tasks.renew_ocsp_responders",
        "schedule": crontab(minute=27),
    },
    "expire-requests": {
        "task": "requests_app.tasks.expire_requests",
        "schedule": crontab(minute=17),
    },
    # Audit events past RAPORTAL_EVENT_RETENTION_DAYS (nothing when 0), behind a checkpoint.
    "purge-events": {"task": "raportal.tasks.purge_events", "schedule": crontab(hour=3, minute=47)},
    # The chain's head in the logs, hourly: an anchor outside the database (verify --expect).
    "log-event-anchor": {"task": "raportal.tasks.log_event_anchor", "schedule": crontab(minute=57)},
    "purge-requests": {
        "task": "requests_app.tasks.purge_requests",
        "schedule": crontab(hour=3, minute=27),
    },
    # Trigger runs whose retry is due, and runs a broker outage dropped (triggers/runner.py).
    "run-due-triggers": {"task": "triggers.tasks.run_due_triggers", "schedule": crontab()},
    # Profiles' onExpire triggers (runPeriod before notAfter) and onPending reminders.
    "expiry-triggers": {
        "task": "certificates.tasks.fire_expiry_triggers",
        "schedule": crontab(minute=37),
    },
    "pending-reminders": {
        "task": "requests_app.tasks.fire_pending_reminders",
        "schedule": crontab(minute="*/10"),
    },
    # Each (certificate, threshold) is claimed once in the database: a second scheduler or a
    # run after a restart sends nothing twice (certificates/expiry_notices.py).
    "send-expiry-notices": {
        "task": "certificates.tasks.send_expiry_notices",
        "schedule": crontab(minute=47),
    },
    # ACME validations a lost task or a dead worker left due; nonces never used.
    "acme-validate-due": {
        "task": "acme_server.tasks.validate_due_challenges",
        "schedule": crontab(),
    },
    "acme-purge-nonces": {
        "task": "acme_server.tasks.purge_acme_nonces",
        "schedule": crontab(minute=3),
    },
}

# --- the outbox (raportal/outbox.py) --------------------------------------------------------
# Mails and trigger runs a request queues are written in its transaction and run after the
# commit, never in the request's thread: by Celery workers ("celery", the default with a
# broker), or by a worker thread of each web process and `manage.py run_worker` ("thread",
# the default without one). "inline" runs them in the committing thread: the test suite's
# mode, refused with DEBUG off unless RAPORTAL_ALLOW_INLINE_DELIVERY=1.
RAPORTAL_OUTBOX_DELIVERY = os.environ.get("RAPORTAL_OUTBOX_DELIVERY", "").strip().lower() or (
    "celery" if CELERY_BROKER_URL else "thread"
)
if RAPORTAL_OUTBOX_DELIVERY not in {"celery", "thread", "inline"}:
    raise ImproperlyConfigured("RAPORTAL_OUTBOX_DELIVERY must be celery, thread or inline.")
if RAPORTAL_OUTBOX_DELIVERY == "celery" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("RAPORTAL_OUTBOX_DELIVERY=celery needs CELERY_BROKER_URL.")
if (
    RAPORTAL_OUTBOX_DELIVERY == "inline"
    and not DEBUG
    and not env_bool("RAPORTAL_ALLOW_INLINE_DELIVERY")
):
    # A slow mail server would hold the request that queued the mail, as long as it takes.
    raise ImproperlyConfigured(
        "RAPORTAL_OUTBOX_DELIVERY=inline sends mail from the request's thread: use thread or "
        "celery when DJANGO_DEBUG is off (RAPORTAL_ALLOW_INLINE_DELIVERY=1 allows it: tests)."
    )
# A worker that claimed a message owns it this long; one that dies leaves it to the next.
RAPORTAL_OUTBOX_LEASE_SECONDS = env_int("RAPORTAL_OUTBOX_LEASE_SECONDS", 300, minimum=10)
# A task that raised runs again after this delay, doubling each time (at most an hour) ...
RAPORTAL_OUTBOX_RETRY_DELAY = env_int("RAPORTAL_OUTBOX_RETRY_DELAY", 30, minimum=1)
# ... up to this many attempts in all; then it is kept as failed, and logged.
RAPORTAL_OUTBOX_MAX_ATTEMPTS = env_int("RAPORTAL_OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
# The worker thread and run_worker look for due messages (retries, left ones) this often.
RAPORTAL_OUTBOX_POLL_SECONDS = env_int("RAPORTAL_OUTBOX_POLL_SECONDS", 10, minimum=1)

# --- ACME (acme_server/) -----------------------------------------------------------------
# One validation attempt (an http-01 fetch, a dns-01 lookup) gives up after this many seconds.
RAPORTAL_ACME_VALIDATION_TIMEOUT = env_int("RAPORTAL_ACME_VALIDATION_TIMEOUT", 10, minimum=1)
# A nonce handed out in Replay-Nonce is accepted once, for this many seconds (RFC 8555 §6.5).
RAPORTAL_ACME_NONCE_LIFETIME = env_int("RAPORTAL_ACME_NONCE_LIFETIME", 3600, minimum=10)
# Rate limits: new orders per account per hour, and valid orders (certificates) per week
# for the names under one registered domain (its last two labels); 0: no limit.
RAPORTAL_ACME_ORDERS_PER_HOUR = env_int("RAPORTAL_ACME_ORDERS_PER_HOUR", 300)
RAPORTAL_ACME_CERTIFICATES_PER_NAME_PER_WEEK = env_int(
    "RAPORTAL_ACME_CERTIFICATES_PER_NAME_PER_WEEK", 100
)
# http-01 fetches http://<name>:<this port>/.well-known/acme-challenge/<token>; RFC 8555 §8.3
# says 80, another port only makes sense for tests and labs.
RAPORTAL_ACME_HTTP_PORT = env_int("RAPORTAL_ACME_HTTP_PORT", 80, minimum=1)
if RAPORTAL_ACME_HTTP_PORT > 65535:
    raise ImproperlyConfigured("RAPORTAL_ACME_HTTP_PORT must be a TCP port (1-65535).")
# Names validation connects to without asking DNS: "name=ip,name2=ip", "*=ip" for every name
# (the tests: "*=127.0.0.1"). Empty: the resolver decides.
RAPORTAL_ACME_RESOLVE: dict[str, str] = {}
for _entry in env_list("RAPORTAL_ACME_RESOLVE"):
    _name, _sep, _address = (part.strip() for part in _entry.partition("="))
    try:
        if not _name:
            raise ValueError(_entry)
        RAPORTAL_ACME_RESOLVE[_name.lower().rstrip(".")] = str(ipaddress.ip_address(_address))
    except ValueError:
        raise ImproperlyConfigured(
            f"RAPORTAL_ACME_RESOLVE: {_entry!r} is not name=address (an IP address)"
        ) from None
# The DNS server validation asks (dns-01's TXT, http-01's addresses): "ip", "ip:port" or
# "[ipv6]:port", held here as (address, port). Empty: the system's resolver (for http-01
# through getaddrinfo, so /etc/hosts counts too).
RAPORTAL_ACME_DNS_RESOLVER: tuple[str, int] | None = None
if _resolver := os.environ.get("RAPORTAL_ACME_DNS_RESOLVER", "").strip():
    if _resolver.startswith("["):
        _host, _sep, _port = _resolver[1:].partition("]")
        _port = _port.removeprefix(":")
    elif _resolver.count(":") == 1:
        _host, _sep, _port = _resolver.partition(":")
    else:
        _host, _port = _resolver, ""
    try:
        RAPORTAL_ACME_DNS_RESOLVER = (str(ipaddress.ip_address(_host)), int(_port or 53))
    except ValueError:
        raise ImproperlyConfigured(
            f"RAPORTAL_ACME_DNS_RESOLVER: {_resolver!r} is not ip, ip:port or [ipv6]:port"
        ) from None
    if not 0 < RAPORTAL_ACME_DNS_RESOLVER[1] < 65536:
        raise ImproperlyConfigured("RAPORTAL_ACME_DNS_RESOLVER: the port must be 1-65535")

# Notifications by email (requests_app/notifications.py), through Django's default mailer:
# SMTP (EMAIL_HOST, by default a local MTA on localhost:25); with DEBUG the mails are written
# to the console instead. EMAIL_BACKEND names another backend (a dotted path) outright.
_email_backend = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
_smtp_options = {}
if _email_backend == "django.core.mail.backends.smtp.EmailBackend":
    _smtp_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS"),
        "use_ssl": env_bool("EMAIL_USE_SSL"),
        "timeout": int(os.environ.get("EMAIL_TIMEOUT", "30")),
    }
    if _smtp_options["use_tls"] and _smtp_options["use_ssl"]:
        raise ImproperlyConfigured(
            "Set EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (port 465), not both."
        )
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _smtp_options}}
DEFAULT_FROM_EMAIL = os.environ.get("EMAIL_FROM", "RA Portal <ra-portal@localhost>")


# --- Triggers and webhooks (triggers/) ------------------------------------------------------
# Webhook targets must be public addresses (SSRF): RAPORTAL_WEBHOOK_ALLOWED_NETWORKS lists the
# private networks an admin allows anyway, as CIDRs separated by commas (for example an
# intranet ticketing system: "10.20.0.0/16"; the tests: "127.0.0.0/8").
RAPORTAL_WEBHOOK_ALLOWED_NETWORKS = []
for _network in filter(
    None, (n.strip() for n in os.environ.get("RAPORTAL_WEBHOOK_ALLOWED_NETWORKS", "").split(","))
):
    try:
        RAPORTAL_WEBHOOK_ALLOWED_NETWORKS.append(ipaddress.ip_network(_network, strict=False))
    except ValueError as _exc:
        raise ImproperlyConfigured(f"RAPORTAL_WEBHOOK_ALLOWED_NETWORKS: {_exc}") from None
# The longest a webhook call may take (connect, and each read), in seconds; a trigger's own
# timeout may only be shorter. At most this many bytes of an answer are read.
RAPORTAL_WEBHOOK_TIMEOUT = env_int("RAPORTAL_WEBHOOK_TIMEOUT", 10, minimum=1)
RAPORTAL_WEBHOOK_MAX_RESPONSE_BYTES = env_int(
    "RAPORTAL_WEBHOOK_MAX_RESPONSE_BYTES", 65536, minimum=1024
)
# The wait after a trigger's first failed attempt, doubled at each retry (at most 6 hours).
RAPORTAL_TRIGGER_RETRY_DELAY = env_int("RAPORTAL_TRIGGER_RETRY_DELAY", 60, minimum=1)
