"""`ivr`: runs a client's menus live from the store, step by step, with the pure engine of ivr/.

The active version of each menu is read for every call, so an applied change reaches the next call.
Terminal steps set channel variables and return: the static dialplan does the long-running work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from ivr import variables as v
from ivr.engine import Session
from ivr.loader import parse
from ivr.model import Menu, TimeRule
from ivr.overflow import placed
from ivr.prompts import prompt_file
from ivr.schedule import ScheduleError, rule
from ivr.steps import Ask, Digits, Exit, Play, SayDigits, SetLanguage
from store import Store, ivr_path
from store.clock import iso
from store.queues import Queue

from ..session import AGISession
from .dtmf import ask

log = logging.getLogger(__name__)


class MenuBook:
    """Active menus, parsed once per stored version; each client's business hours, once per change."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._parsed: dict[tuple[str, int], Menu] = {}
        self._hours: dict[str, tuple[object, TimeRule | None]] = {}  # client code -> (what it was made of, rule)

    def client_hours(self, client_code: str) -> TimeRule | None:
        """The rule of `hours: client` time nodes; None if the client has none (those nodes are closed)."""
        client = self.store.routing.client(client_code)
        if client is None or client.schedule.hours is None:
            return None
        made_of = (client.timezone, client.schedule)
        cached = self._hours.get(client_code)
        if cached is None or cached[0] != made_of:
            try:
                cached = (made_of, rule(client.schedule, client.timezone))
            except ScheduleError as exc:  # the admin API validates; a hand-edited row may still be wrong
                log.error("ivr: client %s: business hours unusable, treated as closed: %s", client_code, exc)
                cached = (made_of, None)
            self._hours[client_code] = cached
        return cached[1]

    def for_client(self, client_code: str) -> dict[str, Menu]:
        out: dict[str, Menu] = {}
        for name, item in self.store.routing.menus_of(client_code).items():
            key = (name, item.version)
            if key not in self._parsed:
                self._parsed[key] = parse(item.body, f"{name} v{item.version}")
            out[name] = self._parsed[key]
        return out


class IvrRoute:
    def __init__(self, store: Store, book: MenuBook, prompts_dir: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 queue_settings: Callable[[str], Queue] | None = None) -> None:
        self.store = store
        self.book = book
        self.prompts_dir = prompts_dir
        self.clock = clock
        # A queue's settings as the overflow route runs them: given, a caller leaving the menus for a
        # queue is placed in it here, which spares the call the `overflow,join` FastAGI session.
        self.queue_settings = queue_settings

    async def __call__(self, session: AGISession) -> None:
        name = session.args[0] if session.args else ""
        session.linkedid = await session.get_variable("CHANNEL(linkedid)")
        client_code = await session.get_variable(v.CLIENT_CODE) or ""
        language = await session.get_variable("CHANNEL(language)") or "fr"
        available = self.book.for_client(client_code)
        menu = available.get(name)
        if menu is None:
            log.warning("ivr: call %s: client %s has no active menu %r", session.call_ref, client_code, name)
            await self._leave(session, Exit("fallback"), closed=False)
            return
        if language not in menu.languages:
            language = menu.languages[0]
        ivr = Session(menu, language=language, now=self.clock(), menus=available,
                      client_hours=self.book.client_hours(client_code))
        recorded: list[ivr_path.IvrStep] = []
        try:
            await self._run(session, ivr, client_code, recorded)
        finally:
            await self._record(session, ivr, recorded)

    async def _run(self, session: AGISession, ivr: Session, client_code: str,
                   recorded: list[ivr_path.IvrStep]) -> None:
        answer: Digits | None = None
        while True:
            step = ivr.next(answer)
            self._stamp(ivr, recorded)
            answer = None
            if isinstance(step, Exit):
                closed = any(e.kind == "time" and e.outcome == "closed" for e in ivr.path)
                await self._leave(session, step, closed=closed)
                return
            files = [prompt_file(p, client_code=client_code, language=ivr.language, prompts_dir=self.prompts_dir)
                     for p in getattr(step, "prompts", ())]
            if isinstance(step, Play):
                for file in files:
                    await session.stream_file(file)
            elif isinstance(step, Ask):
                answer = Digits(await ask(session, files, max_digits=step.max_digits, timeout_s=step.timeout_s,
                                          terminator=step.terminator))
            elif isinstance(step, SayDigits):
                await session.say_digits(step.digits)
            elif isinstance(step, SetLanguage):
                await session.set_variable("CHANNEL(language)", step.language)

    def _stamp(self, ivr: Session, recorded: list[ivr_path.IvrStep]) -> None:
        at = iso(self.clock())
        for entry in ivr.path[len(recorded):]:
            recorded.append(ivr_path.IvrStep(at, entry.menu, entry.node, entry.kind, entry.digit, entry.outcome))

    async def _leave(self, session: AGISession, step: Exit, *, closed: bool) -> None:
        await session.set_variable(v.IVR_TARGET, step.target)
        await session.set_variable(v.IVR_CLOSED, "1" if closed else "0")
        for key, value in step.variables.items():
            if key not in (v.IVR_ACTION, v.IVR_TARGET):
                await session.set_variable(key, value)
        if step.action == "queue" and step.target and self.queue_settings is not None:
            queue = self.queue_settings(step.target)
            for key, value in placed(queue, self.clock().timestamp()).items():
                await session.set_variable(key, value)
            await session.set_variable(v.QUEUE_READY, "1")
        # Last: the dialplan takes IVR_ACTION as the sign that the route finished.
        await session.set_variable(v.IVR_ACTION, step.action)
        log.info("ivr: call %s leaves the menus: %s %s", session.call_ref, step.action, step.target)

    async def _record(self, session: AGISession, ivr: Session, recorded: list[ivr_path.IvrStep]) -> None:
        self._stamp(ivr, recorded)
        if not recorded or not session.linkedid:
            return
        linkedid = session.linkedid
        self.store.write_later(lambda db: ivr_path.add_steps(db, linkedid, recorded), f"call {linkedid}: IVR path")
