"""`hours: client`: time nodes that run on the client's own business hours (ivr.schedule), the one place
they are kept; the schedule's checks and canonical form; the batch check both the CLI and the admin
API run."""

from __future__ import annotations

import pytest

from ivr.batch import check_menus
from ivr.engine import Session
from ivr.model import MenuError
from ivr.schedule import ScheduleError, parse_schedule, rule, to_json
from ivr.steps import Ask, Digits, Exit
from store.clients import Schedule

from .menus import CLOSED, OPEN, SOURCE, dump, everything, find, menu, mutated, walk


def client_hours(data: dict) -> None:
    hours = data["nodes"]["hours"]
    hours["hours"] = "client"
    hours.pop("holidays")
    hours.pop("closures")


WEEKDAYS = parse_schedule({"mon-fri": ["08:30-12:00", "13:00-17:00"]}, ["2026-06-03"])


def hours_outcome(m, now, hours) -> str:
    """Where the time node sent a call: open (then 9, a message) or closed (the announcement)."""
    session = Session(m, language="fr", now=now, menus={}, client_hours=hours)
    step = session.next()  # the language question: no key, the default
    answers = ["", "9"]
    while not isinstance(step, Exit):
        step = session.next(Digits(answers.pop(0)) if isinstance(step, Ask) else None)
    return next(e.outcome for e in session.path if e.node == "hours")


def test_a_time_node_with_hours_client_runs_on_the_schedule_given_to_the_session():
    m = menu(client_hours)
    node = m.nodes["hours"]
    assert node.client_hours and node.rule.week == ((),) * 7
    toronto = rule(WEEKDAYS, "America/Toronto")
    monday = OPEN.replace(day=1)  # OPEN is Wednesday 3 June 2026, a holiday of WEEKDAYS
    assert hours_outcome(m, monday, toronto) == "open"
    assert hours_outcome(m, OPEN, toronto) == "closed"
    assert hours_outcome(m, monday.replace(hour=12, minute=30), toronto) == "closed"  # lunch
    # In the rule's time zone: 11:30 in Toronto is 17:30 in Paris, after the Paris hours.
    late_morning = monday.replace(hour=11, minute=30)
    assert hours_outcome(m, late_morning, toronto) == "open"
    assert hours_outcome(m, late_morning, rule(WEEKDAYS, "Europe/Paris")) == "closed"
    # Without the client's hours (none set, or unusable) the node is closed: never open by mistake.
    assert hours_outcome(m, monday, None) == "closed"


def test_hours_client_takes_no_holidays_or_closures_of_its_own():
    with pytest.raises(MenuError) as caught:
        menu(lambda d: d["nodes"]["hours"].__setitem__("hours", "client"))
    find(caught.value, "hours", "holidays", "not with hours: client")
    find(caught.value, "hours", "closures", "not with hours: client")
    with pytest.raises(MenuError) as caught:
        menu(lambda d: d["nodes"]["hours"].__setitem__("hours", "clients"))
    find(caught.value, "hours", "hours", "or client")


def test_the_batch_check_refuses_hours_client_for_a_client_without_hours_naming_file_node_field():
    text = dump(mutated(client_hours))
    with pytest.raises(MenuError) as caught:
        check_menus([(SOURCE, text)], stored=["other"], prompts_for=lambda code: everything,
                    has_hours={"1000": False}.get)
    problem = find(caught.value, "hours", "hours", "client 1000 has no business hours")
    assert problem.line is not None
    checked = check_menus([(SOURCE, text)], stored=["other"], prompts_for=lambda code: everything,
                          has_hours={"1000": True}.get)
    assert [m.name for m in checked] == ["demo"]


def test_the_batch_check_lists_every_problem_of_every_file():
    broken = dump(mutated(lambda d: d["nodes"]["main"].__setitem__("timout", 3)))
    other = dump(mutated(lambda d: d["nodes"]["closed"].__setitem__("next", "nowhere"), ))
    with pytest.raises(MenuError) as caught:
        check_menus([("a.yaml", broken), ("b.yaml", other)], stored=["other"], prompts_for=lambda code: everything)
    sources = {p.source for p in caught.value.problems}
    assert sources == {"a.yaml", "b.yaml"}
    assert any("did you mean 'timeout'" in p.message for p in caught.value.problems)


def test_a_schedule_is_kept_in_canonical_form():
    s = parse_schedule({"mon-fri": ["08:30-12:00", "13:00-17:00"], "sat": "09:00-12:00"},
                       ["2026-12-25", "2026-01-01"], [{"from": "2026-12-24T12:00", "to": "2026-12-27"}])
    assert s == Schedule((("mon-fri", "08:30-12:00,13:00-17:00"), ("sat", "09:00-12:00")),
                         ("2026-01-01", "2026-12-25"), (("2026-12-24T12:00", "2026-12-27T00:00"),))
    assert to_json(s) == {"hours": {"mon-fri": "08:30-12:00,13:00-17:00", "sat": "09:00-12:00"},
                          "holidays": ["2026-01-01", "2026-12-25"],
                          "closures": [{"from": "2026-12-24T12:00", "to": "2026-12-27T00:00"}]}
    assert parse_schedule(None) == Schedule()
    assert rule(s, "America/Toronto").timezone == "America/Toronto"


@pytest.mark.parametrize(("hours", "holidays", "closures", "field", "fragment"), [
    ({"mon-fry": "08:00-17:00"}, None, None, "hours", "bad days 'mon-fry'"),
    ({"mon": "08:00-12:00,11:00-13:00"}, None, None, "hours", "overlaps"),
    ({"mon": "08:00-08:00"}, None, None, "hours", "is empty"),
    ({"mon": 8}, None, None, "hours", "expected an object"),
    ("24h", None, None, "hours", "expected an object"),
    (None, ["2026-02-30"], None, "holidays", "bad date"),
    (None, "2026-12-25", None, "holidays", "expected a list"),
    (None, None, [{"from": "2026-01-02", "to": "2026-01-01"}], "closures", "is not after"),
    (None, None, [{"from": "2026-01-02"}], "closures", "closure 1"),
])
def test_a_bad_schedule_names_its_field(hours, holidays, closures, field, fragment):
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(hours, holidays, closures)
    assert caught.value.field == field and fragment in str(caught.value)


def test_a_schedule_without_hours_has_no_rule():
    with pytest.raises(ScheduleError, match="no business hours"):
        rule(Schedule(), "UTC")


def test_the_demo_menu_with_its_own_hours_still_works_as_before():
    m = menu()
    assert not m.nodes["hours"].client_hours
    s = Session(m, language="fr", now=CLOSED, menus={})
    walk(s, [""])
    assert [e.outcome for e in s.path if e.node == "hours"] == ["closed"]
