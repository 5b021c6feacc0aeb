"""The feed's text over DST weeks: written by oncall.ical, parsed back with the icalendar library and
expanded with recurring-ical-events, it names at every sampled moment (the handover minutes included)
the contact the timeline names; UIDs are stable from one window to the next."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from oncall import Override, Rotation, on_call_at
from oncall.ical import Person, calendar, uid
from oncall.rotation import shift_start, whole_segments

PEOPLE = {1: Person("Ana", "tech", "+15145550101"), 2: Person("Ben"), 3: Person("Chloé")}


def _expanded(cal: icalendar.Calendar, at: datetime) -> list[str]:
    return [str(e["SUMMARY"]) for e in recurring_ical_events.of(cal).at(at)]


@pytest.mark.parametrize("zone, first_day, handover, days", [
    ("America/Montreal", date(2026, 3, 5), time(2, 30), 6),  # spring forward on the 8th, in the gap
    ("America/Montreal", date(2026, 10, 29), time(1, 30), 6),  # fall back on 1 November, in the repeated hour
    ("Europe/Paris", date(2026, 3, 26), time(2, 30), 6),  # 29 March
    ("Europe/Paris", date(2026, 10, 22), time(2, 30), 6),  # 25 October
])
def test_the_feed_names_the_timelines_contact_across_a_dst_change(zone, first_day, handover, days):
    rotation = Rotation("daily", handover, first_day, (1, 2, 3), zone)
    swap = Override(9, 3, shift_start(rotation, 3) - timedelta(hours=1), shift_start(rotation, 3) + timedelta(hours=2))
    start = shift_start(rotation, 0)
    end = start + timedelta(days=days)
    segments = whole_segments(rotation, [swap], start, end)
    cal = icalendar.Calendar.from_ical(calendar("1000", "Cabinet", "en", segments, PEOPLE))
    events = list(cal.walk("VEVENT"))
    assert [(e.start, e.end) for e in events] == [(s.start, s.end) for s in segments]
    assert events[0]["DESCRIPTION"] == "tech · +15145550101"
    moments = [start + timedelta(minutes=23 * i) for i in range(int((end - start) / timedelta(minutes=23)))]
    for k in range(1, days):  # each handover: one minute before, at, one after
        moments += [shift_start(rotation, k) + timedelta(minutes=m) for m in (-1, 0, 1)]
    for at in moments:
        if at >= segments[-1].end:
            continue
        expected = on_call_at(rotation, [swap], at)[0].contact
        assert _expanded(cal, at) == [f"On call: {PEOPLE[expected].name}"], (zone, at)


def test_uids_stay_the_same_whatever_the_window():
    rotation = Rotation("weekly", time(9), date(2026, 1, 5), (1, 2), "Europe/Paris")
    zone = ZoneInfo("Europe/Paris")
    one = whole_segments(rotation, [], datetime(2026, 1, 7, tzinfo=zone), datetime(2026, 2, 3, tzinfo=zone))
    two = whole_segments(rotation, [], datetime(2026, 1, 9, tzinfo=zone), datetime(2026, 2, 10, tzinfo=zone))
    assert one[0] == two[0] and uid("1000", one[0]) == uid("1000", two[0]) == "1000-shift-0-20260105T080000Z@permanence"
    assert one[0].start == datetime(2026, 1, 5, 8, tzinfo=UTC)  # whole: not cut at the window's start
    text = calendar("1000", "Cabinet", "fr", one, PEOPLE).decode()
    assert "BEGIN:VCALENDAR" in text and "PRODID:-//permanence//on-call//EN" in text and "Garde : Ana" in text
