"""Converters from YAML values to model values, for ivr.loader: each returns the value or raises
Bad with one message per thing wrong (the loader files them under the field being read).

YAML reads some unquoted values as numbers or dates: a bare single digit is accepted as a key and
an unquoted date as a date, but numbers are never taken for text (quote client codes, mailboxes
and phone numbers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from ivr.model import DAY_NAMES, MINUTES_PER_DAY, Closure, TimeRange


class Bad(Exception):
    """A value of the wrong type or form; the messages become Problems for the field being read."""

    def __init__(self, *messages: str):
        self.messages = messages


def kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return type(value).__name__


def text(value: object) -> str:
    if isinstance(value, str):
        return value
    hint = f' (quote it: "{value}")' if isinstance(value, int | float) and not isinstance(value, bool) else ""
    raise Bad(f"expected text, got {kind(value)}{hint}")


def prompts(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise Bad(f"expected a prompt reference or a list of them, got {kind(value)}")


def number(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise Bad(f"expected a number of seconds, got {kind(value)}")


def integer(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise Bad(f"expected a whole number, got {kind(value)}")


def boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise Bad(f"expected true or false, got {kind(value)}")


def key(value: object) -> str:
    """A key: text, or a bare single digit (YAML reads an unquoted 1 as a number)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
        return str(value)
    if isinstance(value, str):
        return value
    raise Bad(f"expected a key (one of 0-9 * #, quoted), got {kind(value)} {value!r}")


def choices(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Bad(f"expected a mapping of keys to targets, got {kind(value)}")
    result: dict[str, str] = {}
    errors = []
    for raw, target in value.items():
        try:
            digit = key(raw)
            if digit in result:
                raise Bad(f"key {digit!r} given twice")
            result[digit] = text(target)
        except Bad as exc:
            errors.extend(f"key {raw!r}: {m}" for m in exc.messages)
    if errors:
        raise Bad(*errors)
    return result


def languages(value: object) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise Bad(f"expected a list of language codes such as [fr, en], got {kind(value)}")


def options(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Bad(f"expected a mapping of option names to values, got {kind(value)}")
    result = {}
    for name, raw in value.items():
        if not isinstance(name, str) or not (isinstance(raw, str | int) and not isinstance(raw, bool)):
            raise Bad(f"option {name!r}: expected a name and a text or whole-number value")
        result[name] = str(raw)
    return result


_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}))?")


def _minutes(text: str, *, end: bool) -> int:
    match = _TIME.fullmatch(text.strip())
    hours, minutes = (int(match[1]), int(match[2])) if match else (99, 99)
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end)):
        raise Bad(f"bad time {text.strip()!r} (HH:MM, 00:00 to 23:59, 24:00 as an end)")
    return hours * 60 + minutes


def _days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        first, _, last = (p.strip() for p in part.partition("-"))
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise Bad(f"bad days {text!r} (mon tue wed thu fri sat sun, ranges like mon-fri, lists like mon,wed)")
        start, stop = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        days.extend((start + i) % 7 for i in range((stop - start) % 7 + 1))
    return days


def _ranges(value: object) -> tuple[TimeRange, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise Bad(f"expected ranges like \"08:00-12:00,13:00-17:00\", 24h or closed, got {kind(value)}")
    words = [item.strip() for item in items]
    if words in (["closed"], []):
        return ()
    ranges = []
    for word in words:
        if word == "24h":
            ranges.append(TimeRange(0, MINUTES_PER_DAY))
            continue
        start, sep, end = word.partition("-")
        if not sep:
            raise Bad(f"bad range {word!r} (HH:MM-HH:MM, 24h or closed)")
        ranges.append(TimeRange(_minutes(start, end=False), _minutes(end, end=True)))
    return tuple(ranges)


CLIENT_HOURS = "client"  # a time node's `hours: client`: the client's own business hours decide


def hours_or_client(value: object) -> tuple[tuple[TimeRange, ...], ...] | str:
    """A week of ranges, or CLIENT_HOURS."""
    if value == CLIENT_HOURS:
        return CLIENT_HOURS
    if isinstance(value, str):
        raise Bad(f"expected a mapping of days to ranges, or {CLIENT_HOURS} (the client's hours), got {value!r}")
    return hours(value)


def hours(value: object) -> tuple[tuple[TimeRange, ...], ...]:
    if not isinstance(value, dict):
        raise Bad(f"expected a mapping of days to ranges, got {kind(value)}")
    week: list[tuple[TimeRange, ...]] = [()] * 7
    listed: dict[int, str] = {}
    errors = []
    for raw_days, raw_ranges in value.items():
        try:
            days = _days(text(raw_days))
            ranges = _ranges(raw_ranges)
        except Bad as exc:
            errors.extend(f"{raw_days}: {m}" for m in exc.messages)
            continue
        for day in days:
            if day in listed:
                errors.append(f"{raw_days}: {DAY_NAMES[day]} is already given by {listed[day]}")
            listed[day] = raw_days
            week[day] = ranges
    if errors:
        raise Bad(*errors)
    return tuple(week)


def holidays(value: object) -> frozenset[date]:
    if not isinstance(value, list):
        raise Bad(f"expected a list of dates like \"2026-12-25\", got {kind(value)}")
    days, errors = set(), []
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
        elif isinstance(item, str) and _DATE.fullmatch(item) and _iso(date.fromisoformat, item):
            days.add(date.fromisoformat(item))
        else:
            errors.append(f"bad date {item!r} (YYYY-MM-DD)")
    if errors:
        raise Bad(*errors)
    return frozenset(days)


def _iso(convert: Callable[[str], object], text: str) -> bool:
    try:
        convert(text)
    except ValueError:
        return False
    return True


def _local_time(value: object) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    match = _DATE_TIME.fullmatch(value) if isinstance(value, str) else None
    if match and _iso(date.fromisoformat, match[1]) and (match[2] is None or (int(match[2]) < 24
                                                                                and int(match[3]) < 60)):
        day = date.fromisoformat(match[1])
        return datetime(day.year, day.month, day.day, int(match[2] or 0), int(match[3] or 0))
    raise Bad(f"bad date-time {value!r} (YYYY-MM-DDTHH:MM local time, no offset)")


def closures(value: object) -> tuple[Closure, ...]:
    if not isinstance(value, list):
        raise Bad(f"expected a list of {{from: ..., to: ...}}, got {kind(value)}")
    closures, errors = [], []
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict) or set(item) != {"from", "to"}:
            errors.append(f"closure {number}: expected {{from: YYYY-MM-DDTHH:MM, to: YYYY-MM-DDTHH:MM}}")
            continue
        try:
            closures.append(Closure(_local_time(item["from"]), _local_time(item["to"])))
        except Bad as exc:
            errors.extend(f"closure {number}: {m}" for m in exc.messages)
    if errors:
        raise Bad(*errors)
    return tuple(closures)
