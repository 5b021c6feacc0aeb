"""When a daily report falls due: a local time of day in the client's zone, read with zoneinfo.

Two days a year the local time needs a rule (reports/README.md):
- in the spring-forward gap (02:30 on the night clocks go from 02:00 to 03:00) the report runs at the
  first valid minute after it (03:00);
- in the fall-back repeat (01:30 twice) it runs once, at the first occurrence (the fold=0 one).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_MAX_GAP_MINUTES = 24 * 60  # no zone skips a day (Samoa's 2011 skip is a date, not a time)


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether this local wall time happens in `zone` (false in a spring-forward gap)."""
    back = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == wall


def local_due(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the report of `day` runs: `at` on that day, the gap and repeat rules applied."""
    wall = datetime.combine(day, at)
    for _ in range(_MAX_GAP_MINUTES):
        if _exists(wall, zone):
            # fold=0: the first of two occurrences in a repeated hour.
            return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        wall += timedelta(minutes=1)
    raise ValueError(f"{day} {at} has no valid minute after it in {zone.key}")


def next_due(after: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first run strictly after `after` (aware)."""
    day = after.astimezone(zone).date() - timedelta(days=1)  # a gap rule can move a run past midnight
    while True:
        due = local_due(day, at, zone)
        if due > after:
            return due
        day += timedelta(days=1)


def latest_due(until: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The last run at or before `until` (aware): a late run stands for this one, and only this one."""
    day = until.astimezone(zone).date() + timedelta(days=1)
    while True:
        due = local_due(day, at, zone)
        if due <= until:
            return due
        day -= timedelta(days=1)


def parse_time_of_day(text: str) -> time:
    """`HH:MM` (24 h), or ValueError."""
    if not isinstance(text, str) or not TIME_OF_DAY.match(text):
        raise ValueError(f"a time of day is HH:MM from 00:00 to 23:59, got {text!r}")
    return time(int(text[:2]), int(text[3:]))
