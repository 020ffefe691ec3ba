"""``GET /healthz`` for load balancers: 200 ``{"status": "ok"}`` once the database answers a
``SELECT 1``; 503 ``{"status": "unavailable"}`` when it does not.

No authentication, no session, no cookie. ``HealthCheckMiddleware`` answers before Django's
host validation and CSRF (a load balancer probes with the instance's own address as Host,
which ALLOWED_HOSTS rightly does not list) and before anything that writes to the database.
Successful checks are not logged (gunicorn's access log skips them too, see
``raportal.logging_json.SkipHealthChecks``); a failing one logs one warning naming the error's
class, never the connection string.
"""

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponseNotAllowed, JsonResponse

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"


def healthz(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        log.warning("health check failed: database unreachable (%s)", exc.__class__.__name__)
        response = JsonResponse(
            {"status": "unavailable", "checks": {"database": "unreachable"}}, status=503
        )
        # Logged above, once; not again by django.request (its private flag, not in the stubs).
        response._has_been_logged = True  # type: ignore[attr-defined]
    else:
        response = JsonResponse({"status": "ok", "checks": {"database": "ok"}})
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_PATH:
            return healthz(request)
        return self.get_response(request)
