"""Screen pops: when a queue connects a call to an agent (AgentConnect), the agent's screen gets what
the store knows of the call — the caller's record and earlier calls, the client and its instructions,
the IVR path so far (store.desk) — and is told when the call leaves them (AgentComplete).

Fed the same ordered AMI events as the live state, after it (the live call knows the client by then).
Each agent has their own short list of events, which the web app's stream for that agent (and only
theirs) follows; kept in memory, as the live state is.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from store import Store, desk

from .live import LiveState
from .timeline import agent_id

log = logging.getLogger(__name__)

KEEP = 20  # events kept per agent: a stream that reconnects catches up on these


@dataclass
class _Desk:
    events: deque[tuple[int, str, dict]] = field(default_factory=lambda: deque(maxlen=KEEP))
    current: dict | None = None  # the pop of the call the agent is on
    channel: str | None = None  # the agent's channel in that call (what a supervisor spies on)


class ScreenPops:
    def __init__(self, store: Store, live: LiveState, region: str) -> None:
        self.store = store
        self.live = live
        self.region = region  # callers' numbers are read as at the dnis route (E.164 in this region)
        self.seq = 0
        self._desks: dict[str, _Desk] = {}
        self._changed = asyncio.Event()
        self._building: set[asyncio.Task[None]] = set()

    def feed(self, event: Mapping[str, str], when: str) -> None:
        name = event.get("Event")
        if name == "AgentConnect":
            self._desk(agent_id(event.get("Interface", ""))).channel = event.get("DestChannel") or None
            task = asyncio.create_task(self._pop(event, when), name=f"pop-{event.get('Linkedid')}")
            self._building.add(task)
            task.add_done_callback(self._building.discard)
        elif name == "AgentComplete":
            agent, linkedid = agent_id(event.get("Interface", "")), event.get("Linkedid", "")
            board = self._desks.get(agent)
            if board is not None and board.current is not None and board.current["linkedid"] == linkedid:
                board.current = board.channel = None
            self._publish(agent, "ended", {"linkedid": linkedid, "reason": event.get("Reason", ""),
                                           "talk_s": event.get("TalkTime", "")})

    async def _pop(self, event: Mapping[str, str], when: str) -> None:
        agent, linkedid = agent_id(event.get("Interface", "")), event.get("Linkedid", "")
        if not agent or not linkedid:
            return
        call = self.live.calls.get(linkedid)
        client_code = call.client_code if call is not None else None
        caller = event.get("CallerIDNum") or (call.caller if call is not None else None)
        if caller in ("", "<unknown>"):
            caller = None

        def build(db) -> dict:
            desk.record_pop(db, linkedid, agent, when)  # first: from now on the agent may read and wrap up
            return desk.screen_pop(db, linkedid, agent, client_code=client_code, caller_number=caller,
                                   queue=event.get("Queue") or None, at=when, region=self.region)

        try:
            pop = await self.store.write(build)
        except Exception:
            log.exception("screen pop of call %s for agent %s failed", linkedid, agent)
            pop = {"linkedid": linkedid, "agent": agent, "at": when, "queue": event.get("Queue") or None,
                   "caller": {"number": caller, "known": False}, "earlier_calls": [], "client": None,
                   "ivr_path": [], "wrapup": None}
        self._desk(agent).current = pop
        self._publish(agent, "pop", pop)

    def _desk(self, agent: str) -> _Desk:
        return self._desks.setdefault(agent, _Desk())

    def _publish(self, agent: str, kind: str, data: dict) -> None:
        self.seq += 1
        self._desk(agent).events.append((self.seq, kind, data))
        self._changed.set()
        self._changed = asyncio.Event()

    def current(self, agent: str) -> dict | None:
        """The pop of the call the agent is on now, if any."""
        board = self._desks.get(agent)
        return board.current if board is not None else None

    def channel(self, agent: str) -> str | None:
        """The agent's channel in the call they are on now (PJSIP/101-00000008), if any."""
        board = self._desks.get(agent)
        return board.channel if board is not None else None

    def since(self, agent: str, seq: int) -> list[tuple[int, str, dict]]:
        """The agent's events after `seq`, oldest first."""
        board = self._desks.get(agent)
        return [e for e in board.events if e[0] > seq] if board is not None else []

    async def changed(self, since: int, timeout: float) -> bool:
        """Wait until any agent's events move past `since` (False on timeout)."""
        if self.seq > since:
            return True
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def drain(self) -> None:
        """Wait for the pops being built (tests, shutdown)."""
        while self._building:
            await asyncio.gather(*list(self._building), return_exceptions=True)
