"""Screen pops: when a queue connects a call to an agent (AgentConnect), or a client's call is bridged to
an agent's softphone otherwise (a transfer: BridgeEnter), the agent's screen gets what the store knows
of the call — the caller's record and earlier calls, the client and its InfoPages, the IVR path so far
(store.desk) — and is told when the call leaves them (AgentComplete, or the end of that bridge).

A callback conversation (ami/callbacks.py originates the agent's phone into the dialplan's `callback`)
pops as soon as the agent answers — the dialplan's PermanenceCallback event with Status AGENT, before
the caller is dialled, so the agent knows whom they are calling back — with the request and the IVR
path of the call the caller asked from; a `callback` event says when the caller answered or was not
reached (the agent's Dial: DialEnd), and the pop ends when the agent's leg hangs up.

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

from ivr import variables as v
from store import Store, desk
from store.clock import parse_iso

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
    # What popped it, hence what ends it: "queue" (AgentComplete), "bridge" (a transfer: the end of that
    # bridge), "callback" (the agent's leg hanging up).
    kind: str = "queue"
    answered_at: str | None = None  # a callback's caller answered then
    caller: str = ""  # a callback's caller: dialling, answered, not_reached
    building: set[str] = field(default_factory=set)  # calls whose pop is being read from the store
    deferred: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)  # their news, if it came first


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
                        kind="queue")
        elif name == "AgentComplete":
            self._end(agent_id(event.get("Interface", "")), event.get("Linkedid", ""),
                      {"reason": event.get("Reason", ""), "talk_s": event.get("TalkTime", "")})
        elif name == "UserEvent" and event.get("UserEvent") == v.CALLBACK_EVENT and event.get("Status") == "AGENT":
            # The agent answered the callback's call: the dialplan is about to dial the caller.
            match = AGENT_CHANNEL.match(event.get("Channel", ""))
            if match is not None:
                self._start(match.group(1), event.get("Linkedid", ""), event["Channel"], None, None, when,
                            kind="callback")
        elif name == "DialEnd":  # a callback's agent dialled the caller: answered, or not reached
            board, agent = self._board_on(event.get("Channel", ""))
            if board is not None and board.kind == "callback" and board.linkedid:
                self._dialled(agent, board.linkedid, event.get("DialStatus", ""), when)
        elif name == "BridgeEnter":  # a client's call bridged to an agent's phone outside a queue (a transfer)
            match = AGENT_CHANNEL.match(event.get("Channel", ""))
            call = self.live.calls.get(event.get("Linkedid", ""))
            if match is None or call is None or call.client_code is None:
                return
            board = self._desks.get(match.group(1))
            if board is not None and board.channel == event["Channel"]:
                return  # AgentConnect (or the callback's answer) came first: popped already
            self._start(match.group(1), call.linkedid, event["Channel"], call.caller, call.queue, when, kind="bridge")
        elif name in ("BridgeLeave", "Hangup"):  # the end of a bridged pop (a queue's ends at AgentComplete)
            board, agent = self._board_on(event.get("Channel", ""))
            if board is None or not board.linkedid:
                return
            if board.kind == "bridge":
                self._end(agent, board.linkedid, {"reason": name.lower(), "talk_s": ""})
            elif board.kind == "callback" and name == "Hangup":  # the caller's leg leaving is no end: Dial returns
                self._end(agent, board.linkedid, {"reason": "hangup", "talk_s": "", "at": when})

    def _board_on(self, channel: str) -> tuple[_Desk | None, str]:
        """The desk of the agent whose pop is on this channel (None if no pop is)."""
        match = AGENT_CHANNEL.match(channel)
        board = self._desks.get(match.group(1)) if match is not None else None
        if board is None or board.channel != channel:
            return None, ""
        return board, match.group(1) if match is not None else ""

    def _start(self, agent: str, linkedid: str, channel: str | None, caller: str | None, queue: str | None,
               when: str, *, kind: str) -> None:
        if not agent or not linkedid:
            return
        board = self._desk(agent)
        board.channel, board.linkedid, board.kind = channel, linkedid, kind
        board.answered_at, board.caller = None, "dialling" if kind == "callback" else ""
        board.building.add(linkedid)
        # What the live state knows of the call now: by the time the store answers, the call may be over.
        call = self.live.calls.get(linkedid)
        client_code, did = (call.client_code, call.did) if call is not None else (None, None)
        caller = caller or (call.caller if call is not None else None)
        task = asyncio.create_task(self._pop(agent, linkedid, caller, queue, when, kind, client_code, did),
                                   name=f"pop-{linkedid}")
        self._building.add(task)
        task.add_done_callback(self._building.discard)

    def _dialled(self, agent: str, linkedid: str, status: str, when: str) -> None:
        board = self._desks.get(agent)
        if board is None or board.linkedid != linkedid:
            return
        if linkedid in board.building:  # the pop is still being built: it goes out first, then this
            board.deferred.setdefault(linkedid, []).append(("callback", {"status": status, "at": when}))
            return
        self._caller_dialled(agent, board, status, when)

    def _caller_dialled(self, agent: str, board: _Desk, status: str, when: str) -> None:
        """A callback's caller answered the agent's call (ANSWER) or was not reached (any other status)."""
        reached = "answered" if status == "ANSWER" else "not_reached"
        board.answered_at, board.caller = (when if reached == "answered" else None), reached
        if board.current is not None and "callback" in board.current:  # a stream opened later sees it too
            board.current = {**board.current, "callback": {**board.current["callback"], "caller": reached,
                                                           "caller_status": status, "caller_at": when}}
        self._publish(agent, "callback", {"linkedid": board.linkedid, "caller": reached, "status": status,
                                          "at": when})

    def _end(self, agent: str, linkedid: str, detail: dict) -> None:
        board = self._desks.get(agent)
        if board is None or board.linkedid != linkedid:
            return
        if linkedid in board.building:  # the pop is still being built: it goes out first, then this
            board.deferred.setdefault(linkedid, []).append(("ended", detail))
            return
        if board.kind == "callback":  # whether the caller was reached; talked from their answer
            talk = round((parse_iso(detail["at"]) - parse_iso(board.answered_at)).total_seconds()) \
                if board.answered_at and detail.get("at") else None
            detail = {**detail, "caller": board.caller, "talk_s": "" if talk is None else str(talk)}
        board.current = board.channel = board.linkedid = board.answered_at = None
        board.caller = ""
        self._publish(agent, "ended", {"linkedid": linkedid, **detail})

    async def _pop(self, agent: str, linkedid: str, caller: str | None, queue: str | None, when: str,
                   kind: str, client_code: str | None, did: str | None) -> None:
        if caller in ("", "<unknown>"):
            caller = None

        def build(db) -> dict:
            desk.record_pop(db, linkedid, agent, when)  # first: from now on the agent may read and wrap up
            if kind == "callback":  # whom the agent calls back is the request's number, not the channel's
                return desk.callback_pop(db, linkedid, agent, client_code=client_code, at=when, region=self.region,
                                         did=did)
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
        for news, detail in board.deferred.pop(linkedid, []):
            if news == "ended":
                self._end(agent, linkedid, detail)
            else:
                self._dialled(agent, linkedid, detail["status"], detail["at"])

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
