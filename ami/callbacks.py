"""Callbacks: when an agent of the queue is free, the back end calls them first, then the caller.

Every `interval` the scheduler looks at the requests due (store/callbacks.py), oldest place first. A
request goes ahead when one of its queue's agents is ready and idle (the live state, from AMI) and no
caller still waiting in that queue joined it before the request's caller did: they keep their place.
It originates the agent's phone (AMI Originate, synchronous, on the dialer user's own connection:
write = originate, nothing else) into the dialplan's `callback`, which records the conversation and
dials the caller. The conversation has its own linkedid, given here, so it is a call of the history
tied to the one the caller asked from; what came of it (the caller's DIALSTATUS, from the dialplan's
PermanenceCallback event) is read from that call once the listener has written it, which also holds
when the back end restarted meanwhile (CEL keeps the event too).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from ivr import variables as v
from recordings import recording_name
from store import Store
from store import agents as store_agents
from store import callbacks as cb
from store.clock import parse_iso

from .agent_states import INTERFACE_PREFIX
from .client import AMIClient, AMIError
from .live import LiveState
from .protocol import AmiEvent

log = logging.getLogger(__name__)


class Dialer(Protocol):
    async def originate(self, fields: dict[str, object], timeout: float) -> bool:
        """True once the channel answered; False if it did not (no answer, busy, unreachable)."""


@dataclass(frozen=True)
class CallbackSettings:
    dial: str = "PJSIP/carrier/sip:{number}@127.0.0.1"  # reaches the caller; {number}: E.164
    ring_s: int = 30
    agent_ring_s: int = 20
    policy: cb.RetryPolicy = field(default_factory=cb.RetryPolicy)
    interval_s: float = 2.0
    lost_after_s: float = 900.0  # an answered attempt never written to the history by then is lost


class CallbackScheduler:
    def __init__(self, store: Store, live: LiveState, dialer: Dialer, settings: CallbackSettings,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.live = live
        self.dialer = dialer
        self.settings = settings
        self.clock = clock
        self._ringing: dict[int, str] = {}  # attempt id → agent interface, while Originate waits for them
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("callbacks: a round failed; the next one tries again")
            await asyncio.sleep(self.settings.interval_s)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def drain(self) -> None:
        """Wait for the Originates under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def tick(self) -> None:
        await self._settle()
        await self._start_due()

    async def _settle(self) -> None:
        """Attempts whose agent answered: their outcome once the conversation is in the history."""
        now = self.clock()
        for attempt in await self.store.read(cb.open_attempts):
            if attempt.id in self._ringing:
                continue
            outcome = await self.store.read(lambda db, a=attempt: cb.conversation_outcome(db, a.linkedid))
            if outcome is None and (now - parse_iso(attempt.started_at)).total_seconds() > self.settings.lost_after_s:
                outcome = "lost"
            if outcome is not None:
                await self._finish(attempt.id, outcome)

    async def _finish(self, attempt_id: int, outcome: str) -> None:
        now, policy = self.clock(), self.settings.policy
        request = await self.store.write(lambda db: cb.finish_attempt(db, attempt_id, outcome, now=now, policy=policy))
        log.info("callbacks: request %d attempt %d: %s → %s (%d attempt(s))", request.id, attempt_id, outcome,
                 request.status, request.attempts)

    def free_agents(self, queue: str, penalties: Mapping[str, int] | None = None) -> list[str]:
        """Interfaces of the queue's agents who are ready and idle, not being rung for a callback, in the
        order one is chosen: the lowest penalty in that queue first (its skilled agents, as app_queue
        would), then the one ready the longest (the next call goes to the agent who waited most)."""
        taken = set(self._ringing.values())
        penalties = penalties or {}
        ready = [a for a in self.live.agents.agents.values()
                 if queue in a.queues and a.current is not None and a.current.state == "ready"
                 and a.device == "not_in_use" and f"{INTERFACE_PREFIX}{a.agent_id}" not in taken]
        ready.sort(key=lambda a: (penalties.get(a.agent_id, 0), a.current.at if a.current else "", a.agent_id))
        return [f"{INTERFACE_PREFIX}{a.agent_id}" for a in ready]

    def _earlier_callers(self, queue: str, queued_at: str) -> bool:
        """Someone still waiting in the queue joined it before this request's caller."""
        return any(c.state == "queued" and c.queue == queue and c.queued_at and c.queued_at < queued_at
                   for c in self.live.calls.values())

    async def _start_due(self) -> None:
        now = self.clock()
        for request in await self.store.read(lambda db: cb.due_requests(db, now)):
            if self._earlier_callers(request.queue, request.queued_at):
                continue
            if not self.free_agents(request.queue):
                continue
            penalties = await self.store.read(lambda db, q=request.queue: {
                m.agent_id: m.penalty for m in store_agents.list_members(db) if m.queue == q})
            agents = self.free_agents(request.queue, penalties)
            await self._start(request, agents[0], now)

    async def _start(self, request: cb.CallbackRequest, interface: str, now: datetime) -> None:
        agent = interface.rpartition("/")[2]
        tried = len(await self.store.read(lambda db: cb.attempts_of(db, request.id)))
        linkedid = f"{request.linkedid}-cb{tried + 1}"
        attempt = await self.store.write(lambda db: cb.start_attempt(db, request.id, linkedid=linkedid, agent=agent,
                                                                     now=now))
        self._ringing[attempt.id] = interface
        task = asyncio.create_task(self._originate(request, attempt, interface, now), name=f"callback-{attempt.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def originate_fields(self, request: cb.CallbackRequest, attempt: cb.Attempt, interface: str,
                         now: datetime, did: str | None) -> dict[str, object]:
        variables = {
            v.CALLBACK_OF: request.linkedid, v.CALLBACK_REQUEST: request.id, v.CALLBACK_ATTEMPT: attempt.id,
            v.CALLBACK_DIAL: self.settings.dial.replace("{number}", request.number),
            v.CALLBACK_RING_S: self.settings.ring_s, v.CLIENT_CODE: request.client_code or "",
            v.DID: did or "",
            v.RECORDING_FILE: recording_name(request.client_code, attempt.linkedid, now) if request.client_code else "",
        }
        return {
            "Action": "Originate", "Channel": interface, "Context": "permanence-call", "Exten": "callback",
            "Priority": 1, "Timeout": self.settings.agent_ring_s * 1000, "ChannelId": attempt.linkedid,
            # The agent's screen shows whom they are calling back.
            "CallerID": f'"Rappel {request.queue}" <{request.number}>',
            "Variable": ",".join(f"{name}={value}" for name, value in variables.items()),
            "Async": "false",
        }

    async def _originate(self, request: cb.CallbackRequest, attempt: cb.Attempt, interface: str,
                         now: datetime) -> None:
        try:
            did = await self.store.read(lambda db: cb.call_did(db, request.linkedid))
            fields = self.originate_fields(request, attempt, interface, now, did)
            log.info("callbacks: request %d: calling agent %s, then %s (call %s)", request.id, interface,
                     request.number, attempt.linkedid)
            answered = await self.dialer.originate(fields, timeout=self.settings.agent_ring_s + 10)
        except Exception:
            log.exception("callbacks: request %d: originate failed", request.id)
            answered = False
        finally:
            self._ringing.pop(attempt.id, None)
        if not answered:
            await self._finish(attempt.id, "agent_no_answer")
        # Answered: the conversation goes on in Asterisk; _settle reads its outcome from the history.


async def _ignore(event: AmiEvent) -> None:
    """The dialer user reads no events; anything that comes is dropped."""


class AmiDialer:
    """Originate on a connection of the dialer user's own, opened for one call and closed after it:
    nothing stays logged in with the right to place calls."""

    def __init__(self, host: str, port: int, user: str, secret: str, login_timeout: float = 5.0) -> None:
        self.host, self.port, self.user, self.secret = host, port, user, secret
        self.login_timeout = login_timeout

    async def originate(self, fields: dict[str, object], timeout: float) -> bool:
        client = AMIClient(self.host, self.port, self.user, self.secret, on_event=_ignore, events="off",
                           ping_interval=3600.0, connect_timeout=self.login_timeout, backoff_min=0.2,
                           backoff_max=1.0)
        task = asyncio.create_task(client.run(), name="ami-dialer")
        try:
            try:
                await client.wait_connected(self.login_timeout)
            except TimeoutError:
                raise AMIError(f"AMI {self.host}:{self.port}: cannot log in as {self.user} "
                               f"({client.stats.last_error or 'no answer'})") from None
            try:
                await client.action(fields, timeout=timeout)
            except AMIError as exc:  # Response: Error, "Originate failed": not answered, busy, unreachable
                log.info("callbacks: %s: %s", fields.get("Channel"), exc)
                return False
            return True
        finally:
            await client.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
