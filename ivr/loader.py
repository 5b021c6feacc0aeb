"""Menu files (YAML, see ivr/FORMAT.md) to ivr.model.Menu.

parse() does no I/O: it reads text, checks the shape (known fields, types) and each field's value
(ivr.checks), and raises MenuError listing every problem it found. Cross-node questions (does a
target exist, can it be reached, do the prompts exist) are ivr.validate's.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from ivr import checks
from ivr import convert as cv
from ivr.model import DEFAULT_RETRIES, DEFAULT_TIMEOUT, NODE_TYPES, Menu, MenuError, Node, Problem, TimeNode, TimeRule

MAX_TEXT = 512 * 1024  # characters; a menu file is a few kilobytes


class _Map(dict):
    """A YAML mapping that remembers the line of each key."""

    key_lines: dict[Any, int]


class _Loader(yaml.SafeLoader):
    """yaml.safe_load's loader (same tags), except that a key given twice is an error."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Map:
    explicit = sum(1 for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)  # merged (<<) entries come first and may be overridden
    merged = len(node.value) - explicit
    result = _Map()
    result.key_lines = {}
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError("while reading a mapping", node.start_mark, "found a key that is a list "
                                   "or mapping", key_node.start_mark) from None
        if key in result and index >= merged and result.key_lines.get(key, 0) > 0:
            raise ConstructorError("while reading a mapping", node.start_mark, f"found key {key!r} twice",
                                   key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1 if index >= merged else 0
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


_REQUIRED = object()
Converter = Callable[[Any], Any]
Spec = Mapping[str, tuple[Converter, Any]]  # field -> (converter, default or _REQUIRED)
_NEEDED_TEXT = (cv.text, _REQUIRED)
_NEEDED_PROMPTS = (cv.prompts, _REQUIRED)
_PROMPTS = (cv.prompts, ())
_ASK: Spec = {"timeout": (cv.number, DEFAULT_TIMEOUT), "retries": (cv.integer, DEFAULT_RETRIES),
              "invalid_prompt": _PROMPTS}
FIELDS: Mapping[str, Spec] = {
    "play": {"prompt": _NEEDED_PROMPTS, "next": _NEEDED_TEXT},
    "menu": {"prompt": _NEEDED_PROMPTS, "choices": (cv.choices, _REQUIRED), "repeat": (cv.key, None), **_ASK,
             "timeout_prompt": _PROMPTS, "on_invalid": _NEEDED_TEXT, "on_timeout": (cv.text, None)},
    "collect": {"prompt": _NEEDED_PROMPTS, "variable": _NEEDED_TEXT, "min_digits": (cv.integer, 1),
                "max_digits": (cv.integer, _REQUIRED), **_ASK, "timeout_prompt": _PROMPTS,
                "confirm": (cv.boolean, False), "confirm_prompt": _PROMPTS, "next": _NEEDED_TEXT,
                "on_fail": _NEEDED_TEXT},
    "language": {"prompt": _NEEDED_PROMPTS, "choices": (cv.choices, _REQUIRED), "default": _NEEDED_TEXT, **_ASK,
                 "next": _NEEDED_TEXT},
    "time": {"hours": (cv.hours_or_client, _REQUIRED), "holidays": (cv.holidays, frozenset()),
             "closures": (cv.closures, ()), "open": _NEEDED_TEXT, "closed": _NEEDED_TEXT},
    "queue": {"queue": _NEEDED_TEXT, "options": (cv.options, {}), "prompt": _PROMPTS},
    "voicemail": {"mailbox": _NEEDED_TEXT, "prompt": _PROMPTS},
    "oncall": {"target": _NEEDED_TEXT, "prompt": _PROMPTS, "schedule": (cv.text, "default")},
    "transfer": {"number": _NEEDED_TEXT, "prompt": _PROMPTS},
    "submenu": {"menu": _NEEDED_TEXT},
    "checkin": {"prompt": _PROMPTS},
    "hangup": {"prompt": _PROMPTS},
}
TOP_FIELDS: Spec = {
    "menu": _NEEDED_TEXT, "client": _NEEDED_TEXT, "languages": (cv.languages, _REQUIRED), "timezone": _NEEDED_TEXT,
    "entry": _NEEDED_TEXT, "nodes": (lambda value: value, _REQUIRED), "description": (cv.text, ""),
}


class _Reader:
    """Reads one file's mapping, collecting problems instead of stopping at the first."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []
        self.lines: dict[tuple[str | None, str | None], int] = {}
        self.where = checks.Where(source, self.lines)

    def fields(self, node: str | None, data: _Map, spec: Spec,
               what: str, also: tuple[str, ...] = ()) -> tuple[dict[str, Any], set[str]]:
        """The fields of one mapping, converted, and the names of those missing or of the wrong type
        (their value is then the default, None if there is none). Unknown fields are reported."""
        for key, line in data.key_lines.items():
            if line:
                self.lines[(node, str(key))] = line
        for key in data:
            if key not in spec and key not in also:
                close = difflib.get_close_matches(str(key), list(spec), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(spec)})"
                self.problems.append(self.where(node, str(key), f"unknown field for {what}{hint}"))
        values: dict[str, Any] = {}
        failed: set[str] = set()
        for name, (convert, default) in spec.items():
            values[name] = None if default is _REQUIRED else default
            if name not in data:
                if default is _REQUIRED:
                    failed.add(name)
                    self.problems.append(self.where(node, name, f"missing (needed by {what})"))
                continue
            try:
                values[name] = convert(data[name])
            except cv.Bad as exc:
                failed.add(name)
                self.problems.extend(self.where(node, name, message) for message in exc.messages)
        return values, failed

    def node(self, name: str, data: object, timezone: str) -> Node | None:
        if not isinstance(data, dict):
            self.problems.append(self.where(name, None, f"expected a mapping with a type, got {cv.kind(data)}"))
            return None
        kind = data.get("type")
        if not isinstance(kind, str) or kind not in FIELDS:
            message = "missing" if kind is None else f"unknown type {kind!r}"
            self.problems.append(self.where(name, "type", f"{message} (one of {', '.join(FIELDS)})"))
            return None
        values, failed = self.fields(name, data, FIELDS[kind], f"a {kind} node", also=("type",))
        if failed:
            return None  # its field rules are checked once its fields can be read
        if kind == "menu" and values["on_timeout"] is None:
            values["on_timeout"] = values["on_invalid"]
        if kind == "time":
            return self.time_node(name, data, values, timezone)
        return NODE_TYPES[kind](name, **values)

    def time_node(self, name: str, data: _Map, values: dict[str, Any], timezone: str) -> TimeNode:
        week, holidays, closures = values.pop("hours"), values.pop("holidays"), values.pop("closures")
        if week != cv.CLIENT_HOURS:
            return TimeNode(name, TimeRule(timezone, week, holidays, closures), **values)
        # One source of truth: the client's record holds its holidays and closures with its hours.
        for extra in ("holidays", "closures"):
            if extra in data:
                self.problems.append(self.where(name, extra, f"not with hours: client (the client's own {extra} "
                                                             "apply: set them on the client)"))
        return TimeNode(name, TimeRule(timezone), **values, client_hours=True)

    def menu(self, data: _Map) -> Menu:
        top, failed = self.fields(None, data, TOP_FIELDS, "a menu file")
        raw_nodes = data.get("nodes")
        nodes: dict[str, Node] = {}
        if not isinstance(raw_nodes, dict) or not raw_nodes:
            if "nodes" in data:
                got = "an empty mapping" if raw_nodes == {} else cv.kind(raw_nodes)
                self.problems.append(self.where(None, "nodes", f"expected a mapping of node names to nodes, got {got}"))
            raw_nodes = {}
        timezone = data.get("timezone") if isinstance(data.get("timezone"), str) else "UTC"
        for name, value in raw_nodes.items():
            if not isinstance(name, str):
                self.problems.append(self.where(None, "nodes", f"node name {name!r} is not text (quote it)"))
                continue
            if line := raw_nodes.key_lines.get(name):
                self.lines[(name, None)] = line
            node = self.node(name, value, timezone)
            if node is not None:
                nodes[name] = node
                self.problems.extend(checks.node_problems(node, self.where))
        # A Menu even if some top-level fields failed (placeholders), for the rules of the others.
        top = {name: ("" if value is None else value) for name, value in top.items()}
        menu = Menu(top["menu"], top["client"], top["languages"] or (), top["timezone"], top["entry"], nodes,
                    source=self.source, description=top["description"], lines=self.lines)
        self.problems.extend(p for p in checks.menu_problems(menu, self.where) if p.field not in failed)
        self.problems.sort(key=lambda p: (p.line is None, p.line or 0))
        if self.problems:
            raise MenuError(self.problems)
        return menu


def parse(text: str, source: str) -> Menu:
    """The Menu a YAML text describes; MenuError (naming source, node, field) for everything wrong in it."""
    if len(text) > MAX_TEXT:
        raise MenuError([Problem(source, None, None, f"too large ({len(text)} characters, at most {MAX_TEXT})")])
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = f"YAML syntax error: {exc.problem or exc.context}"
        if exc.problem and exc.context and exc.context_mark:
            problem += f" ({exc.context} on line {exc.context_mark.line + 1})"
        if mark:
            problem += f", column {mark.column + 1}"
        raise MenuError([Problem(source, None, None, problem, mark.line + 1 if mark else None)]) from None
    except yaml.YAMLError as exc:
        raise MenuError([Problem(source, None, None, f"YAML error: {exc}")]) from None
    if not isinstance(data, dict):
        raise MenuError([Problem(source, None, None, f"expected a mapping (menu:, client:, languages:, timezone:, "
                                                     f"entry:, nodes:), got {cv.kind(data)}")])
    return _Reader(source).menu(data)


def load_file(path: str | Path) -> Menu:
    """parse() a menu file (UTF-8); the path as given names it in messages."""
    return parse(Path(path).read_text(encoding="utf-8"), str(path))
