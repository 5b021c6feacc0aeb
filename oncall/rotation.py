"""Who is on call: a rotation over an ordered list of contacts, and dated overrides — pure, no I/O.

A rotation hands over from one contact to the next every day, week or month at a local wall-clock
time in the client's time zone. Shift k starts on `starts_on` + k days (weeks, months) at `handover`:
months are counted from `starts_on` each time (dateutil's relativedelta), so a rotation started on
the 31st hands over on the last day of the shorter months and is back on the 31st after them.

The handover is local time, so DST moves it in UTC. Local times that do not exist or exist twice
are read as RFC 5545 reads them (and as zoneinfo's fold=0 does), so a calendar application showing
the iCalendar feed agrees with this module:
- spring forward, handover inside the gap (02:30 when 02:00 jumps to 03:00): with the offset
  before the gap, i.e. 03:30 after it — the handover comes late by the gap's length;
- fall back, handover inside the repeated hour (01:30 twice): the first 01:30 (summer time).

An override puts one contact on call over [start, end) instead of whoever the rotation has (a swap,
a holiday); where overrides overlap the one created last (highest id) wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

PERIODS = ("daily", "weekly", "monthly")
# The moments a schedule may speak of: far enough on both sides for any real use, and away from the
# ends of Python's calendar, which the windows below would otherwise run into.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_STEP = {"daily": relativedelta(days=1), "weekly": relativedelta(weeks=1), "monthly": relativedelta(months=1)}


@dataclass(frozen=True)
class Rotation:
    period: str  # one of PERIODS
    handover: time  # local wall-clock time, no tzinfo
    starts_on: date  # the local date of the first shift
    contacts: tuple[int, ...]  # contact ids in order; shift k goes to contacts[k % len]
    timezone: str

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {self.period!r}")
        if not self.contacts:
            raise ValueError("a rotation needs at least one contact")
        if self.handover.tzinfo is not None:
            raise ValueError("the handover is a local wall-clock time, without a time zone")
        ZoneInfo(self.timezone)  # raises for an unknown zone
        if not EARLIEST.date() <= self.starts_on < LATEST.date():
            raise ValueError(f"the first day must be from {EARLIEST.year} to {LATEST.year - 1}")


@dataclass(frozen=True)
class Override:
    id: int  # a later override (higher id) wins where two overlap
    contact: int
    start: datetime  # aware; inclusive
    end: datetime  # aware; exclusive

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("an override's start and end are aware times")
        if self.end <= self.start:
            raise ValueError("an override ends after it starts")


@dataclass(frozen=True)
class Segment:
    """One stretch of the schedule: who is on call over [start, end), and why. contact None: nobody."""

    start: datetime  # UTC
    end: datetime  # UTC
    contact: int | None
    shift: int | None = None  # the rotation's shift number, when the rotation gives this stretch
    override: int | None = None  # the override's id, when an override gives it


def in_range(moment: datetime) -> bool:
    """Whether a moment is one a schedule may be asked about (EARLIEST to LATEST)."""
    return EARLIEST <= moment < LATEST


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local date and wall-clock time (fold=0: RFC 5545's reading, module doc)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def shift_day(rotation: Rotation, k: int) -> date:
    return rotation.starts_on + _STEP[rotation.period] * k


def shift_start(rotation: Rotation, k: int) -> datetime:
    """When shift k begins (UTC); shift k ends when shift k + 1 begins."""
    return local_instant(shift_day(rotation, k), rotation.handover, ZoneInfo(rotation.timezone))


def shift_at(rotation: Rotation, at: datetime) -> int | None:
    """The number of the rotation's shift under way at `at`, None before the first one."""
    if at < shift_start(rotation, 0):
        return None
    local = at.astimezone(ZoneInfo(rotation.timezone)).date()
    days = (local - rotation.starts_on).days
    if rotation.period == "daily":
        k = days
    elif rotation.period == "weekly":
        k = days // 7
    else:
        k = (local.year - rotation.starts_on.year) * 12 + local.month - rotation.starts_on.month
    k = max(k, 0)
    # The estimate from the local date is off by at most one (before the day's handover).
    while k > 0 and shift_start(rotation, k) > at:
        k -= 1
    while shift_start(rotation, k + 1) <= at:
        k += 1
    return k


def contact_of_shift(rotation: Rotation, k: int) -> int:
    return rotation.contacts[k % len(rotation.contacts)]


def _rotation_segments(rotation: Rotation | None, start: datetime, end: datetime) -> list[Segment]:
    """The rotation's shifts over [start, end), clipped to it; nobody before the first shift."""
    if rotation is None:
        return [Segment(start, end, None)]
    out: list[Segment] = []
    first = shift_start(rotation, 0)
    if start < first:
        out.append(Segment(start, min(first, end), None))
    k = shift_at(rotation, max(start, first))
    while k is not None:
        s = shift_start(rotation, k)
        if s >= end:
            break
        e = shift_start(rotation, k + 1)
        out.append(Segment(max(s, start), min(e, end), contact_of_shift(rotation, k), shift=k))
        k += 1
    return out


def timeline(rotation: Rotation | None, overrides: list[Override], start: datetime,
             end: datetime) -> list[Segment]:
    """Who is on call over [start, end): contiguous segments, clipped to the window, overrides applied."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the window's start and end are aware times")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    base = _rotation_segments(rotation, start, end)
    active = sorted((o for o in overrides if o.start < end and o.end > start), key=lambda o: o.id)
    cuts = {start, end}
    for segment in base:
        cuts.add(segment.start)
    for o in active:
        cuts.update(t for t in (o.start.astimezone(UTC), o.end.astimezone(UTC)) if start < t < end)
    bounds = sorted(cuts)
    pieces: list[Segment] = []
    i = 0
    for a, b in pairwise(bounds):
        while base[i].end <= a:
            i += 1
        winner = next((o for o in reversed(active) if o.start <= a and o.end >= b), None)
        piece = Segment(a, b, winner.contact, override=winner.id) if winner is not None else \
            Segment(a, b, base[i].contact, shift=base[i].shift)
        last = pieces[-1] if pieces else None
        if last is not None and (last.contact, last.shift, last.override) == (piece.contact, piece.shift,
                                                                              piece.override):
            pieces[-1] = Segment(last.start, b, last.contact, last.shift, last.override)
        else:
            pieces.append(piece)
    return pieces


# How far to look for where the stretch under way began or ends; past that it is open (None).
_REACH = timedelta(days=800)


def on_call_at(rotation: Rotation | None, overrides: list[Override], at: datetime) -> tuple[Segment, bool, bool]:
    """The segment under way at `at`, whole (not clipped to `at`): the timeline's own piece, looked
    for in widening windows. The two flags say whether its start and its end were found (False: it
    reaches further than 800 days, e.g. nobody on call before the rotation starts)."""
    at = at.astimezone(UTC)
    span = timedelta(days=2)
    while True:
        before = timeline(rotation, overrides, at - span, at + timedelta(microseconds=1))[-1]
        if before.start > at - span or span >= _REACH:
            break
        span *= 2
    start_found = before.start > at - span
    span = timedelta(days=2)
    while True:
        after = timeline(rotation, overrides, at, at + span)[0]
        if after.end < at + span or span >= _REACH:
            break
        span *= 2
    end_found = after.end < at + span
    return Segment(before.start, after.end, after.contact, after.shift, after.override), start_found, end_found


def segments_from(rotation: Rotation | None, overrides: list[Override], start: datetime, count: int,
                  limit: timedelta = timedelta(days=3 * 366)) -> list[Segment]:
    """The next `count` segments from the one under way at `start` (whole), looking no further than
    `limit` ahead — for a calendar."""
    current, _, _ = on_call_at(rotation, overrides, start)
    out: list[Segment] = []
    window = timedelta(days=31)
    cursor = current.start
    while len(out) < count and cursor < start + limit:
        end = min(cursor + window, start + limit)
        found = timeline(rotation, overrides, cursor, end)
        if found and out and found[0].start == out[-1].end and _same(found[0], out[-1]):
            out[-1] = Segment(out[-1].start, found[0].end, out[-1].contact, out[-1].shift, out[-1].override)
            found = found[1:]
        out.extend(found)
        cursor = end
        window *= 2
    # The last one may be cut by the window: make it whole.
    trimmed = out[:count]
    if trimmed and len(out) <= count:
        last, _, _ = on_call_at(rotation, overrides, trimmed[-1].start)
        trimmed[-1] = last
    return trimmed


def _same(a: Segment, b: Segment) -> bool:
    return (a.contact, a.shift, a.override) == (b.contact, b.shift, b.override)


def whole_segments(rotation: Rotation | None, overrides: list[Override], start: datetime,
                   end: datetime) -> list[Segment]:
    """The timeline over [start, end) with its first and last segments whole rather than cut at the
    window's edges, so that a segment looks the same whatever window it is seen through (a feed's
    events keep their identity from one fetch to the next)."""
    found = timeline(rotation, overrides, start, end)
    if found:
        found[0] = on_call_at(rotation, overrides, found[0].start)[0]
        found[-1] = on_call_at(rotation, overrides, found[-1].start)[0] if len(found) > 1 else found[0]
    return found
