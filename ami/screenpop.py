"""Screen pops: when a queue connects a call to an agent (AgentConnect), or a client's call is bridged to
an agent's softphone otherwise (a transfer: BridgeEnter), the agent's screen gets what the store knows
of the call — the caller's record and earlier calls, the client and its InfoPages, the IVR path so far
(store.desk) — and is told when the call leaves them (AgentComplete, or the end of that bridge).

Fed the same ordered AMI events as the live state, after it (the live call knows the client by then).
Each agent has their own short list of events, which the web app's stream for that agent (and only
theirs) follows; kept in memory, as the live state is.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from store import Store, desk

from .live import LiveState
from .timeline import agent_id

log = logging.getLogger(__name__)

KEEP = 20  # events kept per agent: a stream that reconnects catches up on these
AGENT_CHANNEL = re.compile(r"^PJSIP/([1-9][0-9]{2,5})-[0-9a-f]+$")  # an agent's softphone leg of a call


@dataclass
class _Desk:
    events: deque[tuple[int, str, dict]] = field(default_factory=lambda: deque(maxlen=KEEP))
    current: dict | None = None  # the pop of the call the agent is on
    channel: str | None = None  # the agent's channel in that call (what a supervisor spies on)
    linkedid: str | None = None  # that call
    bridged: bool = False  # popped on a bridge (a transfer), not by the queue: it ends when the bridge does
    building: set[str] = field(default_factory=set)  # calls whose pop is being read from the store
    deferred_end: dict[str, dict] = field(default_factory=dict)  # their end, if it came first


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
        if name == "AgentConnect":  # the queue connected the caller to a member
            self._start(agent_id(event.get("Interface", "")), event.get("Linkedid", ""),
                        event.get("DestChannel") or None, event.get("CallerIDNum"), event.get("Queue") or None, when,
                        bridged=False)
        elif name == "AgentComplete":
            self._end(agent_id(event.get("Interface", "")), event.get("Linkedid", ""),
                      {"reason": event.get("Reason", ""), "talk_s": event.get("TalkTime", "")})
        elif name == "BridgeEnter":  # a client's call bridged to an agent's phone outside a queue (a transfer)
            match = AGENT_CHANNEL.match(event.get("Channel", ""))
            call = self.live.calls.get(event.get("Linkedid", ""))
            if match is None or call is None or call.client_code is None:
                return
            board = self._desks.get(match.group(1))
            if board is not None and board.channel == event["Channel"]:
                return  # AgentConnect came first: popped already
            self._start(match.group(1), call.linkedid, event["Channel"], call.caller, call.queue, when, bridged=True)
        elif name in ("BridgeLeave", "Hangup"):  # the end of a bridged pop (a queue's ends at AgentComplete)
            match = AGENT_CHANNEL.match(event.get("Channel", ""))
            agent = match.group(1) if match is not None else ""
            board = self._desks.get(agent)
            if board is not None and board.bridged and board.channel == event["Channel"] and board.linkedid:
                self._end(agent, board.linkedid, {"reason": name.lower(), "talk_s": ""})

    def _start(self, agent: str, linkedid: str, channel: str | None, caller: str | None, queue: str | None,
               when: str, *, bridged: bool) -> None:
        if not agent or not linkedid:
            return
        board = self._desk(agent)
        board.channel, board.linkedid, board.bridged = channel, linkedid, bridged
        board.building.add(linkedid)
        task = asyncio.create_task(self._pop(agent, linkedid, caller, queue, when), name=f"pop-{linkedid}")
        self._building.add(task)
        task.add_done_callback(self._building.discard)

    def _end(self, agent: str, linkedid: str, detail: dict) -> None:
        board = self._desks.get(agent)
        if board is None or board.linkedid != linkedid:
            return
        if linkedid in board.building:  # the pop is still being built: it goes out first, then this
            board.deferred_end[linkedid] = detail
            return
        board.current = board.channel = board.linkedid = None
        self._publish(agent, "ended", {"linkedid": linkedid, **detail})

    async def _pop(self, agent: str, linkedid: str, caller: str | None, queue: str | None, when: str) -> None:
        call = self.live.calls.get(linkedid)
        client_code = call.client_code if call is not None else None
        did = call.did if call is not None else None
        caller = caller or (call.caller if call is not None else None)
        if caller in ("", "<unknown>"):
            caller = None

        def build(db) -> dict:
            desk.record_pop(db, linkedid, agent, when)  # first: from now on the agent may read and wrap up
            return desk.screen_pop(db, linkedid, agent, client_code=client_code, caller_number=caller,
                                   queue=queue, at=when, region=self.region, did=did)

        try:
            pop = await self.store.write(build)
        except Exception:
            log.exception("screen pop of call %s for agent %s failed", linkedid, agent)
            pop = {"linkedid": linkedid, "agent": agent, "at": when, "queue": queue, "did": None,
                   "caller": {"number": caller, "known": False}, "earlier_calls": [], "client": None,
                   "ivr_path": [], "wrapup": None}
        board = self._desk(agent)
        board.building.discard(linkedid)
        if board.linkedid == linkedid:
            board.current = pop
        self._publish(agent, "pop", pop)
        ended = board.deferred_end.pop(linkedid, None)
        if ended is not None:
            self._end(agent, linkedid, ended)

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
