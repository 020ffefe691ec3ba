"""Structured logs: one JSON object per line, for log shippers, in production.

Every line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; lines written
while a request is served also carry ``request_id``, ``method`` and ``path`` (set by
``RequestContextMiddleware``), and ``status`` where the record knows it (Django's
``django.request`` records, gunicorn's access lines). Gunicorn's access lines are broken into
fields (``remote_addr``, ``status``, ``bytes``, ``duration_ms``…) by the same formatter
(deploy/gunicorn.conf.py).

What is never written: query strings (the path only), request headers other than the request
id and user agent, bodies, and any ``extra`` field whose name looks secret (key, password,
token, secret, cookie, authorization) — those are replaced by ``"[redacted]"``.
"""

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from typing import Any

_request_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "raportal_request_context", default=None
)

# A request id given by the load balancer or the client is kept (to follow a request across
# systems) if it looks like an id; anything else is replaced, so logs cannot be forged.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SECRET_NAME = re.compile(r"key|pass|secret|token|cookie|authori[sz]ation|credential", re.I)

# LogRecord's own attributes: everything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)
# Extras that are objects, not data (Django passes the request along with its records).
_SKIPPED_EXTRAS = frozenset({"request", "server_time", "status_code"})


def current_request_context() -> dict:
    return _request_context.get() or {}


class RequestContextMiddleware:
    """Gives each request an id (``X-Request-ID``: kept from the caller when well-formed,
    else new), answers it back in the same header, and makes it — with the method and the
    path — part of every log line written while the request is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if REQUEST_ID_PATTERN.fullmatch(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_context.set(
            {"request_id": request_id, "method": request.method, "path": request.path}
        )
        try:
            response = self.get_response(request)
        finally:
            _request_context.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(current_request_context() or self._request_fields(record))
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            entry.update(self._access_fields(record.args))
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            entry["status"] = status
        for name, value in record.__dict__.items():
            if name in _RECORD_ATTRIBUTES or name in _SKIPPED_EXTRAS or name in entry:
                continue
            entry[name] = "[redacted]" if SECRET_NAME.search(name) else _jsonable(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)

    @staticmethod
    def _request_fields(record: logging.LogRecord) -> dict:
        """Django logs a 4xx/5xx answer (``django.request``) once the middleware is done with
        it: the request rides along on the record instead."""
        request = getattr(record, "request", None)
        if request is None or not hasattr(request, "method"):
            return {}
        fields = {"method": request.method, "path": getattr(request, "path", None)}
        request_id = getattr(request, "request_id", None)
        if request_id:
            fields = {"request_id": request_id, **fields}
        return fields

    @staticmethod
    def _access_fields(atoms) -> dict:
        """Gunicorn's access atoms (its ``SafeAtoms`` answers "-" for what is missing)."""

        def atom(name):
            value = atoms.get(name.lower() if name.startswith("{") else name, "-")
            return None if value in ("-", None) else value

        fields = {
            "request_id": atom("{x-request-id}o"),
            "method": atom("m"),
            "path": atom("U"),
            "status": atom("s"),
            "bytes": atom("B"),
            "duration_ms": atom("M"),
            "remote_addr": atom("h"),
            "forwarded_for": atom("{x-forwarded-for}i"),
            "user_agent": atom("a"),
        }
        if isinstance(fields["status"], str) and fields["status"].isdigit():
            fields["status"] = int(fields["status"])
        return {name: value for name, value in fields.items() if value is not None}


class SkipHealthChecks(logging.Filter):
    """Drops the access lines of successful health checks: a load balancer asks every few
    seconds, and those lines would drown the others. Failed checks are still written."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args if isinstance(record.args, dict) else None
        if atoms is None:
            return True
        return not (atoms.get("U") == "/healthz" and str(atoms.get("s")).startswith("2"))
