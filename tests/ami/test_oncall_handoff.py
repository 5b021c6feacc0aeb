"""The on-call hand-off as CallTracker reads it (etc/asterisk/extensions.conf, ivr-oncall): PermanenceOncall
dialling from the caller's channel, then answered from the contact's channel (Dial's U routine), or the
DIALSTATUS of a call nobody took. A connected hand-off is answered by a person; one nobody took is a message;
the timeline says who was on call, the number and what came of it."""

from __future__ import annotations

from datetime import UTC, datetime

from ami import CallTracker
from ami.calls import call_record
from ivr import variables as v

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CALLER = "1795435200.1"
CONTACT = "1795435200.2"
STAMP = 1795435200.0


def ev(name: str, at: float, uniqueid: str = CALLER, channel: str = "PJSIP/carrier-00000001",
       **fields: str) -> dict[str, str]:
    return {"Event": name, "Linkedid": CALLER, "Uniqueid": uniqueid, "Channel": channel,
            "Timestamp": f"{STAMP + at:.3f}", **fields}


def oncall(at: float, status: str, uniqueid: str = CALLER, **fields: str) -> dict[str, str]:
    channel = "PJSIP/carrier-00000002" if uniqueid == CONTACT else "PJSIP/carrier-00000001"
    return ev("UserEvent", at, uniqueid, channel, UserEvent=v.ONCALL_EVENT, Status=status, **fields)


def up_to_the_dial() -> list[dict[str, str]]:
    return [
        ev("Newchannel", 0.0, CallerIDNum="5145551234", CallerIDName="Test", Exten="5145550100"),
        ev("UserEvent", 0.1, UserEvent=v.CALL_EVENT, Status="found", Client="1000", DID="+15145550100",
           Recording=f"1000/2026/11/23/{CALLER}", Menu="oncall-line"),
        ev("Newstate", 0.2, ChannelState="6"),
        ev("UserEvent", 5.0, UserEvent=v.IVR_EVENT, Action="oncall", Target="1000-oncall", Closed="0"),
        oncall(5.1, "dialling", Contact="7", Name="Ben Caron", Number="+15145550172"),
        ev("Newchannel", 6.0, CONTACT, "PJSIP/carrier-00000002", CallerIDNum="+15145550100", Exten="s"),
        ev("DialBegin", 6.0, DestChannel="PJSIP/carrier-00000002",
           DialString="carrier/sip:+15145550172@127.0.0.1:5099"),
    ]


def feed(events: list[dict[str, str]]):
    tracker = CallTracker()
    finished = []
    for event in events:
        finished += tracker.feed(event, T0)
    assert tracker.calls == {}
    [call] = finished
    return call_record(call)


def test_a_connected_hand_off_is_answered_by_the_contact_who_hung_up_first():
    record = feed([
        *up_to_the_dial(),
        ev("Newstate", 9.0, CONTACT, "PJSIP/carrier-00000002", ChannelState="6"),
        oncall(9.1, "answered", CONTACT),
        ev("DialEnd", 9.2, DestChannel="PJSIP/carrier-00000002", DialStatus="ANSWER"),
        ev("HangupRequest", 40.0, CONTACT, "PJSIP/carrier-00000002"),
        ev("Hangup", 40.1, CONTACT, "PJSIP/carrier-00000002", Cause="16"),
        ev("Hangup", 40.2, Cause="16"),
    ])
    assert record.disposition == "answered"
    assert record.talk_s == 31.1  # from the contact's answer to the end
    assert record.hangup_side == "agent"  # whoever answered: the on-call contact
    assert record.agent is None and record.queue is None  # no agent of ours took it
    handoff = [(e.kind, e.detail) for e in record.events if e.kind == "oncall"]
    assert handoff == [
        ("oncall", {"status": "dialling", "contact": "7", "name": "Ben Caron", "number": "+15145550172"}),
        ("oncall", {"status": "answered"}),
    ]
    assert ("dial_end", {"to": "PJSIP/carrier-00000002", "status": "ANSWER"}) in \
        [(e.kind, e.detail) for e in record.events]


def test_a_hand_off_nobody_takes_is_a_message():
    record = feed([
        *up_to_the_dial(),
        ev("Hangup", 16.0, CONTACT, "PJSIP/carrier-00000002", Cause="19"),
        ev("DialEnd", 16.0, DestChannel="PJSIP/carrier-00000002", DialStatus="NOANSWER"),
        oncall(16.1, "NOANSWER", Contact="7", Number="+15145550172"),
        ev("HangupRequest", 30.0),
        ev("Hangup", 30.1, Cause="16"),
    ])
    assert record.disposition == "voicemail"
    assert record.talk_s is None and record.hangup_side == "caller"
    assert [e.detail["status"] for e in record.events if e.kind == "oncall"] == ["dialling", "NOANSWER"]


def test_nobody_on_call_is_a_message_and_said_so():
    record = feed([
        *up_to_the_dial()[:4],
        oncall(5.1, "nobody"),
        ev("Hangup", 30.1, Cause="16"),
    ])
    assert record.disposition == "voicemail"
    assert [e.detail for e in record.events if e.kind == "oncall"] == [{"status": "nobody"}]
