"""Agents' states from the AMI stream: ready, ringing, on call, wrap-up, not ready (reason), logged out.

Pure: events and times in, state changes out. An agent is a queue member whose interface is
PJSIP/<extension>; it may be a member of several queues, its state is one. What decides it, first
match wins:

- logged_out: a member of no queue (QueueMemberRemoved of its last one);
- on_call: between AgentConnect and AgentComplete of a queue call;
- ringing: from AgentCalled until that call is answered (by it or anyone: ringall), not answered
  (AgentRingNoAnswer) or leaves the queue;
- wrap_up: app_queue's wrapuptime after AgentComplete (Asterisk reports no end: a deadline here,
  passed by `expire`);
- on_call / ringing as well when the phone is in use / rings outside a queue call (a transfer to it);
- not_ready: paused (QueueMemberPause, reason = PausedReason), or the phone is unreachable
  (device unavailable or invalid: reason "unavailable");
- ready otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from store.agent_states import StateChange
from store.clock import iso, parse_iso

# QueueMemberStatus Status (devicestate): what the agent's phone is doing.
DEVICE_STATES = {
    "0": "unknown", "1": "not_in_use", "2": "in_use", "3": "busy", "4": "invalid", "5": "unavailable",
    "6": "ringing", "7": "ringinuse", "8": "onhold",
}
BUSY_DEVICE = ("in_use", "busy", "onhold", "ringinuse")
OFFLINE_DEVICE = ("unavailable", "invalid")
UNAVAILABLE = "unavailable"  # the not-ready reason of a phone Asterisk cannot reach
INTERFACE_PREFIX = "PJSIP/"


def agent_of(event: Mapping[str, str]) -> str | None:
    """The agent's extension from the member's interface (PJSIP/101 → 101); None for anything else."""
    interface = event.get("Interface") or event.get("Location") or event.get("StateInterface") or ""
    if not interface.startswith(INTERFACE_PREFIX):
        return None
    agent_id = interface[len(INTERFACE_PREFIX):]
    return agent_id if agent_id.isdigit() else None


@dataclass
class AgentStatus:
    agent_id: str
    name: str = ""
    queues: set[str] = field(default_factory=set)
    device: str = "unknown"
    paused: bool = False
    reason: str = ""
    ringing: dict[str, str] = field(default_factory=dict)  # linkedid → queue
    rang: tuple[str, str] | None = None  # the queue call it was rung for, until answered, refused or idle
    call: str | None = None  # the queue call it is on (linkedid)
    call_queue: str | None = None
    wrap_up_until: datetime | None = None
    wrap_up_call: str | None = None
    wrap_up_queue: str | None = None
    current: StateChange | None = None  # the state as last reported

    def derive(self) -> tuple[str, str | None, str | None, str | None]:
        """(state, reason, linkedid, queue) from what is known now."""
        if not self.queues:
            return "logged_out", None, None, None
        if self.call is not None:
            return "on_call", None, self.call, self.call_queue
        if self.ringing:
            linkedid, queue = next(iter(self.ringing.items()))
            return "ringing", None, linkedid, queue
        if self.wrap_up_until is not None:
            return "wrap_up", None, self.wrap_up_call, self.wrap_up_queue
        # Between the caller leaving the queue (QueueCallerLeave) and AgentConnect, the phone's own state
        # (ringing, then in use) may come first: it is still that queue call.
        linkedid, queue = self.rang or (None, None)
        if self.device in BUSY_DEVICE:
            return "on_call", None, linkedid, queue
        if self.device == "ringing":
            return "ringing", None, linkedid, queue
        if self.paused:
            return "not_ready", self.reason or None, None, None
        if self.device in OFFLINE_DEVICE:
            return "not_ready", UNAVAILABLE, None, None
        return "ready", None, None, None


class AgentTracker:
    """Agents by extension; `feed` and `expire` return the state changes they caused."""

    def __init__(self, wrap_up_s: Callable[[str], float]) -> None:
        self.wrap_up_s = wrap_up_s  # a queue's wrapuptime (seconds), as its configuration renders it
        self.agents: dict[str, AgentStatus] = {}
        self._resync: set[str] | None = None
        self._handlers: dict[str, Callable[[AgentStatus, Mapping[str, str], datetime], None]] = {
            "QueueMemberAdded": self._member,
            "QueueMember": self._member,  # QueueStatus's answer, after a reconnect
            "QueueMemberStatus": self._member,
            "QueueMemberRemoved": self._removed,
            "QueueMemberPause": self._pause,
            "AgentCalled": self._called,
            "AgentRingNoAnswer": self._no_answer,
            "AgentConnect": self._connect,
            "AgentComplete": self._complete,
        }

    def feed(self, event: Mapping[str, str], when: str) -> list[StateChange]:
        name = event.get("Event", "")
        if name in ("QueueCallerLeave", "QueueCallerAbandon"):
            return self._caller_left(event.get("Linkedid", ""), when)
        handler = self._handlers.get(name)
        agent_id = agent_of(event) if handler is not None else None
        if handler is None or agent_id is None:
            return []
        agent = self.agents.get(agent_id)
        if agent is None:
            agent = self.agents[agent_id] = AgentStatus(agent_id)
        if self._resync is not None:
            self._resync.add(agent_id)
        agent.name = event.get("MemberName") or event.get("Name") or agent.name
        at = parse_iso(when)
        handler(agent, event, at)
        changes = self._settle(agent, at)
        if name == "AgentConnect":  # ringall: the others that rang for this call stop ringing
            changes += self._caller_left(event.get("Linkedid", ""), when)
        return changes

    def expire(self, now: datetime) -> list[StateChange]:
        """Wrap-ups whose time is up end at their deadline, not when this is called."""
        changes = []
        for agent in self.agents.values():
            if agent.wrap_up_until is not None and agent.wrap_up_until <= now:
                until = agent.wrap_up_until
                agent.wrap_up_until = agent.wrap_up_call = agent.wrap_up_queue = None
                changes += self._settle(agent, until)
        return changes

    def next_deadline(self) -> datetime | None:
        deadlines = [a.wrap_up_until for a in self.agents.values() if a.wrap_up_until is not None]
        return min(deadlines) if deadlines else None

    def begin_resync(self) -> None:
        """A reconnect: QueueStatus's members follow; agents it does not name are logged out."""
        self._resync = set()

    def end_resync(self, when: str) -> list[StateChange]:
        seen, self._resync = self._resync or set(), None
        changes = []
        for agent in self.agents.values():
            if agent.agent_id not in seen:
                agent.queues.clear()
            if agent.agent_id not in seen or agent.call is not None:
                # What a call did while we were away is unknown: its end was missed if it has one.
                agent.call = agent.call_queue = None
                agent.ringing.clear()
            changes += self._settle(agent, parse_iso(when))
        return changes

    def _settle(self, agent: AgentStatus, at: datetime) -> list[StateChange]:
        state, reason, linkedid, queue = agent.derive()
        current = agent.current
        if current is not None and (current.state, current.reason, current.linkedid) == (state, reason, linkedid):
            return []
        agent.current = StateChange(agent.agent_id, state, iso(at), reason, linkedid, queue)
        return [agent.current]

    def _caller_left(self, linkedid: str, when: str) -> list[StateChange]:
        changes = []
        for agent in self.agents.values():
            if agent.ringing.pop(linkedid, None) is not None:
                changes += self._settle(agent, parse_iso(when))
        return changes

    def _member(self, agent: AgentStatus, e: Mapping[str, str], at: datetime) -> None:
        if e.get("Queue"):
            agent.queues.add(e["Queue"])
        agent.device = DEVICE_STATES.get(e.get("Status", ""), agent.device)
        if agent.device not in ("ringing", *BUSY_DEVICE):
            agent.rang = None
        if "Paused" in e:
            agent.paused = e["Paused"] == "1"
            agent.reason = e.get("PausedReason", "") if agent.paused else ""

    def _removed(self, agent: AgentStatus, e: Mapping[str, str], at: datetime) -> None:
        agent.queues.discard(e.get("Queue", ""))
        if not agent.queues:
            agent.paused, agent.reason, agent.wrap_up_until = False, "", None

    def _pause(self, agent: AgentStatus, e: Mapping[str, str], at: datetime) -> None:
        agent.paused = e.get("Paused", "0") == "1"
        agent.reason = (e.get("PausedReason") or e.get("Reason") or "") if agent.paused else ""

    def _called(self, agent: AgentStatus, e: Mapping[str, str], at: datetime) -> None:
        agent.ringing[e.get("Linkedid", "")] = e.get("Queue", "")
        agent.rang = (e.get("Linkedid", ""), e.get("Queue", ""))

    def _no_answer(self, agent: AgentStatus, e: Mapping[str, str], at: datetime) -> None:
        agent.ringing.pop(e.get("Linkedid", ""), None)
        agent.rang = None

    def _connect(self, agent: AgentStatus, e: Mapping[str, str], at: datetime) -> None:
        agent.ringing.pop(e.get("Linkedid", ""), None)
        agent.rang = None
        agent.call, agent.call_queue = e.get("Linkedid") or None, e.get("Queue") or None
        agent.wrap_up_until = None

    def _complete(self, agent: AgentStatus, e: Mapping[str, str], at: datetime) -> None:
        queue = e.get("Queue") or agent.call_queue or ""
        linkedid = e.get("Linkedid") or agent.call
        agent.call = agent.call_queue = agent.rang = None
        wrap = self.wrap_up_s(queue)
        if wrap > 0:
            agent.wrap_up_until = at + timedelta(seconds=wrap)
            agent.wrap_up_call, agent.wrap_up_queue = linkedid, queue or None
