"""Runs a Menu for one call, one step at a time. No I/O: the AGI route carries the steps out.

    session = Session(menu, language="fr", now=now, menus=client_menus, client_hours=rule)
    step = session.next()
    while not isinstance(step, Exit):
        answer = carry_out(step)              # Digits for an Ask, None for anything else
        step = session.next(answer)
    set_channel_variables(step.variables)

session.path records what happened at each node, for the call's history.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Mapping
from datetime import datetime
from typing import ClassVar

from ivr import variables as v
from ivr.model import (
    EXIT_KINDS,
    CollectNode,
    LanguageNode,
    Menu,
    MenuNode,
    Node,
    OncallNode,
    PlayNode,
    QueueNode,
    SubmenuNode,
    TimeNode,
    TimeRule,
    TransferNode,
)
from ivr.steps import Ask, Digits, Exit, PathEntry, Play, SayDigits, SetLanguage, Step
from ivr.timecond import is_open
from store.numbers import NumberError, to_e164

MAX_SILENT_STEPS = 200  # node visits in a row without a key pressed before Exit('fallback')
CONFIRM_KEY = "1"
COLLECT_TERMINATOR = "#"
_DIGITS = re.compile(r"[0-9]+")

Steps = Generator[Step, Digits | None, "tuple[Menu, str] | None"]


class SessionError(RuntimeError):
    """The route used the session wrongly (wrong answer type, next() after Exit)."""


class Session:
    """One call in the IVR. next(answer) gives the next Step; see the module docstring."""

    def __init__(self, menu: Menu, *, language: str, now: datetime, menus: Mapping[str, Menu] | None = None,
                 client_hours: TimeRule | None = None):
        """client_hours: the client's business hours (ivr.schedule), for time nodes with `hours: client`;
        without them such a node is closed."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be an aware datetime")
        self.menu = menu
        self.language = language
        self.now = now
        self.menus: Mapping[str, Menu] = dict(menus or {})
        self.client_hours = client_hours
        self.path: list[PathEntry] = []
        self.variables: dict[str, str] = {}  # collected by collect nodes, set on the channel at Exit
        self._silent = 0
        self._steps = self._run()
        self._waiting: type | None = None  # the answer type the last step needs
        self._started = self._finished = False

    def next(self, answer: Digits | None = None) -> Step:
        """The next step, given the answer to the previous one (Digits after an Ask, else None)."""
        if self._finished:
            raise SessionError("the session has already exited")
        if self._waiting is Digits and not isinstance(answer, Digits):
            raise SessionError(f"an Ask step needs a Digits answer, got {answer!r}")
        if self._waiting is not Digits and answer is not None:
            raise SessionError(f"only an Ask step takes an answer, got {answer!r}")
        try:
            if self._started:
                step = self._steps.send(answer)
            else:
                self._started = True
                step = next(self._steps)
        except StopIteration:  # only after an exception escaped a previous call
            self._finished = True
            raise SessionError("the session failed earlier and cannot go on") from None
        self._waiting = Digits if isinstance(step, Ask) else None
        self._finished = isinstance(step, Exit)
        return step

    @property
    def finished(self) -> bool:
        return self._finished

    # ---- the call, as a generator of steps ---------------------------------------------------

    def _run(self) -> Generator[Step, Digits | None, None]:
        menu, name = self.menu, self.menu.entry
        yield from self._offer_language(menu)
        while True:
            self._silent += 1
            node = menu.nodes.get(name)
            if self._silent > MAX_SILENT_STEPS or node is None:
                why = "too many steps without input" if node is not None else f"no node '{name}'"
                self._log(menu, name, node.kind if node else "", None, f"fallback: {why}")
                yield self._exit(menu, name, "fallback", "")
                return
            handler = self._handlers.get(node.kind, Session._leave)
            following = yield from handler(self, menu, node)
            if following is None:
                return  # the handler exited
            menu, name = following

    def _log(self, menu: Menu, node: str, kind: str, digit: str | None, outcome: str) -> None:
        self.path.append(PathEntry(menu.name, node, kind, digit, outcome))

    def _offer_language(self, menu: Menu) -> Generator[Step, Digits | None, None]:
        """Switch to the menu's first language if the call's is not one of the menu's."""
        if menu.languages and self.language not in menu.languages:
            self.language = menu.languages[0]
            yield SetLanguage(self.language)

    def _ask(self, prompts: tuple[str, ...], max_digits: int, timeout: float,
             terminator: str = COLLECT_TERMINATOR) -> Generator[Step, Digits | None, str]:
        answer = yield Ask(prompts, max_digits, timeout, terminator)
        assert isinstance(answer, Digits)  # Session.next checked it
        if answer.value:
            self._silent = 0
        return answer.value

    def _exit(self, menu: Menu, node: str, action: str, target: str, extra: Mapping[str, str] | None = None) -> Exit:
        names = {v.IVR_ACTION: action, v.IVR_TARGET: target, v.IVR_MENU: menu.name, v.IVR_NODE: node}
        return Exit(action, target, {**self.variables, **(extra or {}), **names})

    # ---- one handler per node type: steps, then (menu, next node) or None after an Exit ------

    def _play(self, menu: Menu, node: PlayNode) -> Steps:
        self._log(menu, node.name, node.kind, None, f"played -> {node.next}")
        yield Play(node.prompt)
        return menu, node.next

    def _time(self, menu: Menu, node: TimeNode) -> Steps:
        rule = self.client_hours if node.client_hours else node.rule
        opened = rule is not None and is_open(rule, self.now)
        self._log(menu, node.name, node.kind, None, "open" if opened else "closed")
        return menu, node.open if opened else node.closed
        yield  # a generator all the same

    def _menu(self, menu: Menu, node: MenuNode) -> Steps:
        attempt, lead = 0, ()
        while True:
            key = yield from self._ask(lead + node.prompt, 1, node.timeout)
            if key in node.choices:
                target = node.choices[key]
                self._log(menu, node.name, node.kind, key, f"choice {key} -> {target}")
                return menu, target
            if node.repeat is not None and key == node.repeat:
                self._log(menu, node.name, node.kind, key, "repeat")
                lead = ()
                continue
            attempt += 1
            failure, lead, target = (
                ("timeout", node.timeout_prompt, node.on_timeout) if key == ""
                else ("invalid", node.invalid_prompt, node.on_invalid)
            )
            outcome = f"{failure} {attempt}/{node.retries}"
            if attempt >= node.retries:
                self._log(menu, node.name, node.kind, key or None, f"{outcome} -> {target}")
                if lead:
                    yield Play(lead)
                return menu, target
            self._log(menu, node.name, node.kind, key or None, outcome)

    def _collect(self, menu: Menu, node: CollectNode) -> Steps:
        attempt, lead = 0, ()
        while True:
            entry = yield from self._ask(lead + node.prompt, node.max_digits, node.timeout)
            value = entry.removesuffix(COLLECT_TERMINATOR)
            if entry == "":
                failure, lead = "timeout", node.timeout_prompt
            elif not (_DIGITS.fullmatch(value) and node.min_digits <= len(value) <= node.max_digits):
                failure, lead = "invalid", node.invalid_prompt
            elif not node.confirm:
                return self._collected(menu, node, value)
            else:
                yield SayDigits(value)
                key = yield from self._ask(node.confirm_prompt, 1, node.timeout)
                if key == CONFIRM_KEY:
                    return self._collected(menu, node, value)
                failure, lead = "not confirmed", ()
            attempt += 1
            outcome = f"{failure} {attempt}/{node.retries}"  # the value itself stays out of the history
            if attempt >= node.retries:
                self._log(menu, node.name, node.kind, None, f"{outcome} -> {node.on_fail}")
                if lead:
                    yield Play(lead)
                return menu, node.on_fail
            self._log(menu, node.name, node.kind, None, outcome)

    def _collected(self, menu: Menu, node: CollectNode, value: str) -> tuple[Menu, str]:
        self.variables[node.variable] = value
        self._log(menu, node.name, node.kind, None, f"collected {node.variable} ({len(value)} digits) -> {node.next}")
        return menu, node.next

    def _language(self, menu: Menu, node: LanguageNode) -> Steps:
        attempt, lead = 0, ()
        while True:
            key = yield from self._ask(lead + node.prompt, 1, node.timeout)
            if key in node.choices:
                language, outcome = node.choices[key], f"choice {key} -> {node.choices[key]}"
                break
            if key == "":
                language, outcome = node.default, f"timeout -> {node.default}"
                break
            attempt += 1
            if attempt >= node.retries:
                language, outcome = node.default, f"invalid {attempt}/{node.retries} -> {node.default}"
                break
            self._log(menu, node.name, node.kind, key, f"invalid {attempt}/{node.retries}")
            lead = node.invalid_prompt
        self._log(menu, node.name, node.kind, key or None, outcome)
        self.language = language
        yield SetLanguage(language)
        return menu, node.next

    def _submenu(self, menu: Menu, node: SubmenuNode) -> Steps:
        inner = self.menus.get(node.menu)
        if inner is None:
            self._log(menu, node.name, node.kind, None, f"fallback: no menu '{node.menu}'")
            yield self._exit(menu, node.name, "fallback", "")
            return None
        self._log(menu, node.name, node.kind, None, f"submenu {node.menu}")
        yield from self._offer_language(inner)
        return inner, inner.entry

    def _leave(self, menu: Menu, node: Node) -> Steps:
        """Every exit node: its prompts if any, then Exit(kind, target)."""
        assert node.kind in EXIT_KINDS, node.kind
        target = node.exit_target()
        extra: dict[str, str] = {}
        if isinstance(node, TransferNode):
            try:
                target = to_e164(target)
            except NumberError:
                pass  # validation refuses such menus; hand on the number as written
        if isinstance(node, QueueNode):
            extra = {queue_option_variable(name): value for name, value in node.options.items()}
        if isinstance(node, OncallNode):
            extra = {v.IVR_ONCALL_SCHEDULE: node.schedule}
        self._log(menu, node.name, node.kind, None, f"exit {node.kind} {target}".rstrip())
        if node.prompt:
            yield Play(node.prompt)
        yield self._exit(menu, node.name, node.kind, target, extra)
        return None

    _handlers: ClassVar[Mapping[str, Callable[..., Steps]]] = {
        "play": _play, "time": _time, "menu": _menu, "collect": _collect, "language": _language,
        "submenu": _submenu,
    }


def queue_option_variable(option: str) -> str:
    """The channel variable a queue option travels in: IVR_QUEUE_ + its name, upper-cased, A-Z 0-9 _."""
    return v.IVR_QUEUE_OPTION_PREFIX + re.sub(r"[^A-Z0-9_]", "_", option.upper())
