"""Field rules of a menu: what each value may be, judged alone (no other node, no prompt files).

ivr.loader applies them as it reads a file, ivr.validate again on any Menu (one built in code too).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from zoneinfo import ZoneInfo

from ivr import variables
from ivr.model import (
    DAY_NAMES,
    MINUTES_PER_DAY,
    CollectNode,
    LanguageNode,
    Lines,
    Menu,
    MenuNode,
    Node,
    OncallNode,
    PlayNode,
    Problem,
    QueueNode,
    SubmenuNode,
    TimeNode,
    TimeRange,
    TransferNode,
    VoicemailNode,
    prompt_fields,
)
from ivr.prompts import PromptError, split_ref
from store.numbers import is_valid_did

MENU_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
SCHEDULE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")  # as store/oncall_schedules.py keeps them
NODE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
CLIENT_CODE = re.compile(r"[0-9]{4,5}")
LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Za-z]{2,4})?")
KEYS = "0123456789*#"
VARIABLE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
# names the dialplan puts in application arguments: nothing that could end or add an argument
DIALPLAN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
OPTION_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
OPTION_VALUE = re.compile(r"[A-Za-z0-9_.:/+-]{0,128}")
MAX_TIMEOUT = 60
MAX_RETRIES = 10
MAX_DIGITS = 32
RESERVED_PREFIXES = ("IVR_", "PERMANENCE_", "AGI")
RESERVED_VARIABLES = frozenset({
    *variables.SET_BY_AGI, *variables.KEPT_BY_AGI, *variables.SET_BY_ORIGINATE,
    "EXTEN", "CONTEXT", "PRIORITY", "CALLERID", "CHANNEL", "LANGUAGE", "UNIQUEID",
    "LINKEDID", "HANGUPCAUSE", "DIALSTATUS", "QUEUESTATUS", "VMSTATUS", "MIXMONITOR_FILENAME",
})


class Where:
    """Makes Problems for one source, finding their line when the loader recorded it."""

    def __init__(self, source: str, lines: Lines):
        self.source, self.lines = source, lines

    def __call__(self, node: str | None, field: str | None, message: str) -> Problem:
        line = self.lines.get((node, field)) or self.lines.get((node, None))
        return Problem(self.source, node, field, message, line)


def for_menu(menu: Menu) -> Where:
    return Where(menu.source, menu.lines)


def zone_error(key: str) -> str | None:
    try:
        ZoneInfo(key)
    except (KeyError, ValueError, OSError):
        return f"unknown time zone {key!r} (an IANA name such as America/Toronto)"
    return None


def menu_problems(menu: Menu, where: Where) -> Iterator[Problem]:
    """The top-level fields."""
    if not MENU_NAME.fullmatch(menu.name):
        yield where(None, "menu", f"bad menu name {menu.name!r} (a-z 0-9 -, at most 64)")
    if not CLIENT_CODE.fullmatch(menu.client):
        yield where(None, "client", f"bad client code {menu.client!r} (4 or 5 digits, quoted)")
    if not menu.languages:
        yield where(None, "languages", "at least one language is needed")
    for lang in menu.languages:
        if not LANGUAGE.fullmatch(lang):
            yield where(None, "languages", f"bad language code {lang!r} (e.g. fr, en, en_GB)")
    for lang in sorted({x for x in menu.languages if menu.languages.count(x) > 1}):
        yield where(None, "languages", f"language {lang!r} is listed twice")
    if (error := zone_error(menu.timezone)) is not None:
        yield where(None, "timezone", error)


def node_problems(node: Node, where: Where) -> Iterator[Problem]:
    """One node's own fields (whether its targets exist is ivr.validate's business)."""
    name = node.name
    if not NODE_NAME.fullmatch(name):
        yield where(name, None, "bad node name (a-z 0-9 _ -, at most 64)")
    for field, refs in prompt_fields(node):
        for ref in refs:
            try:
                split_ref(ref)
            except PromptError as exc:
                yield where(name, field, str(exc))
    required = {"prompt"} if isinstance(node, PlayNode | MenuNode | CollectNode | LanguageNode) else set()
    if isinstance(node, CollectNode) and node.confirm:
        required.add("confirm_prompt")
    for field in sorted(required):
        if not getattr(node, field):
            yield where(name, field, "at least one prompt is needed")
    check = _CHECKS.get(type(node))
    if check is not None:
        yield from check(node, where)


def _keys(node: MenuNode | LanguageNode, where: Where) -> Iterator[Problem]:
    if not node.choices:
        yield where(node.name, "choices", "at least one choice is needed")
    for key in node.choices:
        if len(key) != 1 or key not in KEYS:
            yield where(node.name, "choices", f"bad key {key!r} (one of 0-9 * #)")


def _timing(node: MenuNode | CollectNode | LanguageNode, where: Where, *, zero_ok: bool = False) -> Iterator[Problem]:
    low = "0" if zero_ok else "more than 0"
    if not (0 <= node.timeout <= MAX_TIMEOUT) or (node.timeout == 0 and not zero_ok):
        yield where(node.name, "timeout", f"timeout {node.timeout:g} out of range ({low} to {MAX_TIMEOUT} s)")
    if not 1 <= node.retries <= MAX_RETRIES:
        yield where(node.name, "retries", f"retries {node.retries} out of range (1 to {MAX_RETRIES} attempts)")


def _menu(node: MenuNode, where: Where) -> Iterator[Problem]:
    yield from _keys(node, where)
    yield from _timing(node, where)
    if node.repeat is not None:
        if len(node.repeat) != 1 or node.repeat not in KEYS:
            yield where(node.name, "repeat", f"bad key {node.repeat!r} (one of 0-9 * #)")
        elif node.repeat in node.choices:
            yield where(node.name, "repeat", f"key {node.repeat!r} is both a choice and the repeat key")


def _collect(node: CollectNode, where: Where) -> Iterator[Problem]:
    yield from _timing(node, where)
    if not 1 <= node.min_digits <= MAX_DIGITS:
        yield where(node.name, "min_digits", f"min_digits {node.min_digits} out of range (1 to {MAX_DIGITS})")
    if not 1 <= node.max_digits <= MAX_DIGITS:
        yield where(node.name, "max_digits", f"max_digits {node.max_digits} out of range (1 to {MAX_DIGITS})")
    elif node.min_digits > node.max_digits:
        yield where(node.name, "min_digits", f"min_digits {node.min_digits} is more than max_digits {node.max_digits}")
    yield from variable_problems(node.name, "variable", node.variable, where)
    if node.confirm_prompt and not node.confirm:
        yield where(node.name, "confirm_prompt", "confirm_prompt without confirm: true")


def variable_problems(node: str, field: str, name: str, where: Where) -> Iterator[Problem]:
    if not VARIABLE.fullmatch(name):
        yield where(node, field, f"bad variable name {name!r} (A-Z 0-9 _, starting with a letter)")
    elif name in RESERVED_VARIABLES or name.startswith(RESERVED_PREFIXES):
        yield where(node, field, f"variable name {name!r} is reserved")


def _language(node: LanguageNode, where: Where) -> Iterator[Problem]:
    yield from _keys(node, where)
    yield from _timing(node, where, zero_ok=True)
    for lang in node.choices.values():
        if not LANGUAGE.fullmatch(lang):
            yield where(node.name, "choices", f"bad language code {lang!r}")
    if not LANGUAGE.fullmatch(node.default):
        yield where(node.name, "default", f"bad language code {node.default!r}")


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _span(r: TimeRange) -> str:
    return f"{hhmm(r.start)}-{hhmm(r.end)}"


def _time(node: TimeNode, where: Where) -> Iterator[Problem]:
    rule = node.rule
    if len(rule.week) != 7:
        yield where(node.name, "hours", "the week needs 7 days")
        return
    for day, ranges in zip(DAY_NAMES, rule.week, strict=True):
        for r in ranges:
            if not (0 <= r.start < MINUTES_PER_DAY and 0 <= r.end <= MINUTES_PER_DAY):
                yield where(node.name, "hours", f"{day}: time out of range ({r.start}, {r.end} minutes)")
            elif r.start == r.end:
                yield where(node.name, "hours", f"{day}: {_span(r)} is empty (use 24h for all day)")
        spans = sorted((r.start, r.end if r.end > r.start else MINUTES_PER_DAY, r) for r in ranges)
        for (_, end, before), (start, _, after) in pairwise(spans):
            if start < end:
                yield where(node.name, "hours", f"{day}: {_span(before)} overlaps {_span(after)}")
    for number, closure in enumerate(rule.closures, 1):
        if closure.end <= closure.start:
            yield where(node.name, "closures", f"closure {number}: 'to' ({closure.end:%Y-%m-%dT%H:%M}) "
                        f"is not after 'from' ({closure.start:%Y-%m-%dT%H:%M})")


def _queue(node: QueueNode, where: Where) -> Iterator[Problem]:
    yield from _dialplan_name(node.name, "queue", node.queue, where)
    for option, value in node.options.items():
        if not OPTION_NAME.fullmatch(option):
            yield where(node.name, "options", f"bad option name {option!r} (a-z 0-9 _)")
        if not OPTION_VALUE.fullmatch(value):
            yield where(node.name, "options", f"option {option!r}: bad value {value!r} (A-Z a-z 0-9 _ . : / + -)")


def _dialplan_name(node: str, field: str, value: str, where: Where) -> Iterator[Problem]:
    if not DIALPLAN_NAME.fullmatch(value):
        yield where(node, field, f"bad {field} {value!r} (A-Z a-z 0-9 _ . -, at most 64)")


def _voicemail(node: VoicemailNode, where: Where) -> Iterator[Problem]:
    yield from _dialplan_name(node.name, "mailbox", node.mailbox, where)


def _oncall(node: OncallNode, where: Where) -> Iterator[Problem]:
    yield from _dialplan_name(node.name, "target", node.target, where)
    if not SCHEDULE_NAME.fullmatch(node.schedule):
        yield where(node.name, "schedule", f"bad schedule name {node.schedule!r} (a-z 0-9 -, at most 32)")


def _transfer(node: TransferNode, where: Where) -> Iterator[Problem]:
    if not is_valid_did(node.number):
        yield where(node.name, "number", f"{node.number!r} is not a valid phone number")


def _submenu(node: SubmenuNode, where: Where) -> Iterator[Problem]:
    if not MENU_NAME.fullmatch(node.menu):
        yield where(node.name, "menu", f"bad menu name {node.menu!r}")


_CHECKS = {
    MenuNode: _menu, CollectNode: _collect, LanguageNode: _language, TimeNode: _time, QueueNode: _queue,
    VoicemailNode: _voicemail, OncallNode: _oncall, TransferNode: _transfer, SubmenuNode: _submenu,
}
