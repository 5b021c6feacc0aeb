"""`checkin`: clients reach the team leaders by phone with their client code and PIN.

Every attempt is logged; repeated wrong PINs lock the client's phone check-in for a while, and a
locked client is told so without the PIN being checked. An unknown code costs the same time as a
wrong PIN, so the line does not tell which codes exist.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ivr import variables as v
from ivr.prompts import prompt_file
from store import Store, checkin
from store.passwords import DUMMY_HASH, verify_password

from ..session import AGISession
from .callerid import caller_id
from .dtmf import ask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckinPolicy:
    team_leader_queue: str = "team-leaders"
    attempts_per_call: int = 3
    lock_after: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    entry_timeout_s: float = 8.0


class CheckinRoute:
    def __init__(self, store: Store, prompts_dir: str, policy: CheckinPolicy, default_region: str = "CA",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.prompts_dir = prompts_dir
        self.policy = policy
        self.default_region = default_region
        self.clock = clock

    def _file(self, name: str, language: str) -> str:
        return prompt_file(f"common:{name}", client_code="", language=language, prompts_dir=self.prompts_dir)

    async def __call__(self, session: AGISession) -> None:
        session.linkedid = await session.get_variable("CHANNEL(linkedid)")
        language = await session.get_variable("CHANNEL(language)") or "fr"
        caller = caller_id(session.headers, self.default_region).number
        p = self.policy
        for _ in range(p.attempts_per_call):
            code = await ask(session, [self._file("enter-client-code", language)], max_digits=6,
                             timeout_s=p.entry_timeout_s)
            if not code:
                await self._log(session, caller, None, "no_input")
                continue
            pin = await ask(session, [self._file("enter-pin", language)], max_digits=12, timeout_s=p.entry_timeout_s)
            outcome = await self._check(code, pin)
            state = await self._log(session, caller, code if outcome != "unknown_client" else None, outcome)
            if outcome == "ok":
                await session.stream_file(self._file("checkin-welcome", language))
                await session.set_variable(v.CHECKIN_CLIENT, code)
                await session.set_variable(v.IVR_TARGET, p.team_leader_queue)
                await session.set_variable(v.IVR_ACTION, "queue")
                log.info("checkin: call %s: client %s checked in", session.call_ref, code)
                return
            if outcome == "locked" or (state is not None and state.locked(self.clock())):
                await session.stream_file(self._file("checkin-locked", language))
                break
            await session.stream_file(self._file("checkin-failed", language))
        await session.stream_file(self._file("goodbye", language))
        await session.set_variable(v.IVR_TARGET, "")
        await session.set_variable(v.IVR_ACTION, "hangup")

    async def _check(self, code: str, pin: str) -> str:
        state = await self.store.read(lambda db: checkin.checkin_state(db, code)) if code.isdigit() else None
        if state is not None and state.locked(self.clock()):
            return "locked"
        stored = state.pin_hash if state is not None and state.pin_hash else DUMMY_HASH
        ok = await asyncio.to_thread(verify_password, pin, stored)
        if state is None or not state.pin_hash:
            return "unknown_client"
        return "ok" if ok else "bad_pin"

    async def _log(self, session: AGISession, caller: str | None, code: str | None,
                   outcome: str) -> checkin.CheckinState | None:
        p, now, linkedid = self.policy, self.clock(), session.linkedid
        log.info("checkin: call %s: client %s: %s", session.call_ref, code or "?", outcome)
        return await self.store.write(lambda db: checkin.record_attempt(
            db, linkedid=linkedid, caller=caller, client_code=code, outcome=outcome, now=now,
            lock_after=p.lock_after, lock_for=p.lock_for))
