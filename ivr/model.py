"""IVR menus as data: frozen dataclasses built by ivr.loader, checked by ivr.validate, run by ivr.engine.

One Menu per client IVR file. Nodes are named; every field that names another node holds that name.
See ivr/FORMAT.md for the YAML that describes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import ClassVar

DEFAULT_TIMEOUT = 5.0  # seconds to wait for a key after the prompts
DEFAULT_RETRIES = 3  # attempts in all at a menu, collect or language node
MINUTES_PER_DAY = 1440
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Monday first, as date.weekday()

def _freeze(obj: object, **mappings: Mapping) -> None:
    """Make a frozen dataclass's mapping fields read-only (callers may pass plain dicts)."""
    for name, value in mappings.items():
        object.__setattr__(obj, name, MappingProxyType(dict(value)))


# ---- problems ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a menu file: where (source, node, field, line) and what (message)."""

    source: str
    node: str | None
    field: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.node is not None:
            where.append(f"node '{self.node}'")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        text = f"{self.source}: " + (", ".join(where) + ": " if where else "") + self.message
        return text + (f" (line {self.line})" if self.line else "")


class MenuError(ValueError):
    """A menu file that cannot be used. str() lists every problem, one a line.

    source, node, field and message are those of the first problem; problems holds them all.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("MenuError needs at least one problem")
        first = self.problems[0]
        self.source, self.node, self.field, self.message = first.source, first.node, first.field, first.message
        super().__init__("\n".join(str(p) for p in self.problems))


# ---- time conditions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeRange:
    """Open from start to end, minutes after local midnight. end 1440 is 24:00; end < start crosses
    midnight: the range belongs to the day it starts on and ends on the next day."""

    start: int
    end: int


@dataclass(frozen=True)
class Closure:
    """Exceptionally closed from start (included) to end (excluded), naive local wall times."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class TimeRule:
    """Business hours: week[0] is Monday's ranges; holidays are whole local days closed."""

    timezone: str
    week: tuple[tuple[TimeRange, ...], ...] = ((),) * 7
    holidays: frozenset[date] = frozenset()
    closures: tuple[Closure, ...] = ()


# ---- nodes -------------------------------------------------------------------------------------

Prompts = tuple[str, ...]


@dataclass(frozen=True)
class PlayNode:
    kind: ClassVar[str] = "play"
    name: str
    prompt: Prompts
    next: str

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("next", self.next),)


@dataclass(frozen=True)
class MenuNode:
    kind: ClassVar[str] = "menu"
    name: str
    prompt: Prompts
    choices: Mapping[str, str]  # key -> node
    on_invalid: str
    on_timeout: str
    repeat: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    invalid_prompt: Prompts = ()
    timeout_prompt: Prompts = ()

    def __post_init__(self) -> None:
        _freeze(self, choices=self.choices)

    def targets(self) -> tuple[tuple[str, str], ...]:
        chosen = tuple(("choices", target) for target in self.choices.values())
        return (*chosen, ("on_invalid", self.on_invalid), ("on_timeout", self.on_timeout))


@dataclass(frozen=True)
class CollectNode:
    kind: ClassVar[str] = "collect"
    name: str
    prompt: Prompts
    variable: str
    max_digits: int
    next: str
    on_fail: str
    min_digits: int = 1
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    invalid_prompt: Prompts = ()
    timeout_prompt: Prompts = ()
    confirm: bool = False
    confirm_prompt: Prompts = ()

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("next", self.next), ("on_fail", self.on_fail))


@dataclass(frozen=True)
class LanguageNode:
    kind: ClassVar[str] = "language"
    name: str
    prompt: Prompts
    choices: Mapping[str, str]  # key -> language
    default: str
    next: str
    timeout: float = DEFAULT_TIMEOUT  # 0: only a key pressed during the prompts counts
    retries: int = DEFAULT_RETRIES
    invalid_prompt: Prompts = ()

    def __post_init__(self) -> None:
        _freeze(self, choices=self.choices)

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("next", self.next),)


@dataclass(frozen=True)
class TimeNode:
    kind: ClassVar[str] = "time"
    name: str
    rule: TimeRule
    open: str
    closed: str
    # `hours: client`: the client's own business hours (store.clients.Schedule, in the client's time
    # zone) decide, given to the engine for each call; `rule` is then empty and unused.
    client_hours: bool = False

    def targets(self) -> tuple[tuple[str, str], ...]:
        return (("open", self.open), ("closed", self.closed))


@dataclass(frozen=True)
class SubmenuNode:
    kind: ClassVar[str] = "submenu"
    name: str
    menu: str

    def targets(self) -> tuple[tuple[str, str], ...]:
        return ()


class _ExitNode:
    """Ends the IVR: optional prompts are played, then Exit(action=kind, target=exit_target())."""

    prompt: Prompts

    def targets(self) -> tuple[tuple[str, str], ...]:
        return ()

    def exit_target(self) -> str:
        return ""


@dataclass(frozen=True)
class QueueNode(_ExitNode):
    kind: ClassVar[str] = "queue"
    name: str
    queue: str
    options: Mapping[str, str] = field(default_factory=dict)
    prompt: Prompts = ()

    def __post_init__(self) -> None:
        _freeze(self, options=self.options)

    def exit_target(self) -> str:
        return self.queue


@dataclass(frozen=True)
class VoicemailNode(_ExitNode):
    kind: ClassVar[str] = "voicemail"
    name: str
    mailbox: str
    prompt: Prompts = ()

    def exit_target(self) -> str:
        return self.mailbox


@dataclass(frozen=True)
class OncallNode(_ExitNode):
    kind: ClassVar[str] = "oncall"
    name: str
    target: str
    prompt: Prompts = ()
    schedule: str = "default"  # the client's on-call schedule (store/oncall_schedules.py)

    def exit_target(self) -> str:
        return self.target


@dataclass(frozen=True)
class TransferNode(_ExitNode):
    kind: ClassVar[str] = "transfer"
    name: str
    number: str  # as written; the engine hands on its E.164 form
    prompt: Prompts = ()

    def exit_target(self) -> str:
        return self.number


@dataclass(frozen=True)
class CheckinNode(_ExitNode):
    kind: ClassVar[str] = "checkin"
    name: str
    prompt: Prompts = ()


@dataclass(frozen=True)
class HangupNode(_ExitNode):
    kind: ClassVar[str] = "hangup"
    name: str
    prompt: Prompts = ()


Node = (
    PlayNode | MenuNode | CollectNode | LanguageNode | TimeNode | SubmenuNode
    | QueueNode | VoicemailNode | OncallNode | TransferNode | CheckinNode | HangupNode
)
NODE_TYPES: Mapping[str, type] = MappingProxyType({
    cls.kind: cls
    for cls in (PlayNode, MenuNode, CollectNode, LanguageNode, TimeNode, SubmenuNode,
                QueueNode, VoicemailNode, OncallNode, TransferNode, CheckinNode, HangupNode)
})
EXIT_KINDS = frozenset(k for k, cls in NODE_TYPES.items() if issubclass(cls, _ExitNode))

# where a file's nodes and fields were: (node or None, field or None) -> line
Lines = Mapping[tuple[str | None, str | None], int]


@dataclass(frozen=True)
class Menu:
    name: str
    client: str
    languages: tuple[str, ...]
    timezone: str
    entry: str
    nodes: Mapping[str, Node]
    source: str = "<menu>"  # the file name, for messages
    description: str = ""
    lines: Lines = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        _freeze(self, nodes=self.nodes, lines=self.lines)


def prompt_fields(node: Node) -> tuple[tuple[str, Prompts], ...]:
    """(field, prompt references) for every prompt field of a node, empty ones included."""
    names = ("prompt", "invalid_prompt", "timeout_prompt", "confirm_prompt")
    return tuple((name, getattr(node, name)) for name in names if hasattr(node, name))


def prompt_refs(menu: Menu) -> tuple[str, ...]:
    """Every prompt reference a menu plays, once each, in file order (for the prompt tooling)."""
    seen: dict[str, None] = {}
    for node in menu.nodes.values():
        for _, refs in prompt_fields(node):
            seen.update(dict.fromkeys(refs))
    return tuple(seen)
