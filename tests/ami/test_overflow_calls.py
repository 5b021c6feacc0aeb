"""The call row through overflow and callback, from the events the dialplan and app_queue send: the
overflow on the timeline, the disposition it leads to, the wait counted from the first queue joined,
and a callback's conversation timed from the caller answering (or failed when they did not)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ami.calls import CallTracker, call_record

T0 = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
BASE = 1796482800.0  # seconds since the epoch: the events' own time


def ev(name: str, at: float, linkedid: str = "1.1", **fields: str) -> dict[str, str]:
    return {"Event": name, "Linkedid": linkedid, "Timestamp": f"{BASE + at:.3f}", **fields}


def start(linkedid: str = "1.1") -> list[dict[str, str]]:
    return [ev("Newchannel", 0, linkedid, Uniqueid=linkedid, Channel="PJSIP/carrier-1", CallerIDNum="5145551234"),
            ev("UserEvent", 0.1, linkedid, UserEvent="PermanenceCall", Status="found", Client="1000", Menu="demo"),
            ev("Newstate", 0.2, linkedid, Uniqueid=linkedid, ChannelState="6"),
            ev("UserEvent", 5, linkedid, UserEvent="PermanenceIvr", Action="queue", Target="a")]


def overflow(at: float, reason: str, action: str, target: str = "", queue: str = "a") -> dict[str, str]:
    return ev("UserEvent", at, UserEvent="PermanenceOverflow", Queue=queue, Reason=reason, Action=action,
              Target=target)


def finish(events: list[dict[str, str]], end: float, linkedid: str = "1.1") -> dict:
    tracker = CallTracker()
    done = []
    for event in [*events, ev("Hangup", end, linkedid, Uniqueid=linkedid, Cause="16")]:
        done += tracker.feed(event, T0)
    [finished] = done
    record = call_record(finished)
    return {"row": record, "kinds": [e.kind for e in record.events],
            "overflows": [e.detail for e in record.events if e.kind == "overflow"]}


@pytest.mark.parametrize(("action", "disposition"), [("voicemail", "voicemail"), ("oncall", "voicemail"),
                                                     ("callback", "voicemail"), ("hangup", "failed")])
def test_the_disposition_follows_the_overflow(action, disposition):
    got = finish([*start(), ev("QueueCallerJoin", 5.1, Queue="a"), ev("QueueCallerLeave", 35, Queue="a"),
                  overflow(35.2, "TIMEOUT", action)], 50)
    assert got["row"].disposition == disposition
    assert got["overflows"] == [{"queue": "a", "reason": "TIMEOUT", "action": action}]
    assert got["row"].wait_s == pytest.approx(29.9)  # the queue's part, not the message after it


def test_an_overflow_to_another_queue_counts_the_wait_from_the_first():
    got = finish([*start(), ev("QueueCallerJoin", 5.1, Queue="a"), ev("QueueCallerLeave", 20, Queue="a"),
                  overflow(20.2, "TIMEOUT", "queue", "b"), ev("QueueCallerJoin", 20.3, Queue="b"),
                  ev("QueueCallerAbandon", 30, Queue="b")], 30.1)
    row = got["row"]
    assert (row.queue, row.disposition) == ("b", "abandoned_queue")
    assert row.wait_s == pytest.approx(24.9)  # from joining a to abandoning b
    assert got["kinds"].count("queue_joined") == 2 and got["overflows"][0]["target"] == "b"


def test_a_caller_back_from_the_offer_keeps_the_first_join_time():
    got = finish([*start(), ev("QueueCallerJoin", 5.1, Queue="a"), ev("QueueCallerLeave", 35, Queue="a"),
                  ev("QueueCallerJoin", 45, Queue="a"),
                  ev("AgentConnect", 60, Queue="a", Interface="PJSIP/101", MemberName="Alice")], 90)
    row = got["row"]
    assert (row.disposition, row.agent) == ("answered", "101")
    assert row.wait_s == pytest.approx(54.9) and row.talk_s == pytest.approx(30)


def conversation(caller_status: str | None) -> dict:
    cb = "1.1-cb1"
    events = [ev("Newchannel", 0, cb, Uniqueid=cb, Channel="PJSIP/101-00000004", CallerIDNum="+15145551234"),
              ev("Newstate", 1, cb, Uniqueid=cb, Channel="PJSIP/101-00000004", ChannelState="6"),
              ev("UserEvent", 1.1, cb, UserEvent="PermanenceCall", Status="found", Client="1000",
                 Recording=f"1000/2026/12/05/{cb}", Menu=""),
              ev("UserEvent", 1.2, cb, UserEvent="PermanenceCallback", Channel="PJSIP/101-00000004", Of="1.1",
                 Request="7", Attempt="3", Status="AGENT")]
    if caller_status == "ANSWER":
        events.append(ev("DialEnd", 6, cb, Channel="PJSIP/101-00000004", DestChannel="PJSIP/carrier-5",
                         DialStatus="ANSWER"))
    if caller_status:
        events.append(ev("UserEvent", 20, cb, UserEvent="PermanenceCallback", Channel="PJSIP/101-00000004",
                         Of="1.1", Request="7", Attempt="3", Status=caller_status))
    return finish(events, 20.1, cb)


def test_a_callback_conversation_is_answered_from_the_callers_answer():
    got = conversation("ANSWER")
    row = got["row"]
    assert (row.disposition, row.agent, row.client_code) == ("answered", "101", "1000")
    assert row.talk_s == pytest.approx(14.1)  # from the caller answering, not the agent
    assert got["kinds"].count("callback") == 2


@pytest.mark.parametrize("status", ["BUSY", "NOANSWER", None])
def test_a_callback_that_never_reached_its_caller_failed(status):
    row = conversation(status)["row"]
    assert (row.disposition, row.agent) == ("failed", "101")
