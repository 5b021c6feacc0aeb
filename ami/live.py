"""Live state for supervisors: calls in progress, callers waiting in each queue, agents' states.

Fed the same ordered AMI events as the call tracker; kept in memory only. Readers take a snapshot
(plain JSON-able data) and may wait for the next change (the web app's SSE stream).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from ivr import variables as v

from .calls import CallState

# QueueMemberStatus Status (app_queue / devicestate): what an agent's device is doing.
DEVICE_STATES = {
    "0": "unknown", "1": "not_in_use", "2": "in_use", "3": "busy", "4": "invalid", "5": "unavailable",
    "6": "ringing", "7": "ringinuse", "8": "onhold",
}


@dataclass
class LiveCall:
    linkedid: str
    started_at: str
    caller: str | None = None
    client_code: str | None = None
    did: str | None = None
    state: str = "ringing"  # ringing | ivr | queued | talking
    queue: str | None = None
    queued_at: str | None = None
    channels: set[str] = field(default_factory=set)


@dataclass
class Agent:
    interface: str
    name: str
    queues: set[str] = field(default_factory=set)
    device: str = "unknown"
    paused: bool = False
    reason: str = ""
    on_call: str | None = None  # linkedid

    @property
    def state(self) -> str:
        """ready | on_call | wrap_up | not_ready — the words of the domain."""
        if self.on_call:
            return "on_call"
        if self.paused:
            return "not_ready"
        if self.device in ("unavailable", "invalid"):
            return "not_ready"
        return "ready"


class LiveState:
    def __init__(self) -> None:
        self.calls: dict[str, LiveCall] = {}
        self.agents: dict[str, Agent] = {}
        self.version = 0
        # Messages whose dispatch reached nobody, for the dispatcher (set by the dispatch task; not AMI's).
        self.alerts: list[dict] = []
        self._changed = asyncio.Event()
        # The events this state follows, each with its handler.
        self._handlers = {
            "Newchannel": self._newchannel,
            "UserEvent": self._user_event,
            "QueueCallerJoin": self._queue_caller_join,
            "QueueCallerLeave": self._leave_queue,
            "QueueCallerAbandon": self._leave_queue,
            "QueueMemberAdded": self._member,
            "QueueMemberStatus": self._member,
            "QueueMember": self._member,  # QueueStatus's answer, after a reconnect
            "QueueEntry": self._queue_entry,  # ditto: a caller waiting
            "QueueMemberRemoved": self._queue_member_removed,
            "QueueMemberPause": self._queue_member_pause,
            "AgentConnect": self._agent_connect,
            "AgentComplete": self._agent_complete,
            "Hangup": self._hangup,
        }

    def feed(self, event: Mapping[str, str], when: str) -> None:
        before = self.version
        handler = self._handlers.get(event.get("Event", ""))
        if handler is not None:
            handler(event, when)
        if self.version != before:
            self._changed.set()
            self._changed = asyncio.Event()

    def _touch(self) -> None:
        self.version += 1

    def _newchannel(self, e: Mapping[str, str], when: str) -> None:
        linkedid = e.get("Linkedid", "")
        call = self.calls.get(linkedid)
        if call is None:
            call = self.calls[linkedid] = LiveCall(linkedid, when, caller=e.get("CallerIDNum") or None)
        call.channels.add(e.get("Uniqueid", ""))
        self._touch()

    def _user_event(self, e: Mapping[str, str], when: str) -> None:
        call = self.calls.get(e.get("Linkedid", ""))
        if call is None:
            return
        if e.get("UserEvent") == v.CALL_EVENT:
            call.client_code = e.get("Client") or None
            call.did = e.get("DID") or None
            call.state = "ivr" if e.get("Menu") else call.state
            self._touch()

    def _queue_caller_join(self, e: Mapping[str, str], when: str) -> None:
        call = self.calls.get(e.get("Linkedid", ""))
        if call is not None:
            call.state, call.queue, call.queued_at = "queued", e.get("Queue"), when
            self._touch()

    def _queue_entry(self, e: Mapping[str, str], when: str) -> None:
        call = self.calls.get(e.get("Linkedid", ""))
        if call is not None:
            call.state, call.queue = "queued", e.get("Queue")
            call.queued_at = call.queued_at or when
            self._touch()

    def _leave_queue(self, e: Mapping[str, str], when: str) -> None:
        call = self.calls.get(e.get("Linkedid", ""))
        if call is not None and call.state == "queued":
            call.state = "ivr"
            self._touch()

    def _agent(self, e: Mapping[str, str]) -> Agent:
        interface = e.get("Interface") or e.get("StateInterface") or e.get("MemberName", "")
        agent = self.agents.get(interface)
        if agent is None:
            agent = self.agents[interface] = Agent(interface, e.get("MemberName") or interface)
        return agent

    def _member(self, e: Mapping[str, str], when: str) -> None:
        agent = self._agent(e)
        if e.get("Queue"):
            agent.queues.add(e["Queue"])
        agent.device = DEVICE_STATES.get(e.get("Status", ""), agent.device)
        agent.paused = e.get("Paused", "0") == "1"
        agent.reason = e.get("PausedReason", "") if agent.paused else ""
        self._touch()

    def _queue_member_removed(self, e: Mapping[str, str], when: str) -> None:
        agent = self._agent(e)
        agent.queues.discard(e.get("Queue", ""))
        if not agent.queues:
            del self.agents[agent.interface]
        self._touch()

    def _queue_member_pause(self, e: Mapping[str, str], when: str) -> None:
        agent = self._agent(e)
        agent.paused = e.get("Paused", "0") == "1"
        agent.reason = e.get("PausedReason", e.get("Reason", "")) if agent.paused else ""
        self._touch()

    def _agent_connect(self, e: Mapping[str, str], when: str) -> None:
        agent = self._agent(e)
        agent.on_call = e.get("Linkedid")
        call = self.calls.get(e.get("Linkedid", ""))
        if call is not None:
            call.state = "talking"
        self._touch()

    def _agent_complete(self, e: Mapping[str, str], when: str) -> None:
        self._agent(e).on_call = None
        self._touch()

    def _hangup(self, e: Mapping[str, str], when: str) -> None:
        call = self.calls.get(e.get("Linkedid", ""))
        if call is None:
            return
        call.channels.discard(e.get("Uniqueid", ""))
        if not call.channels:
            del self.calls[call.linkedid]
        self._touch()

    def set_alerts(self, alerts: list[dict]) -> None:
        """The open dispatch alerts (store.dispatch.alerts); a change is a new snapshot."""
        if alerts != self.alerts:
            self.alerts = list(alerts)
            self._touch()
            self._changed.set()
            self._changed = asyncio.Event()

    def reset(self, calls: Iterable[CallState]) -> None:
        """After a reconnect: the calls are those the tracker knows now; agents come back from QueueStatus."""
        self.calls = {
            c.linkedid: LiveCall(c.linkedid, c.started_at, caller=c.caller_number, client_code=c.client_code,
                                 did=c.did, state="ivr" if c.menu else "ringing", channels=set(c.channels))
            for c in calls
        }
        self.agents = {}
        self._touch()
        self._changed.set()
        self._changed = asyncio.Event()

    def snapshot(self) -> dict:
        """Calls, queues (callers waiting, oldest first) and agents, as plain data."""
        queues: dict[str, list[dict]] = {}
        for call in sorted(self.calls.values(), key=lambda c: c.queued_at or ""):
            if call.state == "queued" and call.queue:
                queues.setdefault(call.queue, []).append(
                    {"linkedid": call.linkedid, "caller": call.caller, "client_code": call.client_code,
                     "queued_at": call.queued_at})
        return {
            "version": self.version,
            "calls": [{k: val for k, val in asdict(c).items() if k != "channels"} for c in self.calls.values()],
            "queues": queues,
            "alerts": self.alerts,
            "agents": [{"interface": a.interface, "name": a.name, "state": a.state, "queues": sorted(a.queues),
                        "reason": a.reason, "call": a.on_call} for a in self.agents.values()],
        }

    async def changed(self, since: int, timeout: float) -> bool:
        """Wait until the state moves past version `since` (False on timeout)."""
        if self.version > since:
            return True
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True
