"""Real calls of the main scenarios, with the AMI stream recorded during each: the stream replayed
through the tracker gives exactly the row the live listener wrote. With CAPTURE_AMI_FIXTURES=1 the
streams and rows are also written to tests/ami/fixtures/streams (the replay unit tests' fixtures)."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ami.capture import capture
from tests.ami.replay import load_stream, replay, stored_row
from tests.support import wait_for

from .agents import SippAgent, answers, attended_transfers, blind_transfers, rings_without_answer
from .conftest import AGENT_SECRETS, System
from .sipp import keypress_scenario

pytestmark = pytest.mark.asterisk

FIXTURES = Path(__file__).parents[1] / "ami" / "fixtures" / "streams"
UNKNOWN = Path(__file__).parent / "scenarios" / "unknown_did.xml"

AgentScript = Callable[[Path], str]  # the work directory (for DTMF pcaps) → the agent's sipp scenario


@dataclass(frozen=True)
class Scenario:
    did: str
    caller: list[float | str] | Path  # keys and pauses, or a scenario file
    system_hangs_up: bool  # the caller waits for the other side to hang up
    disposition: str
    agents: tuple[tuple[str, AgentScript], ...] = ()  # agents registered for the call, and what they do
    seconds: float = 12.0  # recorded after the caller's own pauses
    expect: tuple[tuple[str, object], ...] = ()  # row fields and their values
    timeline: tuple[str, ...] = ()  # kinds the timeline must hold, in this order (others may be between)


QUEUE = [1.5, "1", 2.0, "1"]  # French, then the reception queue (ivr/examples/demo.yaml)
IN_QUEUE = (("queue", "1000-accueil"),)
BY_101 = (*IN_QUEUE, ("agent", "101"))
SCENARIOS = {
    "answered": Scenario("5145550300", [], True, "answered",  # the system hangs up after the greeting
                         expect=(("hangup_side", "system"), ("queue", None), ("agent", None))),
    "unknown_did": Scenario("5145550999", UNKNOWN, False, "unknown_did", expect=(("hangup_side", "system"),)),
    # Agent 101 is logged in but does not pick up (with nobody logged in, the caller would overflow).
    "abandoned_queue": Scenario("5145550100", [*QUEUE, 3.0], False, "abandoned_queue",
                                (("101", lambda _: rings_without_answer("101")),),
                                expect=(*IN_QUEUE, ("agent", None), ("hangup_side", "caller")),
                                timeline=("routed", "ivr_exit", "queue_joined", "queue_abandoned", "hangup")),
    "abandoned_ivr": Scenario("5145550100", [1.5, "1", 2.0], False, "abandoned_ivr",
                              expect=(("queue", None), ("hangup_side", "caller"))),
    "voicemail": Scenario("5145550100", [1.5, "1", 2.0, "9", 6.0], False, "voicemail",
                          expect=(("hangup_side", "caller"),)),
    # Agent 101 answers the reception queue; the caller hangs up while talking.
    "agent_caller_hangs_up": Scenario(
        "5145550100", [*QUEUE, 8.0], False, "answered", (("101", lambda _: answers("101", talk_ms=30000)),),
        expect=(*BY_101, ("hangup_side", "caller"), ("transfers", 0)),
        timeline=("queue_joined", "agent_ringing", "agent_answered", "hangup_request", "agent_completed")),
    # The agent ends the conversation.
    "agent_hangs_up": Scenario(
        "5145550100", QUEUE, True, "answered", (("101", lambda _: answers("101", talk_ms=4000)),),
        expect=(*BY_101, ("hangup_side", "agent"), ("transfers", 0)),
        timeline=("queue_joined", "agent_answered", "hangup_request", "agent_completed", "hangup")),
    # The agent transfers the caller to agent 102 with a SIP REFER; 102 talks, then hangs up.
    "blind_transfer": Scenario(
        "5145550100", QUEUE, True, "answered", (
            ("101", lambda _: blind_transfers("101", "102", talk_ms=2000)),
            ("102", lambda _: answers("102", talk_ms=4000))),
        expect=(*BY_101, ("hangup_side", "agent"), ("transfers", 1)),
        timeline=("agent_answered", "blind_transfer", "agent_completed", "dial", "dial_end", "hangup_request")),
    # The agent presses *2 102, talks to agent 102, hangs up: the caller and 102 talk, 102 hangs up.
    "attended_transfer": Scenario(
        "5145550100", QUEUE, True, "answered", (
            ("101", lambda work: attended_transfers("101", "102", work, talk_ms=2000, consult_ms=9000)),
            ("102", lambda _: answers("102", talk_ms=14000))),
        seconds=32.0, expect=(*BY_101, ("hangup_side", "agent"), ("transfers", 1)),
        timeline=("agent_answered", "hangup_request", "attended_transfer", "agent_completed", "hangup_request")),
}


def _row(system: System, linkedid: str) -> dict:
    with system.db() as db:
        return stored_row(db, linkedid)


def _in_order(wanted: tuple[str, ...], kinds: list[str]) -> bool:
    it = iter(kinds)
    return all(kind in it for kind in wanted)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_live_row_and_the_replayed_stream_agree(system: System, name: str) -> None:
    sc = SCENARIOS[name]
    work = Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix=f"stream-{name}-"))
    stream = work / "stream.jsonl"
    if isinstance(sc.caller, Path):
        args = ["-sf", str(sc.caller), "-s", sc.did]
        seconds = sc.seconds
    else:
        scenario = work / "scenario.xml"
        scenario.write_text(keypress_scenario(sc.caller, work, callee_hangs_up=sc.system_hangs_up),
                            encoding="utf-8")
        args = ["-sf", str(scenario), "-s", sc.did]
        seconds = sum(a for a in sc.caller if isinstance(a, float)) + sc.seconds
    v = system.values
    phones = [SippAgent(system, agent_id, AGENT_SECRETS[agent_id], work) for agent_id, _ in sc.agents]

    async def record_while_calling() -> None:
        task = asyncio.create_task(capture("127.0.0.1", v["ami_port"], "permanence", v["ami_secret"], stream,
                                           seconds))
        await asyncio.sleep(1.0)  # logged in before the call starts
        result = await asyncio.to_thread(system.sipp, *args)
        assert result.returncode == 0, f"sipp:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        for phone in phones:
            answered = await asyncio.to_thread(phone.wait, 30)
            assert answered.returncode == 0, f"agent {phone.agent_id}:\n{answered.stdout[-3000:]}"
        await task

    try:
        for phone, (_, script) in zip(phones, sc.agents, strict=True):
            phone.start(script(work))
        asyncio.run(record_while_calling())
    finally:
        for phone in phones:
            phone.stop()
    rows = replay(load_stream(stream))
    assert len(rows) == 1, f"expected one call in the stream, got {list(rows)}"
    (linkedid, replayed), = rows.items()

    def written() -> dict | None:
        with system.db() as db:
            found = db.execute("SELECT 1 FROM calls WHERE linkedid = ?", [linkedid]).fetchone()
        return _row(system, linkedid) if found else None

    live = wait_for(written, 20, f"the {name} call in the store")
    assert live["disposition"] == sc.disposition
    assert {k: live[k] for k, _ in sc.expect} == dict(sc.expect)
    kinds = [kind for _, kind, _, _ in live["timeline"]]
    assert _in_order(sc.timeline, kinds), kinds
    if live["queue"] is not None:
        assert live["queued_at"] is not None and live["wait_s"] is not None and live["wait_s"] >= 0
    if live["agent"] is not None:  # the conversation is timed from the agent's answer, transfers included
        assert live["talk_s"] is not None and live["talk_s"] > 1.5 * live["transfers"] + 1
        assert live["wait_s"] < 10
    if name not in ("unknown_did", "abandoned_ivr"):
        assert live["recording"] is not None
    assert replayed == live
    if os.environ.get("CAPTURE_AMI_FIXTURES") == "1":
        FIXTURES.mkdir(parents=True, exist_ok=True)
        (FIXTURES / f"{name}.jsonl").write_text(stream.read_text(encoding="utf-8"), encoding="utf-8")
        (FIXTURES / f"{name}.expected.json").write_text(json.dumps(live, indent=2) + "\n", encoding="utf-8")
