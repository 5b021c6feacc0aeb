"""Screen pops from a real captured AMI stream (agent 101 answers a caller of client 1000) over a real
store: the pop goes to agent 101 only, with the store's data about the call, and ends with the call."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ami.live import LiveState
from ami.originate import Spy
from ami.screenpop import ScreenPops
from store import CallRecord, Store, calls, clients, desk
from store.clock import iso
from store.ivr_path import IvrStep, add_steps

from .replay import load_stream

STREAM = Path(__file__).parent / "fixtures" / "streams" / "agent_hangs_up.jsonl"
LINKEDID = "1795462796.7"


def _seed(db) -> None:
    clients.add_client(db, "1000", "Plomberie Démo")
    clients.add_did(db, "+15145550100", "1000", "accueil")
    calls.save_call(db, CallRecord(linkedid="1795000000.1", client_code="1000", started_at="2026-11-01T10:00:00Z",
                                   disposition="answered", caller_number="5145551234", agent="102"))
    calls.save_call(db, CallRecord(linkedid="1795000001.1", client_code="1000", started_at="2026-11-02T10:00:00Z",
                                   disposition="voicemail", caller_number="5145559999"))  # someone else
    add_steps(db, LINKEDID, [IvrStep("2026-12-01T10:00:00Z", "demo", "langue", "language", "1", "choice 1")])


async def test_the_pop_follows_agent_connect_and_complete(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    try:
        await store.write(_seed)
        live = LiveState()
        pops = ScreenPops(store, live, "CA")
        events = load_stream(STREAM)
        connect_at = next(i for i, e in enumerate(events) if e["Event"] == "AgentConnect")
        for event in events[:connect_at + 1]:
            live.feed(event, iso_time(event))  # the event's own time, as the listener gives it
            pops.feed(event, iso_time(event))
        await pops.drain()
        assert pops.channel("101") == "PJSIP/101-00000008"
        assert pops.channel("102") is None and pops.since("102", 0) == []
        [(seq, kind, pop)] = pops.since("101", 0)
        assert kind == "pop" and pops.current("101") == pop
        assert pop["linkedid"] == LINKEDID and pop["agent"] == "101" and pop["queue"] == "1000-accueil"
        assert pop["did"] == {"number": "+15145550100", "label": "accueil"}
        assert pop["client"] == {"code": "1000", "name": "Plomberie Démo", "language": "fr", "infopages": []}
        assert pop["caller"]["number"] == "+15145551234" and pop["caller"]["known"] is True
        assert [c["linkedid"] for c in pop["earlier_calls"]] == ["1795000000.1"]
        assert [s["node"] for s in pop["ivr_path"]] == ["langue"]
        # From the pop on, the call is agent 101's to read and wrap up (before the call is even written).
        assert await store.read(lambda db: desk.reached(db, "101", LINKEDID))
        assert not await store.read(lambda db: desk.reached(db, "102", LINKEDID))

        for event in events[connect_at + 1:]:
            live.feed(event, iso_time(event))  # the event's own time, as the listener gives it
            pops.feed(event, iso_time(event))
        assert pops.current("101") is None and pops.channel("101") is None
        assert [kind for _, kind, _ in pops.since("101", seq)] == ["ended"]
        assert pops.since("101", seq)[0][2]["linkedid"] == LINKEDID
    finally:
        store.close()


@pytest.mark.parametrize(("stream", "linkedid"), [("blind_transfer", "1795462814.9"),
                                                  ("attended_transfer", "1795462831.12")])
async def test_a_transferred_call_pops_on_the_agent_it_is_bridged_to(tmp_path, stream, linkedid):
    """Agent 101 answers from the queue and transfers to 102 (blind, or attended: 102 sees the call from
    the consultation on): each gets the call's pop, then its end."""
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    try:
        await store.write(lambda db: clients.add_client(db, "1000", "Plomberie Démo"))
        live = LiveState()
        pops = ScreenPops(store, live, "CA")
        for event in load_stream(STREAM.with_name(f"{stream}.jsonl")):
            live.feed(event, iso_time(event))  # the event's own time, as the listener gives it
            pops.feed(event, iso_time(event))
            await pops.drain()
        for agent in ("101", "102"):
            assert [(kind, data["linkedid"]) for _, kind, data in pops.since(agent, 0)] == \
                [("pop", linkedid), ("ended", linkedid)], agent
            assert pops.current(agent) is None and pops.channel(agent) is None
            assert await store.read(lambda db, a=agent: desk.reached(db, a, linkedid))
        assert pops.since("102", 0)[0][2]["client"]["code"] == "1000"
        assert pops.since("103", 0) == []
    finally:
        store.close()


async def test_a_call_that_ends_before_its_pop_is_read_still_pops_then_ends(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    try:
        pops = ScreenPops(store, LiveState(), "CA")
        connect = {"Event": "AgentConnect", "Linkedid": "1.1", "Interface": "PJSIP/101", "Queue": "q",
                   "DestChannel": "PJSIP/101-00000001", "CallerIDNum": "5145551234"}
        pops.feed(connect, "2026-12-01T10:00:00Z")
        pops.feed({**connect, "Event": "AgentComplete", "Reason": "caller"}, "2026-12-01T10:00:01Z")
        await pops.drain()
        assert [kind for _, kind, _ in pops.since("101", 0)] == ["pop", "ended"]
        assert pops.current("101") is None and pops.channel("101") is None
    finally:
        store.close()


def iso_time(event: dict[str, str]) -> str:
    return iso(datetime.fromtimestamp(float(event.get("Timestamp", "0")), UTC))


def test_only_chanspy_onto_an_agents_channel_is_originated():
    action = Spy("109", "101", "PJSIP/101-00000008", "whisper").action()
    assert action["Action"] == "Originate" and action["Channel"] == "PJSIP/109"
    assert action["Application"] == "ChanSpy" and action["Data"] == "PJSIP/101-00000008,qwE"
    assert Spy("109", "101", "PJSIP/101-00000008", "barge").action()["Data"] == "PJSIP/101-00000008,qBE"
    assert Spy("109", "101", "PJSIP/101-00000008", "listen").action()["Data"] == "PJSIP/101-00000008,qE"
    for phone, agent, channel, mode in (
            ("109", "101", "PJSIP/carrier-00000007", "listen"),  # the caller's leg, not an agent's
            ("109", "101", "PJSIP/102-00000008", "listen"),  # another agent's channel
            ("109", "101", "PJSIP/101-00000008,qB)", "listen"),  # options smuggled in
            ("109", "101", "Local/101@permanence-agent-0001;1", "listen"),
            ("PJSIP/109", "101", "PJSIP/101-00000008", "listen"),  # not an extension
            ("101", "101", "PJSIP/101-00000008", "listen"),  # its own call
            ("109", "101", "PJSIP/101-00000008", "record")):
        try:
            Spy(phone, agent, channel, mode)
        except ValueError:
            continue
        raise AssertionError(f"accepted {phone, agent, channel, mode}")
