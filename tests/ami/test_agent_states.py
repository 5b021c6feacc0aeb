"""The agents' state machine (ami.agent_states): AMI events in, state changes out, at the events' times."""

from __future__ import annotations

from datetime import UTC, datetime

from ami.agent_states import AgentTracker


def t(second: int) -> str:
    return f"2026-12-05T10:00:{second:02d}.000Z"


def at(second: int) -> datetime:
    return datetime(2026, 12, 5, 10, 0, second, tzinfo=UTC)


def ev(name: str, agent: str | None = None, **fields: str) -> dict[str, str]:
    return {"Event": name, **({"Interface": f"PJSIP/{agent}"} if agent else {}), **fields}


def states(changes) -> list[tuple]:
    return [(c.agent_id, c.state, c.reason, c.linkedid, c.at) for c in changes]


def logged_in(tracker: AgentTracker, *agents: str, queue: str = "q") -> None:
    for agent in agents:
        tracker.feed(ev("QueueMemberAdded", agent, Queue=queue, Status="1", Paused="0", MemberName=f"A{agent}"), t(0))


def test_a_queue_call_goes_ready_ringing_on_call_wrap_up_ready():
    tracker = AgentTracker(lambda queue: 5.0)
    assert states(tracker.feed(ev("QueueMemberAdded", "101", Queue="q", Status="1", Paused="0"), t(0))) == [
        ("101", "ready", None, None, t(0))]
    assert states(tracker.feed(ev("AgentCalled", "101", Queue="q", Linkedid="L1"), t(2))) == [
        ("101", "ringing", None, "L1", t(2))]
    # the phone's device state moving along with the call changes nothing the queue events decided
    assert tracker.feed(ev("QueueMemberStatus", "101", Queue="q", Status="6", Paused="0"), t(2)) == []
    changes = tracker.feed(ev("AgentConnect", "101", Queue="q", Linkedid="L1"), t(3))
    assert states(changes) == [("101", "on_call", None, "L1", t(3))] and changes[0].queue == "q"
    assert tracker.feed(ev("QueueMemberStatus", "101", Queue="q", Status="2", Paused="0"), t(3)) == []
    assert states(tracker.feed(ev("AgentComplete", "101", Queue="q", Linkedid="L1"), t(10))) == [
        ("101", "wrap_up", None, "L1", t(10))]
    assert tracker.feed(ev("QueueMemberStatus", "101", Queue="q", Status="1", Paused="0"), t(11)) == []
    assert tracker.next_deadline() == at(15)
    assert tracker.expire(at(14)) == []
    assert states(tracker.expire(at(20))) == [("101", "ready", None, None, t(15))]
    assert tracker.next_deadline() is None


def test_the_caller_leaving_the_queue_as_the_agent_answers_is_no_change():
    """app_queue's order at an answer: QueueCallerLeave, then AgentConnect; the phone rings until then."""
    tracker = AgentTracker(lambda queue: 5.0)
    logged_in(tracker, "101")
    tracker.feed(ev("AgentCalled", "101", Queue="q", Linkedid="L1"), t(1))
    tracker.feed(ev("QueueMemberStatus", "101", Queue="q", Status="6", Paused="0"), t(1))
    assert tracker.feed(ev("QueueCallerLeave", Queue="q", Linkedid="L1"), t(3)) == []
    assert states(tracker.feed(ev("AgentConnect", "101", Queue="q", Linkedid="L1"), t(3))) == [
        ("101", "on_call", None, "L1", t(3))]
    # the same with the phone in use before AgentConnect: on that call from the phone's event, once
    tracker.feed(ev("AgentComplete", "101", Queue="q", Linkedid="L1"), t(5))
    tracker.feed(ev("QueueMemberStatus", "101", Queue="q", Status="1", Paused="0"), t(5))
    tracker.expire(at(10))
    tracker.feed(ev("AgentCalled", "101", Queue="q", Linkedid="L2"), t(11))
    tracker.feed(ev("QueueMemberStatus", "101", Queue="q", Status="6", Paused="0"), t(11))
    assert tracker.feed(ev("QueueCallerLeave", Queue="q", Linkedid="L2"), t(12)) == []
    assert states(tracker.feed(ev("QueueMemberStatus", "101", Queue="q", Status="2", Paused="0"), t(12))) == [
        ("101", "on_call", None, "L2", t(12))]
    assert tracker.feed(ev("AgentConnect", "101", Queue="q", Linkedid="L2"), t(12)) == []


def test_ringall_the_others_stop_ringing_when_one_answers_and_an_abandon_stops_all():
    tracker = AgentTracker(lambda queue: 0.0)
    logged_in(tracker, "101", "102")
    tracker.feed(ev("AgentCalled", "101", Queue="q", Linkedid="L1"), t(1))
    tracker.feed(ev("AgentCalled", "102", Queue="q", Linkedid="L1"), t(1))
    changes = tracker.feed(ev("AgentConnect", "102", Queue="q", Linkedid="L1"), t(2))
    assert sorted(states(changes)) == [("101", "ready", None, None, t(2)), ("102", "on_call", None, "L1", t(2))]
    # wrapuptime 0: straight back to ready
    assert states(tracker.feed(ev("AgentComplete", "102", Queue="q", Linkedid="L1"), t(5))) == [
        ("102", "ready", None, None, t(5))]
    tracker.feed(ev("AgentCalled", "101", Queue="q", Linkedid="L2"), t(6))
    assert states(tracker.feed(ev("QueueCallerAbandon", Queue="q", Linkedid="L2"), t(7))) == [
        ("101", "ready", None, None, t(7))]
    tracker.feed(ev("AgentCalled", "101", Queue="q", Linkedid="L3"), t(8))
    assert states(tracker.feed(ev("AgentRingNoAnswer", "101", Queue="q", Linkedid="L3"), t(23))) == [
        ("101", "ready", None, None, t(23))]


def test_a_pause_with_a_reason_waits_for_the_call_and_the_wrap_up_to_end():
    tracker = AgentTracker(lambda queue: 5.0)
    logged_in(tracker, "101")
    tracker.feed(ev("AgentConnect", "101", Queue="q", Linkedid="L1"), t(1))
    assert tracker.feed(ev("QueueMemberPause", "101", Queue="q", Paused="1", PausedReason="lunch"), t(2)) == []
    assert states(tracker.feed(ev("AgentComplete", "101", Queue="q", Linkedid="L1"), t(4))) == [
        ("101", "wrap_up", None, "L1", t(4))]
    assert states(tracker.expire(at(9))) == [("101", "not_ready", "lunch", None, t(9))]
    assert states(tracker.feed(ev("QueueMemberPause", "101", Queue="q", Paused="0"), t(30))) == [
        ("101", "ready", None, None, t(30))]
    # a pause in a second queue is the same pause: one change
    tracker.feed(ev("QueueMemberAdded", "101", Queue="r", Status="1", Paused="0"), t(31))
    tracker.feed(ev("QueueMemberPause", "101", Queue="q", Paused="1", PausedReason="break"), t(32))
    assert tracker.feed(ev("QueueMemberPause", "101", Queue="r", Paused="1", PausedReason="break"), t(32)) == []


def test_an_unreachable_phone_is_not_ready_and_a_call_outside_the_queue_is_on_call():
    tracker = AgentTracker(lambda queue: 5.0)
    assert states(tracker.feed(ev("QueueMemberAdded", "102", Queue="q", Status="5", Paused="0"), t(0))) == [
        ("102", "not_ready", "unavailable", None, t(0))]
    assert states(tracker.feed(ev("QueueMemberStatus", "102", Queue="q", Status="1", Paused="0"), t(1))) == [
        ("102", "ready", None, None, t(1))]
    # a transfer rings it directly, then it talks: the device says so, without a queue call
    assert states(tracker.feed(ev("QueueMemberStatus", "102", Queue="q", Status="6", Paused="0"), t(2))) == [
        ("102", "ringing", None, None, t(2))]
    assert states(tracker.feed(ev("QueueMemberStatus", "102", Queue="q", Status="2", Paused="0"), t(3))) == [
        ("102", "on_call", None, None, t(3))]
    assert states(tracker.feed(ev("QueueMemberStatus", "102", Queue="q", Status="1", Paused="0"), t(9))) == [
        ("102", "ready", None, None, t(9))]


def test_logged_out_after_the_last_queue_and_other_interfaces_are_no_agents():
    tracker = AgentTracker(lambda queue: 5.0)
    logged_in(tracker, "101", queue="q")
    logged_in(tracker, "101", queue="r")
    assert tracker.feed(ev("QueueMemberRemoved", "101", Queue="q"), t(1)) == []
    assert states(tracker.feed(ev("QueueMemberRemoved", "101", Queue="r"), t(2))) == [
        ("101", "logged_out", None, None, t(2))]
    for interface in ("Local/101@agents", "PJSIP/agent1", "SIP/101"):
        assert tracker.feed({"Event": "QueueMemberAdded", "Interface": interface, "Queue": "q", "Status": "1"},
                            t(3)) == []
    assert list(tracker.agents) == ["101"]


def test_a_resync_logs_out_those_asterisk_no_longer_has_and_forgets_calls_it_missed():
    tracker = AgentTracker(lambda queue: 5.0)
    logged_in(tracker, "101", "102")
    tracker.feed(ev("AgentConnect", "102", Queue="q", Linkedid="L1"), t(1))
    tracker.begin_resync()
    # Asterisk restarted: only 102 is back (re-added), its phone idle
    assert states(tracker.feed({"Event": "QueueMember", "Queue": "q", "Location": "PJSIP/102", "Status": "1",
                                "Paused": "0", "Name": "A102"}, t(20))) == []  # still on_call until the end
    changes = tracker.end_resync(t(20))
    assert sorted(states(changes)) == [("101", "logged_out", None, None, t(20)), ("102", "ready", None, None, t(20))]
