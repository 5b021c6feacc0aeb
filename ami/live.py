"""Live state for supervisors: calls in progress, callers waiting in each queue, agents' states.

Fed the same ordered AMI events as the call tracker; kept in memory only. Readers take a snapshot
(plain JSON-able data) and may wait for the next change (the web app's SSE stream). Agents' states
come from ami.agent_states; `feed` and `expire` hand their changes back for the store's timeline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime

from ivr import variables as v
from store.agent_states import StateChange

from .agent_states import AgentTracker
from .calls import CallState

DEFAULT_WRAP_UP_S = 5.0  # store.queues' default wrapuptime

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


class LiveState:
    def __init__(self, wrap_up_s: Callable[[str], float] = lambda queue: DEFAULT_WRAP_UP_S) -> None:
        self.calls: dict[str, LiveCall] = {}
        self.agents = AgentTracker(wrap_up_s)
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
            "QueueEntry": self._queue_entry,  # QueueStatus's answer after a reconnect: a caller waiting
            "AgentConnect": self._agent_connect,
            "Hangup": self._hangup,
        }

    def feed(self, event: Mapping[str, str], when: str) -> list[StateChange]:
        """Follow one event; the agents' state changes it caused."""
        before = self.version
        handler = self._handlers.get(event.get("Event", ""))
        if handler is not None:
            handler(event, when)
        changes = self.agents.feed(event, when)
        if changes:
            self._touch()
        self._wake(before)
        return changes

    def expire(self, now: datetime) -> list[StateChange]:
        """Wrap-ups that are over (ami.agent_states); the listener calls it at their deadline."""
        before = self.version
        changes = self.agents.expire(now)
        if changes:
            self._touch()
        self._wake(before)
        return changes

    def _wake(self, before: int) -> None:
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

    def _agent_connect(self, e: Mapping[str, str], when: str) -> None:
        call = self.calls.get(e.get("Linkedid", ""))
        if call is not None:
            call.state = "talking"
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
        """After a reconnect: the calls are those the tracker knows now; agents come back from QueueStatus
        (between agents.begin_resync and agents.end_resync, which the listener calls)."""
        self.calls = {
            c.linkedid: LiveCall(c.linkedid, c.started_at, caller=c.caller_number, client_code=c.client_code,
                                 did=c.did, state="ivr" if c.menu else "ringing", channels=set(c.channels))
            for c in calls
        }
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
            "agents": [{"agent_id": a.agent_id, "interface": f"PJSIP/{a.agent_id}", "name": a.name,
                        "state": a.current.state, "since": a.current.at, "reason": a.current.reason or "",
                        "queues": sorted(a.queues), "call": a.current.linkedid}
                       for a in sorted(self.agents.agents.values(), key=lambda a: a.agent_id)
                       if a.current is not None and a.current.state != "logged_out"],
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
