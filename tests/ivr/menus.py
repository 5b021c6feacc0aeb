"""A complete menu (every node type) as a Python dict, to mutate and dump to YAML in the tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import yaml

from ivr.engine import Session
from ivr.loader import parse
from ivr.model import Menu, MenuError, Problem
from ivr.steps import Ask, Digits, Exit, Step
from ivr.validate import validate

SOURCE = "menus/demo.yaml"
TORONTO = ZoneInfo("America/Toronto")
OPEN = datetime(2026, 6, 3, 10, 0, tzinfo=TORONTO)  # a Wednesday morning
CLOSED = datetime(2026, 6, 7, 10, 0, tzinfo=TORONTO)  # a Sunday

BASE: dict = {
    "menu": "demo",
    "client": "1000",
    "languages": ["fr", "en"],
    "timezone": "America/Toronto",
    "entry": "language",
    "nodes": {
        "language": {"type": "language", "prompt": ["common:choose-language"], "choices": {"1": "fr", "2": "en"},
                     "timeout": 4, "default": "fr", "next": "hours"},
        "hours": {"type": "time", "hours": {"mon-fri": "08:30-17:00", "sat": "09:00-12:00"},
                  "holidays": ["2026-12-25"], "closures": [{"from": "2026-12-24T12:00", "to": "2026-12-27T08:00"}],
                  "open": "main", "closed": "closed"},
        "main": {"type": "menu", "prompt": ["welcome", "menu-main"],
                 "choices": {"1": "reception", "2": "checkin", "3": "account", "4": "office", "5": "sub",
                             "8": "bye", "9": "voicemail"},
                 "repeat": "*", "timeout": 5, "retries": 3, "invalid_prompt": "common:invalid",
                 "timeout_prompt": "common:no-input", "on_invalid": "operator", "on_timeout": "operator"},
        "closed": {"type": "play", "prompt": ["closed"], "next": "voicemail"},
        "reception": {"type": "queue", "queue": "1000-accueil", "options": {"timeout": "300"}},
        "voicemail": {"type": "voicemail", "mailbox": "1000"},
        "checkin": {"type": "checkin"},
        "operator": {"type": "oncall", "target": "1000-oncall"},
        "account": {"type": "collect", "prompt": ["enter-account"], "min_digits": 4, "max_digits": 8,
                    "variable": "ACCOUNT", "confirm": True,
                    "confirm_prompt": ["common:you-entered", "common:press-1-or-2"],
                    "invalid_prompt": "common:invalid", "next": "reception", "on_fail": "operator"},
        "office": {"type": "transfer", "number": "+15145550123"},
        "sub": {"type": "submenu", "menu": "other"},
        "bye": {"type": "hangup", "prompt": ["common:goodbye"]},
    },
}

OTHER: dict = {
    "menu": "other", "client": "1000", "languages": ["fr", "en"], "timezone": "America/Toronto", "entry": "ask",
    "nodes": {
        "ask": {"type": "menu", "prompt": "other-menu", "choices": {"1": "leave"}, "on_invalid": "leave"},
        "leave": {"type": "voicemail", "mailbox": "1001"},
    },
}


def dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def mutated(change: Callable[[dict], object] | None = None, base: dict = BASE) -> dict:
    data = copy.deepcopy(base)
    if change is not None:
        change(data)
    return data


def menu(change: Callable[[dict], object] | None = None, base: dict = BASE) -> Menu:
    return parse(dump(mutated(change, base)), SOURCE)


def everything(_ref: str, _lang: str) -> bool:
    return True


def problems(data: dict, prompt_exists=everything, known_menus=("other",)) -> MenuError:
    """parse + validate; the MenuError they raise (the test fails if they raise none)."""
    try:
        validate(parse(dump(data), SOURCE), prompt_exists=prompt_exists, known_menus=known_menus)
    except MenuError as exc:
        return exc
    raise AssertionError("the menu was accepted")


def find(error: MenuError, node: str | None, field: str | None, fragment: str) -> Problem:
    """The problem at node/field whose message has fragment; asserts its line names file, node, field."""
    for problem in error.problems:
        if problem.node == node and problem.field == field and fragment in problem.message:
            text = str(problem)
            assert text.startswith(f"{SOURCE}: ")
            if node is not None:
                assert f"node '{node}'" in text
            if field is not None:
                assert f"field '{field}'" in text
            assert text in str(error).splitlines()
            return problem
    raise AssertionError(f"no problem at {node}/{field} with {fragment!r} in:\n{error}")


def walk(session: Session, keys: list[str]) -> list[Step]:
    """Run a session to its Exit, answering each Ask with the next of keys (all must be used)."""
    keys = list(keys)
    steps = [session.next()]
    while not isinstance(steps[-1], Exit):
        answer = Digits(keys.pop(0)) if isinstance(steps[-1], Ask) else None
        steps.append(session.next(answer))
    assert keys == [], f"keys left over: {keys}"
    return steps
