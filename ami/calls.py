"""Following calls by linkedid: AMI events in, finished calls out. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ivr import variables as v
from store.clock import iso

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
    agent_answered_at: str | None = None
    hangup_cause: int | None = None
    recovered: bool = False  # (partly) rebuilt from CEL rather than followed on AMI (ami/reconcile.py)
    channels: set[str] = field(default_factory=set)

    @property
    def disposition(self) -> str:
        if self.dnis_status in (v.DNIS_UNKNOWN, v.DNIS_INVALID):
            return "unknown_did"
        if self.ivr_action == "fallback" or self.answered_at is None:
            return "failed"
        if self.agent_answered_at is not None:
            return "answered"  # a person took the call, whatever the hour
        if self.ivr_action in ("voicemail", "oncall"):
            return "voicemail"
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
        linkedid = event.get("Linkedid")
        if not linkedid:
            return []
        if name == "Newchannel":
            when = event_time(event, received)
            call = self.calls.get(linkedid)
            if call is None:
                call = self.calls[linkedid] = CallState(
                    linkedid=linkedid,
                    started_at=when,
                    caller_number=_clean(event.get("CallerIDNum")),
                    caller_name=_clean(event.get("CallerIDName")),
                    dialled=_clean(event.get("Exten")),
                )
            call.channels.add(event.get("Uniqueid", ""))
            return []
        call = self.calls.get(linkedid)
        if call is None:
            return []  # a call that started before we listened: reconciled from CEL (AMI issue)
        if name == LINKEDID_END:
            del self.calls[linkedid]
            return [FinishedCall(call, event_time(event, received))]
        # Times are converted only for the events that keep one (a third of the stream's cost otherwise).
        if name == "Newstate" and event.get("ChannelState") == UP and call.answered_at is None:
            call.answered_at = event_time(event, received)
        elif name == "UserEvent" and event.get("UserEvent") == v.CALL_EVENT:
            call.dnis_status = _clean(event.get("Status"))
            call.client_code = _clean(event.get("Client"))
            call.did = _clean(event.get("DID"))
            call.recording_file = _clean(event.get("Recording"))
            call.menu = _clean(event.get("Menu"))
        elif name == "UserEvent" and event.get("UserEvent") == v.IVR_EVENT:
            call.ivr_action = _clean(event.get("Action"))
            call.closed = call.closed or event.get("Closed") == "1"
        elif name == "AgentConnect" and call.agent_answered_at is None:
            call.agent_answered_at = event_time(event, received)
        elif name == "Hangup":
            uniqueid = event.get("Uniqueid", "")
            if uniqueid == linkedid or call.hangup_cause is None:
                try:
                    call.hangup_cause = int(event.get("Cause", ""))
                except ValueError:
                    call.hangup_cause = None
            call.channels.discard(uniqueid)
            if not call.channels:
                del self.calls[linkedid]
                return [FinishedCall(call, event_time(event, received))]
        return []
