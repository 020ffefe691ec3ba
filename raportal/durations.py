"""Horizon's durations in configuration ("30 days", "12 hours", "1 d", "90s") ↔ timedelta.

Horizon writes finite durations as a number and a unit (Scala's FiniteDuration); we accept
those units with or without a space, singular or plural, and write "<n> days" (or hours,
minutes, seconds when a whole number of days does not fit)."""

import datetime as dt
import re

UNITS = {
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "ms": 0.001,
    "milli": 0.001,
    "millis": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
}
PATTERN = re.compile(r"^\s*(\d{1,9})\s*([a-z]+)\s*$")
MAX = dt.timedelta(days=36500)


def parse_duration(text: str) -> dt.timedelta:
    """ValueError with a message for the person who wrote ``text``."""
    match = PATTERN.match(str(text).lower())
    if not match or match.group(2) not in UNITS:
        raise ValueError(f"{text!r} is not a duration like '30 days', '12 hours' or '90 s'")
    value = dt.timedelta(seconds=int(match.group(1)) * UNITS[match.group(2)])
    if value > MAX:
        raise ValueError(f"{text!r} is longer than 100 years")
    return value


def format_duration(value: dt.timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"


def whole_days(text: str) -> int:
    """A duration that must be a whole number of days (validity, renewal, request expiry)."""
    value = parse_duration(text)
    if value.total_seconds() % 86400:
        raise ValueError(f"{text!r} must be a whole number of days")
    return value.days
