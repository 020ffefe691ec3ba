"""Triggers (Horizon's TriggerApi): create, replace, delete and test email and REST triggers.

Each REST trigger gets a signing secret when it is created (``X-RAPortal-Signature``, see
triggers/delivery/http.py); it is shown once, to whoever created or rotated it, and kept
sealed. Header values are kept sealed too, and shown back masked when their name says they
are secret (``Authorization``, ``X-API-Key``…): sending the mask back keeps the value.
"""

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from administration.services.checks import already_exists, require_administrator, written
from raportal import audit_changes
from raportal.callers import Principal
from raportal.errors import conflict, invalid_request
from raportal.models import record
from triggers import definition
from triggers.delivery import email, rest
from triggers.models import Trigger, TriggerType
from triggers.profile_triggers import profiles_naming

# What a trigger's audit event shows before → after; its definition (an e-mail template or
# a sequence of calls, long) is only said to have changed.
AUDITED_FIELDS = ("name", "event", "retries", "run_period", "run_on_renewed")


def _lock(trigger: Trigger) -> None:
    """Locks the trigger for this change, as FOR NO KEY UPDATE: an event firing it meanwhile
    inserts a run whose foreign key takes FOR KEY SHARE on this row after taking the event
    chain's head (raportal.models.record); FOR UPDATE would wait for it while it waits for
    our head — a deadlock PostgreSQL breaks by failing one of them."""
    list(Trigger.objects.select_for_update(no_key=True).filter(pk=trigger.pk).values_list("pk"))


@dataclass
class Saved:
    trigger: Trigger
    signing_secret: str | None = None  # only when just created or rotated: shown once


def _fill(trigger: Trigger, fields: dict[str, Any]) -> None:
    for key in ("type", "event", "retries", "run_period", "run_on_renewed", "definition"):
        setattr(trigger, key, fields[key])


def _store(trigger: Trigger, fields: dict[str, Any], header_values: list[str]) -> None:
    _fill(trigger, fields)
    trigger.set_header_values(header_values)


def create_trigger(
    actor: Principal,
    data: dict[str, Any],
    *,
    header_values: list[str] | None = None,
    signing_secret: str | None = None,
) -> Saved:
    """``header_values`` and ``signing_secret``, when given (a configuration import), are the
    real values, in place of the body's (masked) ones and of a new secret."""
    require_administrator(actor)
    fields = definition.checked(data)
    values = (
        header_values
        if header_values is not None
        else definition.merged_header_values(None, fields["header_values"], fields["definition"])
    )
    trigger = Trigger(name=fields["name"])
    secret = signing_secret or (
        definition.new_signing_secret() if fields["type"] == TriggerType.REST else None
    )
    try:
        with transaction.atomic():
            trigger.type = fields["type"]
            trigger.save()  # its id binds the sealed values to it
            _store(trigger, fields, values)
            if secret:
                trigger.set_signing_secret(secret)
            trigger.save()
            written(actor, "trigger.create", trigger, name=trigger.name, event=trigger.event)
    except IntegrityError:
        raise already_exists("trigger", fields["name"]) from None
    return Saved(trigger, None if signing_secret else secret)


def update_trigger(
    actor: Principal,
    trigger: Trigger,
    data: dict[str, Any],
    *,
    header_values: list[str] | None = None,
    signing_secret: str | None = None,
) -> Saved:
    """Replaces the trigger named in ``data`` (Horizon sends the whole object)."""
    require_administrator(actor)
    fields = definition.checked(data)
    with transaction.atomic():
        _lock(trigger)
        trigger.refresh_from_db()
        before = audit_changes.snapshot(trigger, AUDITED_FIELDS)
        definition_before = trigger.definition
        if fields["event"] != trigger.event and profiles_naming(trigger.name):
            raise invalid_request(
                f"trigger {trigger.name!r} is listed under {trigger.event} by profile(s) "
                f"{', '.join(profiles_naming(trigger.name))}: its event cannot change"
            )
        if fields["type"] != trigger.type:
            raise invalid_request("a trigger's type cannot change: create another trigger")
        values = (
            header_values
            if header_values is not None
            else definition.merged_header_values(
                trigger, fields["header_values"], fields["definition"]
            )
        )
        _store(trigger, fields, values)
        if signing_secret:
            trigger.set_signing_secret(signing_secret)
        trigger.save()
        written(
            actor,
            "trigger.update",
            trigger,
            name=trigger.name,
            event=trigger.event,
            **audit_changes.detail(before, audit_changes.snapshot(trigger, AUDITED_FIELDS)),
            **({"changed": ["definition"]} if trigger.definition != definition_before else {}),
        )
    return Saved(trigger)


def rotate_signing_secret(actor: Principal, trigger: Trigger) -> Saved:
    require_administrator(actor)
    if trigger.type != TriggerType.REST:
        raise invalid_request("only REST triggers sign what they send")
    secret = definition.new_signing_secret()
    with transaction.atomic():
        _lock(trigger)
        trigger.set_signing_secret(secret)
        trigger.save(update_fields=["sealed_signing_secret", "updated_at"])
        written(actor, "trigger.rotate_secret", trigger, name=trigger.name)
    return Saved(trigger, secret)


def delete_trigger(actor: Principal, trigger: Trigger) -> None:
    require_administrator(actor)
    with transaction.atomic():
        _lock(trigger)
        profiles = profiles_naming(trigger.name)
        if profiles:
            raise conflict(
                f"trigger {trigger.name!r} is listed by profile(s) {', '.join(profiles)}: "
                "remove it from them first"
            )
        written(actor, "trigger.delete", trigger, name=trigger.name)
        trigger.delete()


SAMPLE = {
    "request.id": "00000000-0000-0000-0000-000000000000",
    "request.workflow": "enroll",
    "request.status": "pending",
    "request.dn": "CN=test.example.com",
    "certificate.dn": "CN=test.example.com",
    "certificate.serial": "01",
    "profile.name": "test",
}


def test_trigger(
    actor: Principal, data: dict[str, Any], dictionary: dict[str, str] | None = None
) -> dict[str, Any]:
    """Runs a trigger once, now, with ``dictionary`` (sample values by default), and answers
    Horizon's EmailTriggerTestResponse / RestTriggerTestResponse. Nothing is stored; a test
    of an existing trigger (same name) uses its sealed header values and signing secret."""
    require_administrator(actor)
    fields = definition.checked(data)
    stored = Trigger.objects.filter(name=fields["name"], type=fields["type"]).first()
    if stored is None and definition.MASK in fields["header_values"]:
        raise invalid_request("masked header values can only be tested on a saved trigger")
    trigger = Trigger(name=fields["name"])
    _fill(trigger, fields)
    values = {**SAMPLE, **(dictionary or {}), "event": "on_test", "trigger.name": trigger.name}
    secret = stored.signing_secret() if stored else None
    if trigger.type == TriggerType.EMAIL:
        report = email.deliver(trigger.definition, values)
        record_test(actor, stored or trigger, report.ok)
        return {"status": "success" if report.ok else "failure", "message": report.detail}
    headers = definition.merged_header_values(stored, fields["header_values"], fields["definition"])
    outcome = rest.deliver(trigger.definition, headers, secret, values)
    record_test(actor, stored or trigger, outcome.ok)
    last = outcome.calls[-1] if outcome.calls else None
    body: dict[str, Any] = {
        "status": "success" if outcome.ok else "failure",
        "message": outcome.detail,
        "type": "rest",
        "requestURL": last.url if last else "",
    }
    if last is not None:
        body["requestHeaders"] = [
            {"name": n, "value": definition.MASK if definition.is_secret_header(n) else v}
            for n, v in last.headers
        ]
        body["requestBody"] = last.body
        if last.status is not None:
            body["responseCode"] = last.status
            body["responseHeaders"] = [{"name": n, "value": v} for n, v in last.answer_headers]
            body["responseBody"] = last.answer_body
    return body


def record_test(actor: Principal, trigger: Trigger, ok: bool) -> None:
    """Audited: a test sends real mail or calls (an unsaved trigger is named by its name)."""
    record(actor, "trigger.test", trigger, name=trigger.name, ok=ok)
