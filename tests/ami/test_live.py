from __future__ import annotations

import asyncio

from ami.live import LiveState


def ev(name: str, **fields: str) -> dict[str, str]:
    return {"Event": name, **fields}


def test_a_call_goes_from_ivr_to_queue_to_an_agent_and_away():
    live = LiveState()
    live.feed(ev("Newchannel", Linkedid="1.1", Uniqueid="1.1", CallerIDNum="5145551234"), "t0")
    live.feed(ev("UserEvent", UserEvent="PermanenceCall", Linkedid="1.1", Client="1000", DID="+15145550100",
                 Menu="demo"), "t1")
    assert live.snapshot()["calls"][0]["state"] == "ivr"
    live.feed(ev("QueueMemberAdded", Queue="1000-accueil", Interface="PJSIP/agent1", MemberName="Agent 1",
                 Status="1", Paused="0"), "t1")
    live.feed(ev("QueueCallerJoin", Linkedid="1.1", Queue="1000-accueil", Position="1"), "t2")
    snap = live.snapshot()
    assert snap["queues"] == {"1000-accueil": [{"linkedid": "1.1", "caller": "5145551234", "client_code": "1000",
                                                "queued_at": "t2"}]}
    assert snap["agents"][0]["state"] == "ready"
    live.feed(ev("QueueCallerLeave", Linkedid="1.1", Queue="1000-accueil"), "t3")
    live.feed(ev("AgentConnect", Linkedid="1.1", Queue="1000-accueil", Interface="PJSIP/agent1",
                 MemberName="Agent 1"), "t3")
    snap = live.snapshot()
    assert snap["queues"] == {} and snap["calls"][0]["state"] == "talking"
    assert snap["agents"][0]["state"] == "on_call" and snap["agents"][0]["call"] == "1.1"
    live.feed(ev("AgentComplete", Linkedid="1.1", Interface="PJSIP/agent1"), "t4")
    live.feed(ev("Hangup", Linkedid="1.1", Uniqueid="1.1"), "t4")
    snap = live.snapshot()
    assert snap["calls"] == [] and snap["agents"][0]["state"] == "ready"


def test_paused_and_unavailable_agents_are_not_ready_and_removed_ones_go():
    live = LiveState()
    live.feed(ev("QueueMember", Queue="q1", Interface="PJSIP/a", Status="5", Paused="0"), "t")  # unavailable
    live.feed(ev("QueueMemberStatus", Queue="q1", Interface="PJSIP/b", Status="1", Paused="1",
                 PausedReason="lunch"), "t")
    agents = {a["interface"]: a for a in live.snapshot()["agents"]}
    assert agents["PJSIP/a"]["state"] == "not_ready"
    assert agents["PJSIP/b"]["state"] == "not_ready" and agents["PJSIP/b"]["reason"] == "lunch"
    live.feed(ev("QueueMemberPause", Queue="q1", Interface="PJSIP/b", Paused="0"), "t")
    assert {a["interface"]: a["state"] for a in live.snapshot()["agents"]}["PJSIP/b"] == "ready"
    live.feed(ev("QueueMemberRemoved", Queue="q1", Interface="PJSIP/a"), "t")
    assert [a["interface"] for a in live.snapshot()["agents"]] == ["PJSIP/b"]


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
