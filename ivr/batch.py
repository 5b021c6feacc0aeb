"""Menus that go live together, checked together: what `permanence ivr check|apply` and the admin API
both run before anything changes (one implementation, the same messages).

Pure: the caller says which menus are stored already, which prompts exist and which clients have
business hours; nothing here reads a file or the store.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from ivr.loader import parse
from ivr.model import Menu, MenuError, Problem
from ivr.prompts import PromptExists
from ivr.validate import validate


def check_menus(texts: Sequence[tuple[str, str]], *, stored: Collection[str],
                prompts_for: Callable[[str], PromptExists],
                has_hours: Callable[[str], bool | None] = lambda client: None,
                schedules_of: Callable[[str], Collection[str] | None] = lambda client: None) -> list[Menu]:
    """Parse and validate each (source, YAML text); the menus in the same order, or MenuError listing
    every problem of every text (source, node, field, line).

    stored: names of the menus already applied (a submenu may enter them, or one of `texts`);
    prompts_for(client code) answers whether a prompt exists for that client; has_hours(client code)
    whether the client has business hours for `hours: client` (None: unknown client, not judged here);
    schedules_of(client code) the client's on-call schedules an oncall node may name (None: not judged).
    """
    parsed: list[Menu] = []
    problems: list[Problem] = []
    for source, text in texts:
        try:
            parsed.append(parse(text, source))
        except MenuError as exc:
            problems.extend(exc.problems)
    known = set(stored) | {menu.name for menu in parsed}
    for menu in parsed:
        try:
            validate(menu, prompt_exists=prompts_for(menu.client), known_menus=known,
                     client_hours=has_hours(menu.client), schedules=schedules_of(menu.client))
        except MenuError as exc:
            problems.extend(exc.problems)
    if problems:
        raise MenuError(problems)
    return parsed
