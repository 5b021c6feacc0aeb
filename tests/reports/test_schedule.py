"""The daily report's clock: the local time of day in the client's zone, the gap and repeat rules."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from reports.schedule import latest_due, local_due, next_due, parse_time_of_day

MONTREAL, PARIS = ZoneInfo("America/Montreal"), ZoneInfo("Europe/Paris")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_an_ordinary_day_runs_at_the_local_minute_in_winter_and_summer() -> None:
    assert local_due(datetime(2026, 1, 15).date(), time(8, 0), MONTREAL) == utc(2026, 1, 15, 13, 0)
    assert local_due(datetime(2026, 7, 15).date(), time(8, 0), MONTREAL) == utc(2026, 7, 15, 12, 0)
    assert local_due(datetime(2026, 7, 15).date(), time(0, 0), PARIS) == utc(2026, 7, 14, 22, 0)


@pytest.mark.parametrize(("zone", "day", "at", "due"), [
    (MONTREAL, "2026-03-08", time(2, 0), utc(2026, 3, 8, 7, 0)),  # 02:00 does not exist: 03:00 EDT
    (MONTREAL, "2026-03-08", time(2, 59), utc(2026, 3, 8, 7, 0)),
    (MONTREAL, "2026-03-08", time(3, 0), utc(2026, 3, 8, 7, 0)),  # the gap's minutes and 03:00: one instant
    (PARIS, "2026-03-29", time(2, 30), utc(2026, 3, 29, 1, 0)),
    (MONTREAL, "2026-11-01", time(1, 0), utc(2026, 11, 1, 5, 0)),  # 01:00 twice: the first (EDT)
    (PARIS, "2026-10-25", time(2, 59), utc(2026, 10, 25, 0, 59)),  # 02:59 twice: the first (CEST)
])
def test_the_gap_runs_at_its_end_and_the_repeat_at_its_first_occurrence(zone, day, at, due) -> None:
    assert local_due(datetime.fromisoformat(day).date(), at, zone) == due


def test_next_and_latest_runs_step_over_the_repeated_hour_once() -> None:
    first = utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert next_due(utc(2026, 11, 1, 0, 0), time(1, 30), MONTREAL) == first
    assert next_due(first, time(1, 30), MONTREAL) == utc(2026, 11, 2, 6, 30)  # not 01:30 EST that night
    assert latest_due(utc(2026, 11, 1, 6, 45), time(1, 30), MONTREAL) == first
    assert latest_due(first, time(1, 30), MONTREAL) == first
    assert latest_due(first.replace(minute=29), time(1, 30), MONTREAL) == utc(2026, 10, 31, 5, 30)


@pytest.mark.parametrize("text", ["24:00", "7:30", "07:60", "0730", "", "07:30:00"])
def test_a_time_of_day_is_hh_mm(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_time_of_day(text)
