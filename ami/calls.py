"""Following calls by linkedid: AMI events in, finished calls out. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ivr import variables as v
from store import CallEvent, CallRecord, RecordingRecord
from store.clock import iso, parse_iso

from .timeline import agent_id, timeline_entry

UP = "6"  # ChannelState of an answered channel
# Not an AMI event: ami/cel.py's name for CEL's LINKEDID_END, the end of the whole conversation, which
# closes the call even when a channel's hang-up is missing.
LINKEDID_END = "LinkedidEnd"


@dataclass
class CallState:
    linkedid: str
    started_at: str
    caller_number: str | None = None
    caller_name: str | None = None
    dialled: str | None = None
    answered_at: str | None = None
    client_code: str | None = None
    did: str | None = None
    dnis_status: str | None = None
    recording_file: str | None = None
    menu: str | None = None  # the entry menu, when the call went into the IVR
    ivr_action: str | None = None  # where the IVR sent the caller (ivr.steps.Exit.action)
    closed: bool = False  # a time condition found the client closed
    overflow: str | None = None  # why the caller last overflowed from a queue (QUEUESTATUS, or CALLBACK)
    callback_of: str | None = None  # a callback's conversation: the call the caller asked from
    queue: str | None = None
    queued_at: str | None = None
    left_queue_at: str | None = None  # left the queue unanswered (abandoned, timed out)
    in_queue: bool = False
    queue_joins: int = 0
    agent: str | None = None  # the agent who answered from the queue (extension)
    agent_answered_at: str | None = None
    hangup_side: str | None = None  # who asked first to end the conversation since the last transfer
    transfers: int = 0
    hangup_cause: int | None = None
    recovered: bool = False  # (partly) rebuilt from CEL rather than followed on AMI (ami/reconcile.py)
    channels: set[str] = field(default_factory=set)
    events: list[CallEvent] = field(default_factory=list)

    @property
    def disposition(self) -> str:
        if self.dnis_status in (v.DNIS_UNKNOWN, v.DNIS_INVALID):
            return "unknown_did"
        if self.ivr_action == "fallback" or self.answered_at is None:
            return "failed"
        if self.agent_answered_at is not None:
            return "answered"  # a person took the call, whatever the hour
        if self.callback_of is not None:
            return "failed"  # a callback that never reached its caller
        if self.ivr_action in ("voicemail", "oncall", "callback"):
            return "voicemail"  # a message, or the caller's number left to be called back
        if self.overflow and self.ivr_action == "hangup":
            return "failed"  # the queue could not take the call and hung up
        if self.closed:
            return "closed_hours"
        if self.ivr_action == "queue":
            return "abandoned_queue"
        if self.menu and self.ivr_action is None:
            return "abandoned_ivr"
        return "answered"


@dataclass(frozen=True)
class FinishedCall:
    state: CallState
    ended_at: str


def event_time(event: Mapping[str, str], fallback: datetime) -> str:
    """The event's own time (manager.conf timestampevents=yes), else when it was received."""
    stamp = event.get("Timestamp")
    if stamp:
        try:
            return iso(datetime.fromtimestamp(float(stamp), UTC))
        except (ValueError, OverflowError):
            pass  # a malformed stamp is not worth losing the event for; use the fallback
    return iso(fallback)


def _clean(value: str | None) -> str | None:
    if value is None or value in ("", "<unknown>"):
        return None
    return value


class CallTracker:
    """Live calls by linkedid; `feed` returns the calls that the event finished."""

    def __init__(self) -> None:
        self.calls: dict[str, CallState] = {}

    def feed(self, event: Mapping[str, str], received: datetime) -> list[FinishedCall]:
        name = event.get("Event", "")
        # Transfers name their channels' linkedids with prefixes; the caller's (transferee's) is the call.
        linkedid = event.get("Linkedid") or event.get("TransfereeLinkedid")
        if not linkedid:
            return []
        if name == "Newchannel":
            when = event_time(event, received)
            call = self.calls.get(linkedid)
            if call is None and event.get("Exten", "").startswith(v.FEATURE_CODE_PREFIX):
                return []  # an agent's feature code: not a conversation, not in the history
            if call is None:
                call = self.calls[linkedid] = CallState(
                    linkedid=linkedid,
                    started_at=when,
                    caller_number=_clean(event.get("CallerIDNum")),
                    caller_name=_clean(event.get("CallerIDName")),
                    dialled=_clean(event.get("Exten")),
                )
            call.channels.add(event.get("Uniqueid", ""))
            _note(call, event, when)
            return []
        call = self.calls.get(linkedid)
        if call is None:
            return []  # a call that started before we listened: reconciled from CEL (AMI issue)
        if name == LINKEDID_END:
            del self.calls[linkedid]
            return [FinishedCall(call, event_time(event, received))]
        handler = _HANDLERS.get(name)
        if handler is None:
            return []  # most of the stream: nothing to keep, no time converted
        when = event_time(event, received)
        handler(call, event, when)
        if name != "Hangup":
            if not (call.in_queue and name in ("DialBegin", "DialEnd")):  # the queue's dials: AgentCalled says it
                _note(call, event, when)
            return []
        _note(call, event, when)
        uniqueid = event.get("Uniqueid", "")
        call.channels.discard(uniqueid)
        if not call.channels:
            del self.calls[linkedid]
            return [FinishedCall(call, when)]
        return []


def _note(call: CallState, event: Mapping[str, str], when: str) -> None:
    entry = timeline_entry(event)
    if entry is not None:
        kind, detail = entry
        call.events.append(CallEvent(when, kind, _clean(event.get("Channel")), detail))


def _newstate(call: CallState, event: Mapping[str, str], when: str) -> None:
    if event.get("ChannelState") == UP and call.answered_at is None:
        call.answered_at = when


def _user_event(call: CallState, event: Mapping[str, str], when: str) -> None:
    kind = event.get("UserEvent")
    if kind == v.CALL_EVENT:
        call.dnis_status = _clean(event.get("Status"))
        call.client_code = _clean(event.get("Client"))
        call.did = _clean(event.get("DID"))
        call.recording_file = _clean(event.get("Recording"))
        call.menu = _clean(event.get("Menu"))
    elif kind == v.IVR_EVENT:
        call.ivr_action = _clean(event.get("Action"))
        call.closed = call.closed or event.get("Closed") == "1"
        if call.ivr_action == "queue" and call.queue is None:
            # The dialplan goes straight to Queue(): what CEL (no queue events) knows of the queue.
            call.queue, call.queued_at = _clean(event.get("Target")), when
    elif kind == v.OVERFLOW_EVENT:
        call.ivr_action = _clean(event.get("Action"))
        call.overflow = _clean(event.get("Reason"))
        if call.ivr_action == "queue":
            call.queue = _clean(event.get("Target")) or call.queue  # CEL has no QueueCallerJoin
    elif kind == v.CALLBACK_EVENT:
        call.callback_of = _clean(event.get("Of"))
        if event.get("Status") == "AGENT" and call.agent is None:
            call.agent = _clean(agent_id(event.get("Channel", "").rpartition("-")[0]))
        elif event.get("Status") == "ANSWER" and call.agent_answered_at is None:
            call.agent_answered_at = when  # CEL's only word of the caller answering (AMI: DialEnd)
    elif kind == v.ONCALL_EVENT and event.get("Status") == "answered" and call.agent_answered_at is None:
        call.agent_answered_at = when  # the on-call contact took the call (ami/timeline.py keeps who)


def _queue_join(call: CallState, event: Mapping[str, str], when: str) -> None:
    # Back after the callback offer, or overflowed to another queue: the wait counts from the first join.
    # (The IVR event's time is only CEL's stand-in for the first join.)
    call.queue, call.in_queue, call.left_queue_at = _clean(event.get("Queue")), True, None
    call.queued_at = call.queued_at if call.queue_joins else when
    call.queue_joins += 1


def _dial_end(call: CallState, event: Mapping[str, str], when: str) -> None:
    # A callback's conversation begins when the caller answers the agent's call.
    if call.callback_of is not None and event.get("DialStatus") == "ANSWER" and call.agent_answered_at is None:
        call.agent_answered_at = when


def _queue_leave(call: CallState, event: Mapping[str, str], when: str) -> None:
    if call.in_queue and call.agent_answered_at is None:
        call.left_queue_at = when
    call.in_queue = False


def _agent_connect(call: CallState, event: Mapping[str, str], when: str) -> None:
    call.in_queue = False
    if call.agent_answered_at is None:
        call.agent_answered_at = when
        interface = event.get("Interface") or event.get("Peer", "").rpartition("-")[0]
        call.agent = _clean(agent_id(interface)) if interface else None
        call.left_queue_at = None


def _transfer(call: CallState, event: Mapping[str, str], when: str) -> None:
    if event.get("Result") == "Success":
        call.transfers += 1
        call.hangup_side = None  # the conversation goes on with someone else: who ends it is yet to come


def _hangup_request(call: CallState, event: Mapping[str, str], when: str) -> None:
    # HangupRequest is a party's own hang-up (a BYE); Asterisk's own ending is a SoftHangupRequest.
    if call.hangup_side is None and not event.get("Channel", "").startswith("Local/"):
        call.hangup_side = "caller" if event.get("Uniqueid") == call.linkedid else "agent"


def _hangup(call: CallState, event: Mapping[str, str], when: str) -> None:
    uniqueid = event.get("Uniqueid", "")
    if uniqueid == call.linkedid or call.hangup_cause is None:
        try:
            call.hangup_cause = int(event.get("Cause", ""))
        except ValueError:
            call.hangup_cause = None
    source = event.get("HangupSource")  # CEL's hangupsource: the channel that ended it, or the dialplan
    if source and uniqueid == call.linkedid and call.hangup_side is None:
        caller_channel = event.get("Channel", "")
        call.hangup_side = ("system" if source.startswith("dialplan/") else
                            "caller" if source == caller_channel else "agent")


_HANDLERS: dict[str, Callable[[CallState, Mapping[str, str], str], None]] = {
    "Newstate": _newstate,
    "UserEvent": _user_event,
    "QueueCallerJoin": _queue_join,
    "QueueCallerAbandon": _queue_leave,
    "QueueCallerLeave": _queue_leave,
    "AgentConnect": _agent_connect,
    "BlindTransfer": _transfer,
    "AttendedTransfer": _transfer,
    "HangupRequest": _hangup_request,
    "Hangup": _hangup,
    # Timeline only.
    "AgentCalled": lambda call, event, when: None,
    "AgentRingNoAnswer": lambda call, event, when: None,
    "AgentComplete": lambda call, event, when: None,
    "DialBegin": lambda call, event, when: None,
    "DialEnd": _dial_end,
    "MixMonitorStart": lambda call, event, when: None,
    "MixMonitorStop": lambda call, event, when: None,
}


def _seconds(start: str | None, end: str | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, (parse_iso(end) - parse_iso(start)).total_seconds()), 3)


def call_record(finished: FinishedCall, recordings: tuple[RecordingRecord, ...] = ()) -> CallRecord:
    """The row of a finished call: what the listener writes and what a replay of its events gives.

    wait_s: from joining the queue to an agent answering, or to leaving the queue unanswered (or to
    the end, if the call ended in the queue); talk_s: from the agent answering to the end of the
    conversation, transfers included; hang-up side: who hung up first after the last transfer
    (caller, agent — whoever answered — or system when Asterisk ended it)."""
    s, ended = finished.state, finished.ended_at
    wait_end = s.agent_answered_at or s.left_queue_at or ended
    return CallRecord(
        linkedid=s.linkedid, client_code=s.client_code, did=s.did, dialled=s.dialled,
        caller_number=s.caller_number, caller_name=s.caller_name, started_at=s.started_at,
        answered_at=s.answered_at, ended_at=ended, duration_s=_seconds(s.started_at, ended),
        disposition=s.disposition, hangup_cause=s.hangup_cause, queue=s.queue, agent=s.agent,
        queued_at=s.queued_at, wait_s=_seconds(s.queued_at, wait_end) if s.queued_at else None,
        talk_s=_seconds(s.agent_answered_at, ended), hangup_side=s.hangup_side or "system",
        transfers=s.transfers, recovered=s.recovered, recordings=recordings, events=tuple(s.events),
    )
