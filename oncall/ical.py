"""The on-call schedule as an iCalendar feed (RFC 5545, written by the icalendar library).

One event per segment of the timeline (rotation shifts with the overrides applied), so a calendar
application shows exactly who `who_is_on_call` names at any moment, overrides included. Times are
written in UTC: a handover in a repeated hour (fall back) stays exact; the application shows them in
its own time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event

from .rotation import Segment

PRODID = "-//permanence//on-call//EN"
_WORDS = {
    "fr": {"calendar": "Garde {client}", "summary": "Garde : {name}", "override": "remplacement"},
    "en": {"calendar": "On call {client}", "summary": "On call: {name}", "override": "override"},
}


@dataclass(frozen=True)
class Person:
    """What the feed says of a contact."""

    name: str
    role: str = ""
    mobile: str | None = None


def uid(client_code: str, segment: Segment, schedule: str = "default") -> str:
    """Stable across fetches: the same shift or override piece keeps its UID. Another schedule than
    `default` is in it (two feeds of one client in the same calendar never share a UID); the default
    schedule's UIDs are those its feed always had."""
    what = f"override-{segment.override}" if segment.override is not None else f"shift-{segment.shift}"
    owner = client_code if schedule == "default" else f"{client_code}-{schedule}"
    return f"{owner}-{what}-{segment.start:%Y%m%dT%H%M%SZ}@permanence"


def calendar(client_code: str, client_name: str, language: str, segments: list[Segment],
             people: Mapping[int, Person], generated: datetime | None = None, schedule: str = "default",
             label: str = "") -> bytes:
    """The feed's text; segments without a contact (nobody on call) are left out. A schedule other than
    `default` is named in the calendar's name (its label, else its name)."""
    words = _WORDS.get(language, _WORDS["en"])
    stamp = (generated or datetime.now(UTC)).astimezone(UTC)
    title = words["calendar"].format(client=client_name)
    if schedule != "default":
        title = f"{title} ({label or schedule})"
    cal = Calendar.new(prodid=PRODID, name=title, language=language)
    for segment in segments:
        if segment.contact is None:
            continue
        person = people.get(segment.contact, Person(f"#{segment.contact}"))
        details = [d for d in (person.role, person.mobile) if d]
        if segment.override is not None:
            details.append(words["override"])
        cal.add_component(Event.new(
            uid=uid(client_code, segment, schedule), stamp=stamp, summary=words["summary"].format(name=person.name),
            start=segment.start.astimezone(UTC), end=segment.end.astimezone(UTC),
            description=" · ".join(details) or None, categories=["oncall"]))
    return cal.to_ical()
