"""A trigger as Horizon writes it (EmailNotification / REST, camelCase JSON) ↔ a Trigger row.

``checked`` validates what the client's models cannot: one event, a runPeriod only on
periodic events (and required there), runOnRenewed only on ``on_expire``, recipients that
name what they need, URLs that may be called, no PKCS#12 attachment, authentication through
headers only (the portal keeps no credentials store: ``authenticationType`` other than
``noauth`` is refused). Header values are split off to be sealed; ``trigger_json`` shows
them back masked when their name says they are secret.
"""

import copy
import secrets
from typing import Any

from raportal.durations import parse_duration
from raportal.errors import invalid_request
from triggers.delivery.http import TargetRefused, check_target
from triggers.events import EXPIRE, PERIODIC_EVENTS, PROFILE_EVENTS, TEST
from triggers.models import Trigger, TriggerType

MASK = "********"
SECRET_HEADER_WORDS = ("auth", "token", "key", "secret", "password", "cookie", "signature")
EMAIL_FLAGS = (
    "ifPkcs12",
    "attachPemCertificate",
    "attachPemBundle",
    "attachDerCertificate",
    "attachPkcs7",
    "attachPkcs7Bundle",
)
STEP_FIELDS = ("method", "url", "payloadType", "payload", "expectedHttpCodes", "timeout")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
MAX_RETRIES = 10


def _duration(field: str, text: str) -> None:
    try:
        parse_duration(text)
    except ValueError as exc:
        raise invalid_request(f"{field}: {exc}") from None


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_HEADER_WORDS)


def new_signing_secret() -> str:
    return secrets.token_urlsafe(32)


def checked(data: dict[str, Any]) -> dict[str, Any]:
    """The row's fields (``name``, ``type``, ``event``, ``retries``, ``run_period``,
    ``run_on_renewed``, ``definition``, ``header_values``) of a trigger body; REQ-002 naming
    what is wrong."""
    kind = data.get("type")
    if kind not in TriggerType.values:
        raise invalid_request(f"trigger type {kind!r}: email and rest triggers are supported")
    name = (data.get("name") or "").strip()
    if not name or len(name) > 100:
        raise invalid_request("a trigger needs a name of 1 to 100 characters")
    events = data.get("events") or []
    if len(events) != 1:
        raise invalid_request("a trigger runs on exactly one event (events: one value)")
    event = events[0]
    if event not in (*PROFILE_EVENTS, TEST):
        raise invalid_request(f"event {event!r} is not one the portal fires")
    run_period = (data.get("runPeriod") or "").strip()
    if event in PERIODIC_EVENTS and not run_period:
        raise invalid_request(f"{event} needs a runPeriod (for example '30 days')")
    if run_period and event not in PERIODIC_EVENTS:
        raise invalid_request("runPeriod is only for expiration and pending events")
    if run_period:
        _duration("runPeriod", run_period)
    run_on_renewed = data.get("runOnRenewed")
    if run_on_renewed is not None and event != EXPIRE:
        raise invalid_request("runOnRenewed is only for on_expire")
    retries = data.get("retries")
    retries = 3 if retries is None else retries
    if not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise invalid_request(f"retries must be a whole number from 0 to {MAX_RETRIES}")
    if kind == TriggerType.EMAIL:
        definition, header_values = _email(data), list[str]()
    else:
        definition, header_values = _rest(data)
    return {
        "name": name,
        "type": kind,
        "event": event,
        "retries": retries,
        "run_period": run_period,
        "run_on_renewed": run_on_renewed,
        "definition": definition,
        "header_values": header_values,
    }


def _email(data: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(data.get("emailTemplate") or {})
    if data.get("attachPkcs12"):
        raise invalid_request(
            "attachPkcs12 is refused: a PKCS#12 is handed over on the request's page only, "
            "never by mail"
        )
    if not (template.get("to") and template.get("title")):
        raise invalid_request("an email trigger needs emailTemplate.to and emailTemplate.title")
    for recipient in template["to"]:
        if recipient.get("type") == "static" and "@" not in (recipient.get("email") or ""):
            raise invalid_request("a static recipient needs an email address")
        if recipient.get("type") == "label" and not recipient.get("label"):
            raise invalid_request("a label recipient needs the label's name")
    definition: dict[str, Any] = {"emailTemplate": template}
    for flag in EMAIL_FLAGS:
        if data.get(flag) is not None:
            definition[flag] = data[flag]
    return definition


def _rest(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    sequence = data.get("sequence") or []
    if not sequence:
        raise invalid_request("a REST trigger needs a sequence of at least one call")
    steps, header_values = [], []
    for number, given in enumerate(sequence, start=1):
        if (given.get("authenticationType") or "noauth") != "noauth" or given.get("credentials"):
            raise invalid_request(
                f"call {number}: authenticationType other than noauth is not supported; "
                "send the credentials in a header (kept sealed)"
            )
        if given.get("proxy"):
            raise invalid_request(f"call {number}: proxies are not supported")
        method = (given.get("method") or "POST").upper()
        if method not in METHODS:
            raise invalid_request(f"call {number}: method {method} is not supported")
        url = given.get("url") or ""
        if not url.startswith(("http://", "https://")):
            raise invalid_request(f"call {number}: the URL must start with http:// or https://")
        if "{{" not in url.split("/", 3)[2]:  # a templated host is checked at each call
            try:
                check_target(url)
            except TargetRefused as exc:
                raise invalid_request(f"call {number}: {exc}") from None
        if given.get("timeout"):
            _duration(f"call {number}: timeout", given["timeout"])
        step = {key: given[key] for key in STEP_FIELDS if given.get(key) is not None}
        step["method"] = method
        step["headers"] = [{"name": h["name"]} for h in given.get("headers") or []]
        for header in given.get("headers") or []:
            if not header.get("name") or any(c in header["name"] for c in ":\r\n "):
                raise invalid_request(f"call {number}: invalid header name {header.get('name')!r}")
            header_values.append(header.get("value") or "")
        steps.append(step)
    return {"sequence": steps}, header_values


def header_slots(definition: dict) -> list[tuple[int, str]]:
    """``(call number, header name lower-cased)`` of each header value, in storage order."""
    return [
        (number, header["name"].lower())
        for number, step in enumerate(definition.get("sequence") or [], start=1)
        for header in step.get("headers") or []
    ]


def merged_header_values(trigger: Trigger | None, given: list[str], definition: dict) -> list[str]:
    """Header values to keep. A masked value sent back (an update of what ``trigger_json``
    showed) keeps the stored value of the header of the same name in the same call — never
    another header's: a mask moved under another name would reveal that value where it is
    not masked. A mask with no such saved header is refused."""
    if trigger is None:
        if MASK in given:
            raise invalid_request("a new trigger's headers cannot be masked")
        return given
    stored = dict(zip(header_slots(trigger.definition), trigger.header_values(), strict=False))
    merged = []
    for slot, value in zip(header_slots(definition), given, strict=False):
        if value == MASK:
            if slot not in stored:
                raise invalid_request(
                    f"call {slot[0]}: header {slot[1]!r} is masked but no saved header of that "
                    "name holds a value to keep; send its value"
                )
            value = stored[slot]
        merged.append(value)
    return merged


def trigger_json(trigger: Trigger) -> dict[str, Any]:
    """Horizon's EmailNotificationResponse / RESTResponse."""
    body: dict[str, Any] = {
        "_id": str(trigger.pk),
        "name": trigger.name,
        "type": trigger.type,
        "retries": trigger.retries,
        "events": [trigger.event],
    }
    if trigger.run_period:
        body["runPeriod"] = trigger.run_period
    if trigger.run_on_renewed is not None:
        body["runOnRenewed"] = trigger.run_on_renewed
    definition = copy.deepcopy(trigger.definition)
    if trigger.type == TriggerType.REST:
        values = iter(trigger.header_values())
        for step in definition.get("sequence", []):
            step["authenticationType"] = "noauth"
            for header in step.get("headers", []):
                value = next(values, "")
                header["value"] = MASK if is_secret_header(header["name"]) else value
    body.update(definition)
    return body
