"""`overflow`: around the dialplan's Queue(). `overflow,join` before it sets how long the caller waits
this time (the queue's max wait left, or the time to the callback offer); `overflow,left` after it
reads QUEUESTATUS and the queue's settings and sets where the call goes (IVR_ACTION, IVR_TARGET): back
into the queue after an offer declined, another queue, a message, the on-call target, a callback, or
hang-up. The queue's settings are read at each call: a change reaches the next caller.

A caller who accepts the callback offer hears the number they will be called at (or keys one in),
and their request enters the store with their place (when they joined the queue).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from ivr import variables as v
from ivr.overflow import Decision, after_queue, placed, wait
from ivr.prompts import prompt_file
from store import NumberError, Store, to_e164
from store.callbacks import add_request
from store.queues import Queue, queue_or_default

from ..session import AGISession
from .dtmf import ask

log = logging.getLogger(__name__)

MAX_PLACE_SCAN = 50  # waiting callers looked at to find a returning caller's place; beyond it, the end
OFFER_TIMEOUT_S = 5.0
NUMBER_TIMEOUT_S = 8.0


class OverflowRoute:
    def __init__(self, store: Store, prompts_dir: str, *, callbacks: bool, default_region: str = "CA",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.prompts_dir = prompts_dir
        self.callbacks = callbacks  # False: nobody can originate callbacks, so none is offered
        self.default_region = default_region
        self.clock = clock

    def queue_settings(self, name: str) -> Queue:
        """The queue's settings as the overflow runs them: without callbacks, none is offered."""
        queue = self.store.read_now(lambda db: queue_or_default(db, name))
        if self.callbacks:
            return queue
        action = "voicemail" if queue.overflow_action == "callback" else queue.overflow_action
        return dataclasses.replace(queue, callback_offer=False, overflow_action=action)

    async def __call__(self, session: AGISession) -> None:
        session.linkedid = await session.get_variable("CHANNEL(linkedid)")
        name = await session.get_variable(v.IVR_TARGET) or ""
        hops = [h for h in (await session.get_variable(v.QUEUE_HOPS) or "").split(",") if h]
        if session.args[:1] == ["left"]:
            await self._left(session, name, hops)
        else:
            await self._join(session, name, hops)

    async def _join(self, session: AGISession, name: str, hops: list[str]) -> None:
        now = self.clock().timestamp()
        queue = self.queue_settings(name)
        if not hops or hops[-1] != name:  # the first queue, or one the caller overflowed to
            for variable, value in placed(queue, now, hops).items():
                await session.set_variable(variable, value)
            return
        # Back from the callback offer: the same place, the same clock.
        joined = _float(await session.get_variable(v.QUEUE_JOINED), now)
        offered = await session.get_variable(v.CALLBACK_OFFERED) == "1"
        planned = wait(queue, waited_s=now - joined, offered=offered)
        await session.set_variable(v.QUEUE_TIMEOUT, planned.timeout_s or "")

    async def _left(self, session: AGISession, name: str, hops: list[str]) -> None:
        status = await session.get_variable("QUEUESTATUS") or ""
        now = self.clock().timestamp()
        joined = _float(await session.get_variable(v.QUEUE_JOINED), now)
        offered = await session.get_variable(v.CALLBACK_OFFERED) == "1"
        queue = self.queue_settings(name)
        decision = after_queue(queue, status, waited_s=now - joined, offered=offered, hops=hops or [name])
        if decision.refused:
            log.warning("overflow: call %s: queue %s: %s", session.call_ref, name, decision.refused)
        await session.set_variable(v.OVERFLOW_QUEUE, name)
        if decision.action in ("offer", "callback"):
            await session.set_variable(v.CALLBACK_OFFERED, "1")
            if await self._callback(session, queue, joined):
                decision = Decision("callback", name, decision.reason or "CALLBACK")
            elif decision.action == "offer":
                await session.set_variable(v.QUEUE_POSITION, await self._place(session, name, joined))
                decision = Decision("queue", name)
            else:
                decision = Decision("voicemail", "", decision.reason)
        if decision.action == "hangup":  # never a silent hang-up: "we cannot take your call, call back later"
            language = await session.get_variable("CHANNEL(language)") or "fr"
            await session.stream_file(self._file("callback-later", language))
        await session.set_variable(v.OVERFLOW_REASON, decision.reason)
        # The schedule an oncall overflow reaches is the queue's, whatever an earlier exit said.
        await session.set_variable(v.IVR_ONCALL_SCHEDULE,
                                   queue.overflow_schedule if decision.action == "oncall" else "")
        await session.set_variable(v.IVR_TARGET, decision.target)
        await session.set_variable(v.IVR_ACTION, decision.action)  # last: the dialplan's sign the route finished
        log.info("overflow: call %s: queue %s %s → %s %s", session.call_ref, name, status or "-", decision.action,
                 decision.target)

    def _file(self, name: str, language: str) -> str:
        return prompt_file(f"common:{name}", client_code="", language=language, prompts_dir=self.prompts_dir)

    async def _callback(self, session: AGISession, queue: Queue, joined: float) -> bool:
        """The offer; on the key, the number confirmed (or keyed in) and the request stored."""
        language = await session.get_variable("CHANNEL(language)") or "fr"
        key = await session.stream_file(self._file("callback-offer", language), "0123456789*#")
        if key is None:
            await session.say_digits(queue.callback_key)
            key = await session.wait_for_digit(OFFER_TIMEOUT_S)
        if key != queue.callback_key:
            return False
        number = await session.get_variable(v.CALLER_NUMBER) or ""
        if number:
            await session.stream_file(self._file("callback-confirm", language))
            await session.say_digits(_spoken(number))
        else:
            keyed = await ask(session, [self._file("callback-enter-number", language)], max_digits=16,
                              timeout_s=NUMBER_TIMEOUT_S)
            try:
                number = to_e164(keyed, self.default_region)
            except NumberError:
                log.info("overflow: call %s: no usable callback number keyed in (%r)", session.call_ref, keyed)
                return False
        linkedid = session.linkedid or session.headers.get("agi_uniqueid", "")
        client = await session.get_variable(v.CLIENT_CODE) or None
        queued_at, now = datetime.fromtimestamp(joined, UTC), self.clock()
        request = await self.store.write(lambda db: add_request(
            db, linkedid=linkedid, client_code=client, queue=queue.name, number=number, language=language,
            queued_at=queued_at, now=now))
        await session.stream_file(self._file("callback-thanks", language))
        log.info("overflow: call %s: callback %d requested in queue %s", session.call_ref, request.id, queue.name)
        return True

    async def _place(self, session: AGISession, name: str, joined: float) -> str:
        """The position of a caller back from the offer: before the first caller who joined after them."""
        count = int(_float(await session.get_variable(f"QUEUE_WAITING_COUNT({name})"), 0))
        for position in range(1, min(count, MAX_PLACE_SCAN) + 1):
            channel = await session.get_variable(f"QUEUE_GET_CHANNEL({name},{position})")
            if not channel:
                break
            other = _float(await session.get_variable(f"IMPORT({channel},{v.QUEUE_JOINED})"), 0)
            if other > joined:
                return str(position)
        return ""  # the end: everyone waiting joined before them


def _float(text: str | None, default: float) -> float:
    try:
        return float(text) if text else default
    except ValueError:
        return default


def _spoken(number: str) -> str:
    """The number as its caller knows it: a North-American one without +1, others without +."""
    return number[2:] if number.startswith("+1") and len(number) == 12 else number.lstrip("+")
