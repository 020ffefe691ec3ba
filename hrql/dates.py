"""Date literals of Horizon's query languages (HRQL, HCQL), as instants and periods.

Accepted (quoted or not):

- epoch milliseconds, as the API writes dates: ``1718000000000`` (five digits or more);
- ISO 8601 of any precision: ``2025``, ``2025-06``, ``2025-06-15``, ``2025-06-15T14``,
  ``2025-06-15T14:30``, ``2025-06-15T14:30:00`` (fractions allowed), with an optional ``Z``
  or ``±HH:MM`` offset; without one the time is UTC, the portal's time zone;
- ``now``, and ``today`` (midnight UTC, precision: the day);
- offsets from now: ``30d``, ``-24h``, ``+5m``, ``60s`` (units ``d|day|days``,
  ``h|hour|hours``, ``m|minute|minutes``, ``s|second|seconds``). A minus sign means the past,
  no sign or ``+`` the future: ``registration.date after -7d`` is "in the last 7 days",
  ``valid.until before 30d`` "expires within 30 days".

A literal is a period: its start is the instant the comparisons use, its end (start plus one
unit of its precision) lets ``equals "2025-06-15"`` mean "that day".
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

ISO = re.compile(
    r"(?P<year>\d{4})"
    r"(?:-(?P<month>\d{2})"
    r"(?:-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2})"
    r"(?::(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?)?)?)?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
RELATIVE = re.compile(
    r"(?P<sign>[+-]?)(?P<amount>\d{1,6})\s*(?P<unit>d|days?|h|hours?|m|minutes?|s|seconds?)",
    re.IGNORECASE,
)
EPOCH_MS = re.compile(r"-?\d{5,}")
UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
ONE_MS = dt.timedelta(milliseconds=1)


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime  # exclusive


def parse_date(text: str) -> Period:
    """The period a date literal names; ValueError (with the reason) when it names none."""
    try:
        return _parse_date(text)
    except OverflowError:
        raise ValueError(f"{text.strip()!r} is out of the range of dates") from None


def _parse_date(text: str) -> Period:
    value = text.strip()
    lowered = value.lower()
    if lowered == "now":
        now = timezone.now()
        return Period(now, now + ONE_MS)
    if lowered == "today":
        start = timezone.now().astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return Period(start, start + dt.timedelta(days=1))
    if EPOCH_MS.fullmatch(value):
        try:
            start = dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"{value} is out of range as epoch milliseconds") from exc
        return Period(start, start + ONE_MS)
    if match := RELATIVE.fullmatch(value):
        seconds = int(match["amount"]) * UNIT_SECONDS[match["unit"][0].lower()]
        sign = -1 if match["sign"] == "-" else 1
        start = timezone.now() + dt.timedelta(seconds=sign * seconds)
        return Period(start, start + ONE_MS)
    if match := ISO.fullmatch(value):
        return _iso_period(match)
    raise ValueError(
        f"{value!r} is not a date (use epoch milliseconds, an ISO 8601 date such as "
        '"2025-06-15" or "2025-06-15T14:30:00Z", now, today, or an offset such as -7d)'
    )


def _iso_period(match: re.Match) -> Period:
    parts = {k: int(v) for k, v in match.groupdict().items() if v and k not in ("zone",)}
    if "fraction" in parts:
        parts["fraction"] = int(match["fraction"].ljust(6, "0"))
    zone = _zone(match["zone"])
    try:
        start = dt.datetime(
            parts["year"],
            parts.get("month", 1),
            parts.get("day", 1),
            parts.get("hour", 0),
            parts.get("minute", 0),
            parts.get("second", 0),
            parts.get("fraction", 0),
            tzinfo=zone,
        )
    except ValueError as exc:
        raise ValueError(f"{match[0]!r} is not a valid date: {exc}") from exc
    return Period(start, _add_one_unit(start, parts))


def _zone(text: str | None) -> dt.tzinfo:
    if not text or text.upper() == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return dt.timezone(sign * offset)


def _add_one_unit(start: dt.datetime, parts: dict) -> dt.datetime:
    """The end of the period: one unit of the literal's finest component later."""
    if "fraction" in parts:
        return start + ONE_MS
    for name, delta in [
        ("second", dt.timedelta(seconds=1)),
        ("minute", dt.timedelta(minutes=1)),
        ("hour", dt.timedelta(hours=1)),
        ("day", dt.timedelta(days=1)),
    ]:
        if name in parts:
            return start + delta
    if "month" in parts:
        year, month = divmod(start.month, 12)
        return start.replace(year=start.year + year, month=month + 1)
    return start.replace(year=start.year + 1)
