"""ivr.timecond: business hours on the local wall clock, across clock changes, holidays, closures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.model import Closure, TimeRange, TimeRule
from ivr.timecond import is_open, local_instant

MONTREAL = ZoneInfo("America/Montreal")
PARIS = ZoneInfo("Europe/Paris")
OFFICE = (TimeRange(8 * 60 + 30, 17 * 60),)  # 08:30-17:00


def week(**days: tuple[TimeRange, ...]) -> tuple[tuple[TimeRange, ...], ...]:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return tuple(days.get(name, ()) for name in names)


WEEKDAYS = week(mon=OFFICE, tue=OFFICE, wed=OFFICE, thu=OFFICE, fri=OFFICE)
ALWAYS = week(**{d: (TimeRange(0, 1440),) for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "opening_utc", "label"), [
    # the Friday before and the Monday after each change: 08:30 local is a different UTC hour
    ("America/Montreal", utc(2026, 3, 6, 13, 30), "EST, before 2026-03-08"),
    ("America/Montreal", utc(2026, 3, 9, 12, 30), "EDT, after 2026-03-08"),
    ("America/Montreal", utc(2026, 10, 30, 12, 30), "EDT, before 2026-11-01"),
    ("America/Montreal", utc(2026, 11, 2, 13, 30), "EST, after 2026-11-01"),
    ("Europe/Paris", utc(2026, 3, 27, 7, 30), "CET, before 2026-03-29"),
    ("Europe/Paris", utc(2026, 3, 30, 6, 30), "CEST, after 2026-03-29"),
    ("Europe/Paris", utc(2026, 10, 23, 6, 30), "CEST, before 2026-10-25"),
    ("Europe/Paris", utc(2026, 10, 26, 7, 30), "CET, after 2026-10-25"),
])
def test_opening_at_0830_local_whatever_the_offset(zone, opening_utc, label):
    rule = TimeRule(zone, WEEKDAYS)
    assert is_open(rule, opening_utc), label
    assert not is_open(rule, opening_utc.replace(minute=29)), label
    assert is_open(rule, opening_utc + timedelta(hours=8, minutes=29)), label  # 16:59
    assert not is_open(rule, opening_utc + timedelta(hours=8, minutes=30)), label  # 17:00


def test_the_instant_may_come_in_any_zone():
    rule = TimeRule("America/Montreal", WEEKDAYS)
    monday_0830 = datetime(2026, 3, 9, 8, 30, tzinfo=MONTREAL)
    assert is_open(rule, monday_0830.astimezone(PARIS))
    assert not is_open(rule, datetime(2026, 3, 9, 13, 29, tzinfo=PARIS))  # 08:29 in Montreal


def test_seconds_before_closing_are_open():
    rule = TimeRule("America/Montreal", WEEKDAYS)
    assert is_open(rule, datetime(2026, 6, 1, 16, 59, 59, tzinfo=MONTREAL))
    assert not is_open(rule, datetime(2026, 6, 1, 17, 0, 0, tzinfo=MONTREAL))


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="aware"):
        is_open(TimeRule("UTC", ALWAYS), datetime(2026, 6, 1, 12, 0))


def test_the_skipped_hour_opens_a_range_when_the_clock_jumps():
    # Sunday 2026-03-08 in Montreal: 02:00 EST becomes 03:00 EDT (07:00 UTC)
    rule = TimeRule("America/Montreal", week(sun=(TimeRange(2 * 60 + 30, 5 * 60),)))
    assert not is_open(rule, utc(2026, 3, 8, 6, 59))  # 01:59 EST
    assert is_open(rule, utc(2026, 3, 8, 7, 0))  # 03:00 EDT
    assert not is_open(rule, utc(2026, 3, 8, 9, 0))  # 05:00 EDT


def test_the_repeated_hour_is_judged_on_the_clock_both_times():
    # Sunday 2026-11-01 in Montreal: 01:00-02:00 happens in EDT (05:00 UTC) then again in EST (06:00 UTC)
    rule = TimeRule("America/Montreal", week(sun=(TimeRange(60, 90),)))
    assert is_open(rule, utc(2026, 11, 1, 5, 15))  # 01:15 EDT
    assert not is_open(rule, utc(2026, 11, 1, 5, 45))  # 01:45 EDT
    assert is_open(rule, utc(2026, 11, 1, 6, 15))  # 01:15 EST
    assert not is_open(rule, utc(2026, 11, 1, 6, 45))


def test_a_range_crossing_midnight_belongs_to_the_day_it_starts():
    rule = TimeRule("Europe/Paris", week(fri=(TimeRange(22 * 60, 6 * 60),)))
    at = lambda *a: datetime(*a, tzinfo=PARIS)  # noqa: E731
    assert not is_open(rule, at(2026, 6, 5, 21, 59))  # Friday
    assert is_open(rule, at(2026, 6, 5, 22, 0))
    assert is_open(rule, at(2026, 6, 6, 0, 0))  # Saturday
    assert is_open(rule, at(2026, 6, 6, 5, 59))
    assert not is_open(rule, at(2026, 6, 6, 6, 0))
    assert not is_open(rule, at(2026, 6, 6, 22, 30))  # Saturday has no range of its own
    assert not is_open(rule, at(2026, 6, 5, 3, 0))  # nor has Thursday night


def test_sunday_night_runs_into_monday_and_a_range_may_end_at_midnight():
    rule = TimeRule("Europe/Paris", week(sun=(TimeRange(20 * 60, 2 * 60),), mon=(TimeRange(18 * 60, 1440),)))
    at = lambda *a: datetime(*a, tzinfo=PARIS)  # noqa: E731
    assert is_open(rule, at(2026, 6, 8, 1, 59))  # Monday morning, from Sunday
    assert not is_open(rule, at(2026, 6, 8, 2, 0))
    assert is_open(rule, at(2026, 6, 8, 23, 59))
    assert not is_open(rule, at(2026, 6, 9, 0, 0))  # Tuesday


def test_holidays_are_whole_local_days():
    rule = TimeRule("America/Toronto", ALWAYS, holidays=frozenset({date(2026, 12, 25)}))
    assert is_open(rule, utc(2026, 12, 25, 4, 59))  # 24th 23:59 in Toronto, already the 25th in UTC
    assert not is_open(rule, utc(2026, 12, 25, 5, 0))  # 25th 00:00 in Toronto
    assert not is_open(rule, utc(2026, 12, 26, 4, 59))  # 25th 23:59 in Toronto, the 26th in UTC
    assert is_open(rule, utc(2026, 12, 26, 5, 0))


def test_a_holiday_closes_the_early_hours_of_an_overnight_range():
    rule = TimeRule("Europe/Paris", week(fri=(TimeRange(22 * 60, 6 * 60),)), holidays=frozenset({date(2026, 6, 6)}))
    assert is_open(rule, datetime(2026, 6, 5, 23, 0, tzinfo=PARIS))
    assert not is_open(rule, datetime(2026, 6, 6, 3, 0, tzinfo=PARIS))


def test_closures_from_included_to_excluded():
    closure = Closure(datetime(2026, 12, 24, 12, 0), datetime(2026, 12, 27, 8, 0))
    rule = TimeRule("America/Toronto", ALWAYS, closures=(closure,))
    toronto = ZoneInfo("America/Toronto")
    assert is_open(rule, datetime(2026, 12, 24, 11, 59, tzinfo=toronto))
    assert not is_open(rule, datetime(2026, 12, 24, 12, 0, tzinfo=toronto))
    assert not is_open(rule, datetime(2026, 12, 26, 3, 0, tzinfo=toronto))
    assert not is_open(rule, datetime(2026, 12, 27, 7, 59, tzinfo=toronto))
    assert is_open(rule, datetime(2026, 12, 27, 8, 0, tzinfo=toronto))


def test_a_closure_ending_in_the_repeated_hour_ends_at_its_first_occurrence():
    closure = Closure(datetime(2026, 11, 1, 0, 0), datetime(2026, 11, 1, 1, 30))
    rule = TimeRule("America/Montreal", ALWAYS, closures=(closure,))
    assert not is_open(rule, utc(2026, 11, 1, 5, 29))  # 01:29 EDT
    assert is_open(rule, utc(2026, 11, 1, 5, 30))  # 01:30 EDT
    assert is_open(rule, utc(2026, 11, 1, 6, 15))  # 01:15 EST: the closure does not come back


def test_a_closure_starting_in_the_skipped_hour_starts_when_the_clock_jumps():
    closure = Closure(datetime(2026, 3, 29, 2, 30), datetime(2026, 3, 29, 12, 0))
    rule = TimeRule("Europe/Paris", ALWAYS, closures=(closure,))
    assert is_open(rule, utc(2026, 3, 29, 0, 59))  # 01:59 CET
    assert not is_open(rule, utc(2026, 3, 29, 1, 0))  # 03:00 CEST
    assert local_instant(datetime(2026, 3, 29, 2, 30), PARIS) == utc(2026, 3, 29, 1, 0)
    assert local_instant(datetime(2026, 10, 25, 2, 30), PARIS) == utc(2026, 10, 25, 0, 30)  # first, CEST
    assert local_instant(datetime(2026, 3, 8, 2, 30), MONTREAL) == utc(2026, 3, 8, 7, 0)
    assert local_instant(datetime(2026, 7, 1, 9, 0), MONTREAL) == utc(2026, 7, 1, 13, 0)
