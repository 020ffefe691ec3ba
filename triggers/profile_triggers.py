"""A profile's ``triggers`` (Horizon's CertificateProfileTriggers) read and checked: known
event keys, names of existing triggers that run on that very event, ``{"name": …}`` objects
(with an optional ``activationDate``) for the periodic events and plain names otherwise."""

from typing import Any

from triggers.events import PERIODIC_EVENTS, PROFILE_KEYS
from triggers.models import Trigger


def read_profile_triggers(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """``(value to store, problems)``."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, ["triggers: an object of event → trigger names"]
    problems: list[str] = []
    value: dict[str, Any] = {}
    events_of = dict(Trigger.objects.values_list("name", "event"))
    for key, entries in raw.items():
        event = PROFILE_KEYS.get(key)
        if event is None:
            problems.append(f"triggers.{key}: not an event of CertificateProfileTriggers")
            continue
        if not entries:
            continue
        if not isinstance(entries, list):
            problems.append(f"triggers.{key}: a list of trigger names")
            continue
        kept: list[Any] = []
        for entry in entries:
            name = entry.get("name") if isinstance(entry, dict) else entry
            if not isinstance(name, str) or name not in events_of:
                problems.append(f"triggers.{key}: no trigger named {str(name)[:100]!r}")
                continue
            if events_of[name] != event:
                problems.append(
                    f"triggers.{key}: trigger {name!r} runs on {events_of[name]}, not {event}"
                )
                continue
            if event in PERIODIC_EVENTS:
                item: dict[str, Any] = {"name": name}
                if isinstance(entry, dict) and isinstance(entry.get("activationDate"), int):
                    item["activationDate"] = entry["activationDate"]
                kept.append(item)
            else:
                kept.append(name)
        if kept:
            value[key] = kept
    return value, problems


def profiles_naming(name: str) -> list[str]:
    """Names of the profiles whose triggers name the trigger ``name``."""
    from profiles.models import Profile

    found = []
    for profile_name, triggers in Profile.objects.exclude(triggers={}).values_list(
        "name", "triggers"
    ):
        for entries in (triggers or {}).values():
            if any((e.get("name") if isinstance(e, dict) else e) == name for e in entries):
                found.append(profile_name)
                break
    return sorted(found)
