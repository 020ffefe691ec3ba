"""Audit events in Horizon's shapes (the official client's EventResponse /
EventSearchResult), and the query language of ``POST /api/v1/events/search``.

The query is the HRQL grammar (``hrql.parser``) over these fields::

    id, _id                     an event's id (equals, in)
    code                        Horizon's EventCode (REQUEST-SUBMIT, LIFECYCLE-REVOKE…)
    module                      Horizon's EventModule (webra, est, scep, security…)
    status                      success | warning | failure
    timestamp                   the event's date (HRQL date literals: before, after, <=…)
    action                      our own action name (request.approve.enroll…): text
    principal, actor            who acted (their username then): text
    objecttype, objectid        what was acted on: text

``code``, ``module`` and ``status`` are Horizon's names for our actions (raportal/
event_codes.py), turned into conditions on the actions that carry them. Sortable:
``timestamp``, ``_id``/``id``. Default order: newest first.
"""

import datetime as dt
import json
import socket
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import Q

from certificates.outputs import epoch_ms
from hrql.fields import EQUALS, EXISTS, IN, ChoiceField, DateField, Field, QueryError, TextField
from raportal.event_codes import ACTIONS, horizon_terms
from raportal.events import event_pk
from raportal.horizon_models import EventCode, EventModule
from raportal.models import AuditEvent

HORIZON_STATUSES = ("success", "warning", "failure")


class EventIdField(Field):
    operators = (EQUALS, IN, EXISTS)
    kind = "id"

    def build(self, name, operator, value) -> Q:
        if operator == EXISTS:
            return Q(pk__isnull=False)
        values = value if operator == IN else [value]
        ids = []
        for text in values:
            pk = event_pk(text)
            if pk is None:
                raise QueryError(f"{name}: {text!r} is not an event id")
            ids.append(pk)
        return Q(pk__in=ids)


def _actions(prefix: str) -> Q:
    return Q(action=prefix) | Q(action__startswith=prefix + ".")


def actions_where(keep: Callable[[str], bool]) -> Q:
    """The events whose action's entry (its longest prefix in ACTIONS) satisfies ``keep``:
    each kept prefix, minus its longer prefixes that are not kept."""
    q = Q(pk__in=[])
    for prefix, _terms in ACTIONS.items():
        if not keep(prefix):
            continue
        exceptions = [
            other for other in ACTIONS if other.startswith(prefix + ".") and not keep(other)
        ]
        condition = _actions(prefix)
        for other in exceptions:
            condition &= ~_actions(other)
        q |= condition
    return q


# Negated below: "has the key and" keeps ``NOT`` true for rows without the key (a JSON key
# that is absent compares as NULL, and NOT NULL would drop those rows).
FAILED = Q(detail__has_key="status") & Q(detail__status="failed")
DEVICE = Q(detail__has_key="protocol") & Q(detail__protocol__in=["est", "scep"])


def _code(code: str) -> Callable[[], Q]:
    return lambda: actions_where(lambda prefix: ACTIONS[prefix].code == code)


def _module(module: str) -> Callable[[], Q]:
    def q() -> Q:
        table = actions_where(lambda prefix: ACTIONS[prefix].module == module)
        if module == "webra":
            return table & ~DEVICE
        if module in ("est", "scep"):
            webra = actions_where(lambda prefix: ACTIONS[prefix].module == "webra")
            return table | (webra & Q(detail__protocol=module))
        return table

    return q


def _status(status: str) -> Callable[[], Q]:
    def q() -> Q:
        table = actions_where(lambda prefix: ACTIONS[prefix].status == status)
        success = actions_where(lambda prefix: ACTIONS[prefix].status == "success")
        if status == "success":
            return table & ~FAILED
        if status == "failure":
            return table | (success & FAILED)
        return table

    return q


def event_fields() -> dict[str, Field]:
    return {
        "id": EventIdField("pk"),
        "_id": EventIdField("pk"),
        "code": ChoiceField({code.lower(): _code(code) for code in _codes()}),
        "module": ChoiceField({module: _module(module) for module in _modules()}),
        "status": ChoiceField({status: _status(status) for status in HORIZON_STATUSES}),
        "timestamp": DateField("at"),
        "action": TextField("action"),
        "principal": TextField("actor_name"),
        "actor": TextField("actor_name"),
        "objecttype": TextField("object_type"),
        "objectid": TextField("object_id"),
    }


def _codes() -> Iterable[str]:
    """Every code of Horizon's EventCode: the ones we never record match nothing."""
    return [member.value for member in EventCode]


def _modules() -> Iterable[str]:
    return [member.value for member in EventModule]


EVENT_FIELDS = event_fields()
EVENT_SORTS = {"timestamp": "at", "_id": "pk", "id": "pk"}
DEFAULT_EVENT_ORDER = ["-sequence"]


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def event_json(event: AuditEvent) -> dict:
    """Horizon's EventResponse: Horizon's code, module and status for our action, the
    action, its object, actor and detail as key/value strings, the chain fields (sequence,
    hash, previous hash) among the details and the HMAC as ``seal``."""
    terms = horizon_terms(event.action, event.detail if isinstance(event.detail, dict) else {})
    details = [
        ("action", event.action),
        ("objectType", event.object_type),
        ("objectId", event.object_id),
    ]
    if event.actor_name:
        details.append(("principal", event.actor_name))
    if isinstance(event.detail, dict):
        details += [(str(key), _text(value)) for key, value in sorted(event.detail.items())]
    details += [
        ("sequence", str(event.sequence)),
        ("hash", event.hash),
        ("previousHash", event.previous_hash),
    ]
    body = {
        "_id": str(event.pk),
        "code": terms.code,
        "module": terms.module,
        "status": terms.status,
        "node": socket.gethostname(),
        "timestamp": epoch_ms(event.at),
        "details": [{"key": key, "value": value} for key, value in details],
        "seal": event.seal,
    }
    if settings.RAPORTAL_EVENT_RETENTION_DAYS:
        body["removeAt"] = epoch_ms(
            event.at + dt.timedelta(days=settings.RAPORTAL_EVENT_RETENTION_DAYS)
        )
    return body
