"""RA Portal settings: one module, driven by environment variables only.

Development defaults are safe to run on a laptop; with DEBUG off (the default) every
development secret is refused with ImproperlyConfigured, so a production deployment cannot
start with a key that is published in this repository.
"""

import base64
import binascii
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

TRUTHY = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUTHY


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

# --- secrets -----------------------------------------------------------------------------
DEV_SECRET_KEY = "dev-insecure-raportal-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (the development key is public)."
    )
if not DEBUG and len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 32 characters long.")

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

# --- hosts and URLs ----------------------------------------------------------------------
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the portal's host names.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Public base URL of this portal: written into issued certificates (CRL distribution point,
# authority information access), so it must be reachable by relying parties.
RAPORTAL_BASE_URL = os.environ.get(
    "RAPORTAL_BASE_URL", "http://127.0.0.1:8000" if DEBUG else ""
).rstrip("/")
if not DEBUG and not RAPORTAL_BASE_URL:
    raise ImproperlyConfigured(
        "RAPORTAL_BASE_URL must be set when DJANGO_DEBUG is off: it is written for good into "
        "every certificate issued (CRL distribution point, CA issuers)."
    )
if not RAPORTAL_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("RAPORTAL_BASE_URL must be an http:// or https:// URL.")

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
    "certificates",
    "requests_app",
]

MIDDLEWARE = [
    # Outermost: JSON answers under /api/ carry their media type without parameters.
    "raportal.api.content_type.JsonContentTypeMiddleware",
    # Next, so that errors raised by any other middleware under /api/ (a bad Host, CSRF…)
    # still reach API clients as problem+json.
    "raportal.api.middleware.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "raportal.navigation.navigation",
            ],
        },
    },
]

# --- database ----------------------------------------------------------------------------
# SQLite by default (the embedded database a newcomer runs); PostgreSQL when DATABASE_URL is
# set, which is the production database and the one CI tests on.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
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
    # One test database per test process: two runs on one server do not collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_raportal_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
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
if not DEBUG and RAPORTAL_BASE_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

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
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Debug pages and error reports mask settings whose names look secret; KEK is one more.
DEFAULT_EXCEPTION_REPORTER_FILTER = "raportal.reporting.SecretSettingsFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler would print every line a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
