"""Which AMI events make a call's timeline, and what each keeps: what a supervisor reading the call
afterwards needs (who rang, who answered, transfers, who hung up), not Asterisk's every state change."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ivr import variables as v

Detail = dict[str, str]


def _pick(event: Mapping[str, str], **names: str) -> Detail:
    """detail key → AMI header, keeping only the headers that carry something."""
    out = {}
    for key, header in names.items():
        value = event.get(header, "")
        if value and value != "<unknown>":
            out[key] = value
    return out


def agent_id(interface: str) -> str:
    """The agent's extension from a queue member interface (PJSIP/101 → 101)."""
    return interface.rpartition("/")[2]


def _user_event(event: Mapping[str, str]) -> tuple[str, Detail] | None:
    name = event.get("UserEvent")
    if name == v.CALL_EVENT:
        return "routed", _pick(event, status="Status", client="Client", did="DID", menu="Menu")
    if name == v.IVR_EVENT:
        return "ivr_exit", _pick(event, action="Action", target="Target", closed="Closed", checkin="Checkin")
    if name == v.OVERFLOW_EVENT:
        return "overflow", _pick(event, queue="Queue", reason="Reason", action="Action", target="Target")
    if name == v.CALLBACK_EVENT:
        return "callback", _pick(event, of="Of", request="Request", attempt="Attempt", status="Status")
    if name == v.ONCALL_EVENT:  # the on-call hand-off: who, which number, what came of it
        return "oncall", _pick(event, status="Status", contact="Contact", name="Name", number="Number")
    return None


def _agent(event: Mapping[str, str], kind: str, **more: str) -> tuple[str, Detail]:
    detail = _pick(event, queue="Queue", name="MemberName", **more)
    detail["agent"] = agent_id(event.get("Interface", ""))
    return kind, detail


_KINDS: dict[str, Callable[[Mapping[str, str]], tuple[str, Detail] | None]] = {
    "Newchannel": lambda e: ("channel", _pick(e, number="CallerIDNum", name="CallerIDName", exten="Exten")),
    "UserEvent": _user_event,
    "QueueCallerJoin": lambda e: ("queue_joined", _pick(e, queue="Queue", position="Position")),
    "AgentCalled": lambda e: _agent(e, "agent_ringing"),
    "AgentRingNoAnswer": lambda e: _agent(e, "agent_no_answer", ring_s="RingTime"),
    "AgentConnect": lambda e: _agent(e, "agent_answered", hold_s="HoldTime"),
    "AgentComplete": lambda e: _agent(e, "agent_completed", talk_s="TalkTime", reason="Reason"),
    "QueueCallerAbandon": lambda e: ("queue_abandoned", _pick(e, queue="Queue", position="Position",
                                                              hold_s="HoldTime")),
    "BlindTransfer": lambda e: ("blind_transfer", _pick(e, by="TransfererChannel", to="Extension",
                                                        result="Result")),
    "AttendedTransfer": lambda e: ("attended_transfer", _pick(e, by="OrigTransfererChannel",
                                                              to="TransferTargetChannel", result="Result")),
    "DialBegin": lambda e: ("dial", _pick(e, to="DestChannel", dialstring="DialString")),
    "DialEnd": lambda e: ("dial_end", _pick(e, to="DestChannel", status="DialStatus")),
    "MixMonitorStart": lambda e: ("recording_started", {}),
    "MixMonitorStop": lambda e: ("recording_stopped", {}),
    "HangupRequest": lambda e: ("hangup_request", {}),
    "Hangup": lambda e: ("hangup", _pick(e, cause="Cause", cause_text="Cause-txt", source="HangupSource")),
}


def timeline_entry(event: Mapping[str, str]) -> tuple[str, Detail] | None:
    """(kind, detail) when the event belongs on the timeline, else None."""
    if event.get("Channel", "").startswith("Local/"):
        return None  # Asterisk's internal legs (an attended transfer's dialling): no person there
    kind = _KINDS.get(event.get("Event", ""))
    return kind(event) if kind is not None else None
