"""Rotation math: shifts daily, weekly and monthly; the handover minute; DST weeks in America/Montreal and
Europe/Paris (the handover in the spring gap, and in the repeated hour of the fall); months of 29-31
days; overrides, which one wins, and the timeline's segments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import MONTHLY, rrule

from oncall import Override, Rotation, on_call_at, segments_from, shift_at, timeline
from oncall.rotation import contact_of_shift, shift_start

MTL, PARIS = ZoneInfo("America/Montreal"), ZoneInfo("Europe/Paris")
A, B, C = 11, 22, 33
MINUTE = timedelta(minutes=1)


def local(zone: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold).astimezone(UTC)


def who(rotation: Rotation, at: datetime, overrides: list[Override] | None = None) -> int | None:
    return on_call_at(rotation, overrides or [], at)[0].contact


def test_daily_rotation_cycles_through_the_contacts_in_order():
    r = Rotation("daily", time(8, 0), date(2026, 1, 5), (A, B, C), "America/Montreal")
    noon = [who(r, local(MTL, 2026, 1, 5 + d, 12)) for d in range(7)]
    assert noon == [A, B, C, A, B, C, A]
    assert who(r, local(MTL, 2026, 1, 5, 7, 59)) is None  # before the first shift: nobody
    assert shift_at(r, local(MTL, 2026, 1, 5, 7, 59)) is None


@pytest.mark.parametrize("period, next_handover", [
    ("daily", (2026, 1, 6, 8, 0)), ("weekly", (2026, 1, 12, 8, 0)), ("monthly", (2026, 2, 5, 8, 0))])
def test_the_handover_minute_one_before_at_and_after(period, next_handover):
    r = Rotation(period, time(8, 0), date(2026, 1, 5), (A, B), "America/Montreal")
    handover = local(MTL, *next_handover)
    assert [who(r, handover - MINUTE), who(r, handover), who(r, handover + MINUTE)] == [A, B, B]
    assert shift_start(r, 1) == handover
    segment, start_found, end_found = on_call_at(r, [], handover - MINUTE)
    assert (segment.start, segment.end, segment.shift, start_found, end_found) == \
        (local(MTL, 2026, 1, 5, 8), handover, 0, True, True)


def test_weekly_rotation_hands_over_on_the_first_days_weekday():
    r = Rotation("weekly", time(9, 0), date(2026, 1, 7), (A, B, C), "Europe/Paris")  # a Wednesday
    assert who(r, local(PARIS, 2026, 1, 14, 8, 59)) == A and who(r, local(PARIS, 2026, 1, 14, 9)) == B
    assert who(r, local(PARIS, 2026, 1, 20, 23, 59)) == B and who(r, local(PARIS, 2026, 1, 21, 9)) == C
    assert who(r, local(PARIS, 2026, 1, 28, 9)) == A
    starts = [shift_start(r, k).astimezone(PARIS) for k in range(10)]
    assert {s.weekday() for s in starts} == {2} and {(s.hour, s.minute) for s in starts} == {(9, 0)}


def test_montreal_spring_forward_with_the_handover_in_the_gap():
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT; a 02:30 handover does not exist that day: it happens at
    # 03:30 EDT (RFC 5545: read with the offset before the gap), 07:30 UTC like the day before.
    r = Rotation("daily", time(2, 30), date(2026, 3, 6), (A, B, C), "America/Montreal")
    handover = shift_start(r, 2)
    assert handover == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert handover.astimezone(MTL).strftime("%H:%M %Z") == "03:30 EDT"
    assert [who(r, handover - MINUTE), who(r, handover), who(r, handover + MINUTE)] == [B, C, C]
    assert who(r, local(MTL, 2026, 3, 8, 3, 1)) == B  # 03:01 EDT: B still, until 03:30
    # The next day the handover is 02:30 EDT again: C's shift is 23 hours long.
    assert shift_start(r, 3) == datetime(2026, 3, 9, 6, 30, tzinfo=UTC)
    assert shift_start(r, 3) - shift_start(r, 2) == timedelta(hours=23)


def test_montreal_fall_back_with_the_handover_in_the_repeated_hour():
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice: the handover is the first.
    r = Rotation("daily", time(1, 30), date(2026, 10, 30), (A, B, C), "America/Montreal")
    first, second = local(MTL, 2026, 11, 1, 1, 30), local(MTL, 2026, 11, 1, 1, 30, fold=1)
    assert (first, second) == (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC))
    assert shift_start(r, 2) == first
    assert [who(r, first - MINUTE), who(r, first), who(r, first + MINUTE), who(r, second)] == [B, C, C, C]
    assert shift_start(r, 3) - shift_start(r, 2) == timedelta(hours=25)  # the long day is C's


def test_paris_dst_weeks_weekly_rotation():
    # Europe/Paris 2026: spring forward on Sunday 29 March (02:00 -> 03:00), fall back on Sunday 25 October
    # (03:00 -> 02:00). A weekly Sunday 02:30 handover falls in the gap, then in the repeated hour.
    r = Rotation("weekly", time(2, 30), date(2026, 3, 22), (A, B), "Europe/Paris")
    spring = shift_start(r, 1)
    assert spring == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 CET = 03:30 CEST
    assert spring.astimezone(PARIS).strftime("%H:%M %Z") == "03:30 CEST"
    assert [who(r, spring - MINUTE), who(r, spring), who(r, spring + MINUTE)] == [A, B, B]
    assert shift_start(r, 2) - spring == timedelta(days=7, hours=-1)  # back at 02:30 CEST the next Sunday
    k = (date(2026, 10, 25) - date(2026, 3, 22)).days // 7
    fall = shift_start(r, k)
    assert fall == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30, CEST
    assert fall.astimezone(PARIS).strftime("%H:%M %Z") == "02:30 CEST"
    assert [who(r, fall - MINUTE), who(r, fall), who(r, local(PARIS, 2026, 10, 25, 2, 30, fold=1))] == \
        [contact_of_shift(r, k - 1), contact_of_shift(r, k), contact_of_shift(r, k)]
    assert shift_start(r, k + 1) - fall == timedelta(days=7, hours=1)


def test_paris_ordinary_handover_over_a_dst_week_stays_at_nine_local():
    r = Rotation("daily", time(9, 0), date(2026, 3, 27), (A, B), "Europe/Paris")
    for k in range(6):
        local_start = shift_start(r, k).astimezone(PARIS)
        day = date(2026, 3, 27) + timedelta(days=k)
        assert (local_start.date(), local_start.hour, local_start.minute) == (day, 9, 0)
    assert shift_start(r, 3) - shift_start(r, 2) == timedelta(hours=24)  # 29 -> 30 March, both CEST
    assert shift_start(r, 2) - shift_start(r, 1) == timedelta(hours=23)  # 28 (CET) -> 29 (CEST)


@pytest.mark.parametrize("first_day", [date(2026, 1, 29), date(2026, 1, 30), date(2026, 1, 31), date(2028, 1, 29),
                                       date(2028, 1, 31)])
def test_monthly_on_the_29th_to_31st_takes_the_last_day_of_shorter_months(first_day):
    r = Rotation("monthly", time(8, 0), first_day, (A, B, C), "America/Montreal")
    days = [shift_start(r, k).astimezone(MTL).date() for k in range(24)]
    # The same rule as RFC 5545's "the last of the days 28..D that the month has" (dateutil's rrule).
    rule = rrule(MONTHLY, dtstart=datetime.combine(first_day, time(8)), count=24,
                 bymonthday=tuple(range(28, first_day.day + 1)), bysetpos=-1)
    assert days == [d.date() for d in rule]
    assert days[1] == date(first_day.year, 2, 29 if first_day.year % 4 == 0 else 28)
    assert days[2].day == min(first_day.day, 31)  # back on the day after February
    assert days[3].day == min(first_day.day, 30)  # April has 30
    for k, day in enumerate(days):
        assert who(r, local(MTL, day.year, day.month, day.day, 8)) == (A, B, C)[k % 3]
        assert who(r, local(MTL, day.year, day.month, day.day, 7, 59)) == (A, B, C)[(k - 1) % 3] if k else True


def test_an_override_replaces_the_rotation_over_its_interval_only():
    r = Rotation("daily", time(8, 0), date(2026, 1, 5), (A, B), "America/Montreal")
    holiday = Override(1, C, local(MTL, 2026, 1, 6, 12), local(MTL, 2026, 1, 7, 12))  # across B -> A handover
    o = [holiday]
    assert who(r, local(MTL, 2026, 1, 6, 11, 59), o) == B
    assert who(r, local(MTL, 2026, 1, 6, 12), o) == C and who(r, local(MTL, 2026, 1, 7, 8), o) == C
    assert who(r, local(MTL, 2026, 1, 7, 12), o) == A  # end exclusive
    segments = timeline(r, o, local(MTL, 2026, 1, 6, 0), local(MTL, 2026, 1, 8, 0))
    assert [(s.start.astimezone(MTL).strftime("%d %H:%M"), s.contact, s.shift, s.override) for s in segments] == [
        ("06 00:00", A, 0, None), ("06 08:00", B, 1, None), ("06 12:00", C, None, 1), ("07 12:00", A, 2, None)]
    assert all(a.end == b.start for a, b in pairwise(segments))
    segment, _, _ = on_call_at(r, o, local(MTL, 2026, 1, 7, 9))
    assert (segment.start, segment.end, segment.override) == (holiday.start, holiday.end, 1)  # whole, not cut at 08:00


def test_where_overrides_overlap_the_later_one_wins():
    r = Rotation("weekly", time(8, 0), date(2026, 1, 5), (A,), "America/Montreal")
    week = Override(1, B, local(MTL, 2026, 1, 10, 0), local(MTL, 2026, 1, 17, 0))
    day = Override(2, C, local(MTL, 2026, 1, 12, 0), local(MTL, 2026, 1, 13, 0))
    for order in ([week, day], [day, week]):
        assert [who(r, local(MTL, 2026, 1, d, 6), order) for d in (9, 11, 12, 13, 16, 17)] == [A, B, C, B, B, A]
    segment, _, _ = on_call_at(r, [week, day], local(MTL, 2026, 1, 14))
    assert (segment.start, segment.end, segment.contact) == (day.end, week.end, B)


def test_nobody_before_the_first_shift_or_without_a_rotation():
    r = Rotation("daily", time(8, 0), date(2026, 1, 5), (A,), "America/Montreal")
    segment, start_found, end_found = on_call_at(r, [], local(MTL, 2026, 1, 1))
    assert (segment.contact, start_found, end_found, segment.end) == (None, False, True, local(MTL, 2026, 1, 5, 8))
    lone = Override(1, B, local(MTL, 2026, 1, 1, 9), local(MTL, 2026, 1, 1, 17))
    assert on_call_at(None, [lone], local(MTL, 2026, 1, 1, 10))[0].contact == B
    assert on_call_at(None, [lone], local(MTL, 2026, 1, 1, 17))[0].contact is None


def test_the_next_shifts_are_whole_and_in_order():
    r = Rotation("daily", time(8, 0), date(2026, 1, 5), (A, B, C), "America/Montreal")
    swap = Override(1, C, local(MTL, 2026, 1, 8, 8), local(MTL, 2026, 1, 9, 8))  # exactly A's shift 3
    nxt = segments_from(r, [swap], local(MTL, 2026, 1, 6, 15), 5)
    assert [(s.start.astimezone(MTL).day, s.contact, s.shift, s.override) for s in nxt] == [
        (6, B, 1, None), (7, C, 2, None), (8, C, None, 1), (9, B, 4, None), (10, C, 5, None)]
    assert nxt[0].start == local(MTL, 2026, 1, 6, 8) and nxt[-1].end == local(MTL, 2026, 1, 11, 8)
    monthly = Rotation("monthly", time(8, 0), date(2026, 1, 31), (A, B), "America/Montreal")
    assert len(segments_from(monthly, [], local(MTL, 2026, 1, 31, 9), 30)) == 30  # windows widen as needed


def test_the_timeline_agrees_with_the_shift_rule_minute_by_minute_around_handovers():
    r = Rotation("daily", time(2, 30), date(2026, 3, 1), (A, B, C), "America/Montreal")
    overrides = [Override(1, 44, local(MTL, 2026, 3, 8, 1), local(MTL, 2026, 3, 8, 4)),
                 Override(2, 55, local(MTL, 2026, 3, 8, 3, 45), local(MTL, 2026, 3, 9, 3))]
    start, end = local(MTL, 2026, 3, 7, 0), local(MTL, 2026, 3, 10, 0)
    segments = timeline(r, overrides, start, end)
    t = start
    while t < end:
        seg = next(s for s in segments if s.start <= t < s.end)
        expected = next((o.contact for o in reversed(overrides) if o.start <= t < o.end), None)
        if expected is None:
            expected = contact_of_shift(r, shift_at(r, t))
        assert seg.contact == expected == who(r, t, overrides), t
        t += timedelta(minutes=7)
