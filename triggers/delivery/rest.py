"""REST triggers (Horizon's REST notification): a sequence of HTTP calls, in order, each one
rendered from the event's dictionary enriched with the previous answers
(``response.status``, ``response.body``, and ``sequence.<n>.status`` / ``.body`` for call n,
counted from 1). The run succeeds when every call answers one of its ``expectedHttpCodes``
(default 200, 201, 202, 204); the first call that does not, or cannot be made, fails it.

Every call carries ``X-RAPortal-Signature`` (triggers/delivery/http.py) computed with the
trigger's own secret, so a receiver knows the portal sent it and when.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from raportal.durations import parse_duration
from triggers.delivery import http
from triggers.templating import render

DEFAULT_EXPECTED = (200, 201, 202, 204)
DEFAULT_TIMEOUT = 10.0


def seconds_of(duration: str | None, default: float) -> float:
    """Horizon's durations (``10 seconds``, ``30d``; checked when the trigger was saved) in
    seconds; ``default`` when there is none."""
    if not duration:
        return default
    try:
        return parse_duration(duration).total_seconds()
    except ValueError:
        return default


def shown(url: str) -> str:
    """A URL as results and logs show it (whoever may read the request or certificate reads
    its results): scheme and host only — webhook services put their token in the path
    (``/services/T0/B0/XXXX``) or the query."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname or "", "", "", ""))


@dataclass
class Call:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: str
    status: int | None = None
    answer_headers: list[tuple[str, str]] = field(default_factory=list)
    answer_body: str = ""


@dataclass
class RestReport:
    ok: bool
    detail: str
    calls: list[Call]


def _is_json(step: Mapping, headers: list[tuple[str, str]]) -> bool:
    if (step.get("payloadType") or "").lower() == "json":
        return True
    return any(n.lower() == "content-type" and "json" in v.lower() for n, v in headers)


def deliver(
    definition: Mapping,
    header_values: list[str],
    secret: str | None,
    dictionary: Mapping[str, object],
) -> RestReport:
    values = dict(dictionary)
    calls: list[Call] = []
    slot = 0
    for number, step in enumerate(definition.get("sequence") or [], start=1):
        headers: list[tuple[str, str]] = []
        for header in step.get("headers") or []:
            raw = header_values[slot] if slot < len(header_values) else ""
            slot += 1
            headers.append((header["name"], render(raw, values, "header")))
        json_body = _is_json(step, headers)
        body = render(step.get("payload"), values, "json" if json_body else "text")
        if json_body and not any(n.lower() == "content-type" for n, _ in headers):
            headers.append(("Content-Type", "application/json"))
        data = body.encode()
        if secret:
            headers.append((http.SIGNATURE_HEADER, http.sign(secret, data)))
        url = render(step.get("url"), values, "url")
        call = Call((step.get("method") or "POST").upper(), url, headers, body)
        calls.append(call)
        try:
            answer = http.request(
                call.method,
                url,
                headers=headers,
                body=data if call.method not in ("GET", "HEAD") or data else None,
                timeout=seconds_of(step.get("timeout"), DEFAULT_TIMEOUT),
            )
        except http.TargetRefused as exc:
            return RestReport(False, f"call {number} refused: {exc}", calls)
        except (OSError, http.HTTPException, ValueError) as exc:
            # Connection refused, timeout, TLS failure, a malformed answer (HTTPException), a
            # URL or header value http.client cannot send (ValueError): the run fails, told why.
            return RestReport(
                False, f"call {number} to {shown(url)} failed: {type(exc).__name__}", calls
            )
        call.status, call.answer_headers, call.answer_body = (
            answer.status,
            answer.headers,
            answer.body,
        )
        values["response.status"] = values[f"sequence.{number}.status"] = str(answer.status)
        values["response.body"] = values[f"sequence.{number}.body"] = answer.body
        expected = step.get("expectedHttpCodes") or DEFAULT_EXPECTED
        if answer.status not in expected:
            return RestReport(
                False,
                f"call {number} ({call.method} {shown(url)}) answered {answer.status}, "
                f"expected {', '.join(str(c) for c in expected)}",
                calls,
            )
    return RestReport(True, f"{len(calls)} call(s) answered as expected", calls)
