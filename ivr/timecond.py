"""Business hours: is a client open at a given instant? The clock is the caller's: pass `now` in.

Everything is judged on the local wall clock of the rule's time zone (zoneinfo), so a change of
clocks moves nothing: 08:30 is 08:30 local on the day the clocks change and every other day.

- Weekly ranges compare the local clock reading. In the hour that repeats when clocks go back, both
  passes are judged alike (a range 01:00-01:30 is open twice); in the hour skipped when they go
  forward nothing happens (a range 02:30-04:00 opens when the clock jumps to 03:00).
- A range whose end is before its start ("22:00-06:00") crosses midnight: it belongs to the day it
  starts on (fri 22:00-06:00 is open Friday night until Saturday 06:00).
- Holidays are whole local dates closed, including the early hours that an overnight range from the
  day before would have opened.
- Closures are spans of real time, from `from` (included) to `to` (excluded), written in local
  time. A wall time that occurs twice (clocks going back) means its first occurrence; a wall time
  that does not exist (clocks going forward) means the instant the clocks jump.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ivr.model import TimeRange, TimeRule


def is_open(rule: TimeRule, now: datetime) -> bool:
    """Whether the rule is open at `now`, an aware datetime (any zone: it is converted)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("is_open needs an aware datetime")
    zone = ZoneInfo(rule.timezone)
    local = now.astimezone(zone)
    if local.date() in rule.holidays:
        return False
    for closure in rule.closures:
        if local_instant(closure.start, zone) <= now < local_instant(closure.end, zone):
            return False
    return in_hours(rule.week, local.weekday(), local.hour * 60 + local.minute)


def in_hours(week: tuple[tuple[TimeRange, ...], ...], weekday: int, minute: int) -> bool:
    """Whether minute (after local midnight) of weekday (0 = Monday) is inside the weekly ranges."""
    for r in week[weekday]:
        if r.start < r.end:
            if r.start <= minute < r.end:
                return True
        elif minute >= r.start:  # the evening part of an overnight range
            return True
    # the morning part of yesterday's overnight ranges
    return any(r.end < r.start and minute < r.end for r in week[(weekday - 1) % 7])


def local_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a naive local wall time means (first occurrence; the jump, if skipped)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap fold=0 applies the offset from before the jump, which lands after it, and fold=1 the
    # one from after, which lands before it: find the first second whose wall time reaches `wall`.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
