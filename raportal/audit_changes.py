"""What an administration write changed, as its audit event records it: the detail key
``changes`` maps each changed field to ``[before, after]`` (the audit page shows them as a
before → after table). Values are kept as JSON keeps them (the event's hash is computed over
its detail, raportal/event_seal.py): text, numbers, booleans, null and lists of those; other
values (dates, durations, decimals) are written as text.

Only fields that hold no secret are ever passed here: the services name them one by one."""

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

CHANGES = "changes"  # the detail key


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` on ``obj`` (a model instance or a mapping), as JSON keeps them."""
    if isinstance(obj, Mapping):
        return {field: _plain(obj.get(field)) for field in fields}
    return {field: _plain(getattr(obj, field)) for field in fields}


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for each field whose value differs, in field order."""
    return {
        field: [before.get(field), after.get(field)]
        for field in dict.fromkeys([*before, *after])
        if before.get(field) != after.get(field)
    }


def detail(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``{"changes": …}`` for an event's detail, or nothing when nothing changed."""
    found = changes(before, after)
    return {CHANGES: found} if found else {}
