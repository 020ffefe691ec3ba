"""Gunicorn configuration for RA Portal: `make serve`, or
``gunicorn -c deploy/gunicorn.conf.py`` from the checkout.

Every value comes from the environment (README, "Configuration"):

- ``RAPORTAL_BIND`` — address to listen on, default ``127.0.0.1:8000``; several values
  separated by commas. Behind a load balancer on other hosts, ``0.0.0.0:8000``.
- ``WEB_CONCURRENCY`` — worker processes, default one per CPU available to this process.
  Sync workers: each serves one request at a time, and the portal's requests are short
  (no slow I/O: issuing is a few milliseconds of CPU and a few queries), so CPUs bound it.
- ``GUNICORN_TIMEOUT`` — seconds before a stuck worker is killed and replaced (default 30).
- ``FORWARDED_ALLOW_IPS`` — read by gunicorn itself: the proxies trusted for
  X-Forwarded-Proto (default 127.0.0.1).

The application is loaded once, in the master, before the workers are forked
(``preload_app``): a worker starts with everything imported (raportal/wsgi.py imports the
URLconf and every view at load), so a new one, after a crash, a timeout or its
``max_requests``, answers its first request at once instead of spending seconds importing
while requests wait (under load such workers used to be killed by the timeout before they
answered). The price: the workers run the code the master loaded, so **a code change needs a
restart** of gunicorn (stop and start, or ``USR2`` to start a new master beside the old one,
then ``TERM`` to the old master). ``HUP`` re-reads this file and replaces the workers, but
forks them from the same master, with the same code.

Logs: gunicorn's own lines and one access line per request go to stdout, as JSON lines in
production (``raportal.logging_json.JsonFormatter``, the same as Django's), or readable text
with ``DJANGO_DEBUG=1`` / ``RAPORTAL_LOG_FORMAT=text``. Access lines hold the path without
its query string, and successful health checks are not written.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

wsgi_app = "raportal.wsgi:application"
chdir = str(BASE_DIR)
raw_env = ["DJANGO_SETTINGS_MODULE=raportal.settings"]
# Import the application in the master and fork workers from it (see the top of this file:
# a worker's first request is answered within milliseconds, not seconds). raportal/wsgi.py
# closes the database connections it may have opened, so no worker inherits a socket.
preload_app = True


def _cpus() -> int:
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13: honours CPU affinity
    if counter is not None:
        return counter() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}.") from None
    if number < 1:
        raise SystemExit(f"{name} must be at least 1.")
    return number


bind = [item.strip() for item in os.environ.get("RAPORTAL_BIND", "127.0.0.1:8000").split(",")]
worker_class = "sync"
workers = _int("WEB_CONCURRENCY", _cpus())
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
# Workers are replaced after this many requests (jittered so they do not all restart at
# once): a slow leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# Certificates travel URL-encoded in some paths (/api/v1/rfc5280/tc/{PEM},
# /api/v1/certificates/{PEM}): far beyond gunicorn's default 4094-byte request line. 8190 is
# the most gunicorn takes while keeping a bound (0 would mean unlimited).
limit_request_line = 8190
# No control socket (~/.gunicorn/gunicorn.ctl): several servers may run on one host under one
# user, and signals (HUP: reload, TERM: stop) are how they are managed.
control_socket_disable = True
# The workers' heartbeat files in memory, not on a disk that may stall under load.
if Path("/dev/shm").is_dir():  # noqa: S108 (gunicorn's own advice; files it creates 0600)
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# --- logs ---------------------------------------------------------------------------------
_debug = os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
_format = os.environ.get("RAPORTAL_LOG_FORMAT", "").strip().lower() or (
    "text" if _debug else "json"
)
loglevel = os.environ.get("DJANGO_LOG_LEVEL", "info").strip().lower() or "info"
accesslog = "-"
errorlog = "-"
# The readable form of an access line (also the "message" of a JSON one): no query string,
# which could carry something a client should not have put there.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "raportal.logging_json.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"},
    },
    "filters": {"skip_health_checks": {"()": "raportal.logging_json.SkipHealthChecks"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": _format,
        },
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": _format,
            "filters": ["skip_health_checks"],
        },
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}


def post_worker_init(worker) -> None:
    """Each worker starts its outbox thread at once (raportal/outbox.py, ``thread`` delivery):
    messages a stopped or crashed server left are run without waiting for this worker's
    first queued mail. Never in the master: a forked worker must not inherit its thread's
    database connection."""
    from django.conf import settings

    from raportal import outbox

    if settings.RAPORTAL_OUTBOX_DELIVERY == outbox.THREAD:
        outbox.wake()
