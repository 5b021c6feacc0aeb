"""A client's business hours (store.clients.Schedule): checked, kept in a canonical form, and turned
into the TimeRule that time nodes with `hours: client` run on (ivr/FORMAT.md).

The client record is the one place its hours, holidays and closures live; a menu refers to them
rather than copying them, so an admin changes them once and every menu of the client follows at
the next call. The syntax is the time node's, and so are the rules (ivr.convert, ivr.checks).
"""

from __future__ import annotations

from collections.abc import Iterable

from ivr import checks
from ivr import convert as cv
from ivr.model import TimeNode, TimeRule
from store.clients import Schedule

_LOCAL = "%Y-%m-%dT%H:%M"


class ScheduleError(ValueError):
    """Business hours that cannot be used; problems are (field, message), field one of hours,
    holidays, closures."""

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        self.field = self.problems[0][0]
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.problems))


def parse_schedule(hours: object, holidays: object = None, closures: object = None) -> Schedule:
    """A Schedule from JSON values: hours null (none) or {days: ranges as text or a list}, holidays
    ["YYYY-MM-DD"], closures [{"from", "to"}] (null: none). Canonical: ranges as one text, holidays sorted, closures
    as YYYY-MM-DDTHH:MM. Raises ScheduleError naming every field that is wrong."""
    problems: list[tuple[str, str]] = []
    week: tuple[tuple[str, str], ...] | None = None
    if hours is not None:
        if isinstance(hours, dict) and all(isinstance(k, str) and (isinstance(v, str) or (
                isinstance(v, list) and all(isinstance(x, str) for x in v))) for k, v in hours.items()):
            week = tuple((days, ranges if isinstance(ranges, str) else ",".join(ranges))
                         for days, ranges in hours.items())
        else:
            problems.append(("hours", "expected an object of days to ranges (text or a list of texts), or null"))
    days: tuple[str, ...] = ()
    spans: tuple[tuple[str, str], ...] = ()
    try:
        days = tuple(sorted(d.isoformat() for d in cv.holidays([] if holidays is None else holidays)))
    except cv.Bad as exc:
        problems.extend(("holidays", m) for m in exc.messages)
    try:
        spans = tuple((c.start.strftime(_LOCAL), c.end.strftime(_LOCAL))
                      for c in cv.closures([] if closures is None else closures))
    except cv.Bad as exc:
        problems.extend(("closures", m) for m in exc.messages)
    if problems:
        raise ScheduleError(problems)
    schedule = Schedule(week, days, spans)
    if week is not None:
        rule(schedule, "UTC")  # the rules of the ranges and closures (overlaps, order)
    else:
        _closure_order(spans)
    return schedule


def rule(schedule: Schedule, timezone: str) -> TimeRule:
    """The TimeRule of a client's schedule in its time zone; ScheduleError if hours are not set or
    something is wrong."""
    if schedule.hours is None:
        raise ScheduleError([("hours", "no business hours are set")])
    problems: list[tuple[str, str]] = []
    week: tuple = ((),) * 7
    try:
        week = cv.hours(dict(schedule.hours))
    except cv.Bad as exc:
        problems.extend(("hours", m) for m in exc.messages)
    holidays = cv.holidays(list(schedule.holidays))
    closures = cv.closures([{"from": a, "to": b} for a, b in schedule.closures])
    made = TimeRule(timezone, week, holidays, closures)
    node = TimeNode("client", made, "open", "closed")
    problems.extend((p.field or "hours", p.message) for p in checks.node_problems(node, checks.Where("client", {})))
    if problems:
        raise ScheduleError(problems)
    return made


def _closure_order(spans: tuple[tuple[str, str], ...]) -> None:
    wrong = [(n, a, b) for n, (a, b) in enumerate(spans, 1) if b <= a]
    if wrong:
        raise ScheduleError(("closures", f"closure {n}: 'to' ({b}) is not after 'from' ({a})") for n, a, b in wrong)


def to_json(schedule: Schedule) -> dict:
    """The schedule as the admin API shows it."""
    return {"hours": dict(schedule.hours) if schedule.hours is not None else None,
            "holidays": list(schedule.holidays),
            "closures": [{"from": a, "to": b} for a, b in schedule.closures]}
