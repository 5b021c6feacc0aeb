from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from ami.live import LiveState


def ev(name: str, **fields: str) -> dict[str, str]:
    return {"Event": name, **fields}


def t(second: int) -> str:
    return f"2026-12-05T10:00:{second:02d}.000Z"


def test_a_call_goes_from_ivr_to_queue_to_an_agent_and_away():
    live = LiveState(wrap_up_s=lambda queue: 5.0)
    live.feed(ev("Newchannel", Linkedid="1.1", Uniqueid="1.1", CallerIDNum="5145551234"), t(0))
    live.feed(ev("UserEvent", UserEvent="PermanenceCall", Linkedid="1.1", Client="1000", DID="+15145550100",
                 Menu="demo"), t(1))
    assert live.snapshot()["calls"][0]["state"] == "ivr"
    changes = live.feed(ev("QueueMemberAdded", Queue="1000-accueil", Interface="PJSIP/101", MemberName="Agent 1",
                           Status="1", Paused="0"), t(1))
    assert [(c.agent_id, c.state, c.at) for c in changes] == [("101", "ready", t(1))]
    live.feed(ev("QueueCallerJoin", Linkedid="1.1", Queue="1000-accueil", Position="1"), t(2))
    snap = live.snapshot()
    assert snap["queues"] == {"1000-accueil": [{"linkedid": "1.1", "caller": "5145551234", "client_code": "1000",
                                                "queued_at": t(2)}]}
    assert snap["agents"] == [{"agent_id": "101", "interface": "PJSIP/101", "name": "Agent 1", "state": "ready",
                               "since": t(1), "reason": "", "queues": ["1000-accueil"], "call": None}]
    live.feed(ev("AgentCalled", Linkedid="1.1", Queue="1000-accueil", Interface="PJSIP/101"), t(2))
    assert live.snapshot()["agents"][0]["state"] == "ringing"
    live.feed(ev("QueueCallerLeave", Linkedid="1.1", Queue="1000-accueil"), t(3))
    live.feed(ev("AgentConnect", Linkedid="1.1", Queue="1000-accueil", Interface="PJSIP/101",
                 MemberName="Agent 1"), t(3))
    snap = live.snapshot()
    assert snap["queues"] == {} and snap["calls"][0]["state"] == "talking"
    assert snap["agents"][0]["state"] == "on_call" and snap["agents"][0]["call"] == "1.1"
    live.feed(ev("AgentComplete", Linkedid="1.1", Queue="1000-accueil", Interface="PJSIP/101"), t(4))
    live.feed(ev("Hangup", Linkedid="1.1", Uniqueid="1.1"), t(4))
    snap = live.snapshot()
    assert snap["calls"] == [] and snap["agents"][0]["state"] == "wrap_up"
    version = live.version
    assert live.expire(datetime(2026, 12, 5, 10, 0, 8, tzinfo=UTC)) == []  # 5 s after t(4) is t(9)
    changes = live.expire(datetime(2026, 12, 5, 10, 0, 30, tzinfo=UTC))
    assert [(c.state, c.at) for c in changes] == [("ready", t(9))]  # at the deadline, not when noticed
    assert live.snapshot()["agents"][0]["state"] == "ready" and live.version > version


def test_paused_and_unavailable_agents_are_not_ready_and_removed_ones_go():
    live = LiveState()
    live.feed(ev("QueueMember", Queue="q1", Location="PJSIP/201", Status="5", Paused="0"), t(0))  # unavailable
    live.feed(ev("QueueMemberStatus", Queue="q1", Interface="PJSIP/202", Status="1", Paused="1",
                 PausedReason="lunch"), t(0))
    agents = {a["interface"]: a for a in live.snapshot()["agents"]}
    assert agents["PJSIP/201"]["state"] == "not_ready" and agents["PJSIP/201"]["reason"] == "unavailable"
    assert agents["PJSIP/202"]["state"] == "not_ready" and agents["PJSIP/202"]["reason"] == "lunch"
    live.feed(ev("QueueMemberPause", Queue="q1", Interface="PJSIP/202", Paused="0"), t(1))
    assert {a["interface"]: a["state"] for a in live.snapshot()["agents"]}["PJSIP/202"] == "ready"
    live.feed(ev("QueueMemberRemoved", Queue="q1", Interface="PJSIP/201"), t(2))
    assert [a["interface"] for a in live.snapshot()["agents"]] == ["PJSIP/202"]  # logged out: off the board


def test_callers_waiting_are_listed_oldest_first_and_abandons_leave():
    live = LiveState()
    for n, t in (("2", "t2"), ("1", "t1")):
        live.feed(ev("Newchannel", Linkedid=n, Uniqueid=n), "t0")
        live.feed(ev("QueueCallerJoin", Linkedid=n, Queue="q"), t)
    assert [c["linkedid"] for c in live.snapshot()["queues"]["q"]] == ["1", "2"]
    live.feed(ev("QueueCallerAbandon", Linkedid="1", Queue="q"), "t3")
    assert [c["linkedid"] for c in live.snapshot()["queues"]["q"]] == ["2"]


async def test_readers_wake_on_change_and_time_out_without_one():
    live = LiveState()
    version = live.version
    assert await live.changed(version, 0.05) is False
    waiter = asyncio.create_task(live.changed(version, 2))
    await asyncio.sleep(0.01)
    live.feed(ev("Newchannel", Linkedid="1", Uniqueid="1"), "t")
    assert await waiter is True
    live.feed(ev("Bogus"), "t")  # events it does not follow change nothing
    assert live.version == version + 1
