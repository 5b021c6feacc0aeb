"""Agents on the real Asterisk: feature codes dialled from a softphone log in, pause with a reason and log
out (app_queue's members as AMI QueueStatus reports them); a paused agent's calls go to the next one; a
queue call's agent state timeline; who is logged in is a member again after Asterisk restarts."""

from __future__ import annotations

import asyncio
import itertools
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ami.control import member_connection
from ami.members import Member
from permanence.config import load
from store.clock import parse_iso
from tests.support import wait_for

from .agents import SippAgent, answers, dials_feature_code
from .conftest import ADMIN_PASSWORD, AGENT_SECRETS, System
from .sipp import keypress_scenario

pytestmark = pytest.mark.asterisk

QUEUE = "1000-accueil"
TO_QUEUE = [1.5, "1", 2.0, "1"]  # French, then the reception queue (ivr/examples/demo.yaml)


def members(system: System) -> dict[str, Member]:
    """Agent → its membership of the reception queue, from AMI QueueStatus (as the action user)."""
    a = load(system.config, env=system.env).ami

    async def status() -> list[Member]:
        async with member_connection(a.host, a.port, a.action_user, a.action_secret) as control:
            return (await control.status())[1]

    return {m.agent_id: m for m in asyncio.run(status()) if m.queue == QUEUE}


def api(system: System, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    status, _, raw = system.request(method, path, token=system.login("admin", ADMIN_PASSWORD), body=body)
    return status, json.loads(raw) if raw else {}


def dial(system: System, agent_id: str, code: str) -> None:
    work = Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix=f"feature-{agent_id}-"))
    scenario = work / "feature.xml"
    scenario.write_text(dials_feature_code(agent_id, AGENT_SECRETS[agent_id]), encoding="utf-8")
    result = system.sipp("-sf", str(scenario), "-s", code, "-trace_err", timeout=40)
    assert result.returncode == 0, f"{agent_id} dialling {code}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"


def states(system: System, agent_id: str, since: str) -> list[dict]:
    with system.db() as db:
        return [dict(r) for r in db.execute(
            "SELECT state, reason, linkedid, queue, started_at, ended_at FROM agent_states "
            "WHERE agent_id = ? AND (ended_at IS NULL OR ended_at >= ?) ORDER BY started_at, id", [agent_id, since])]


def test_an_agent_logs_in_pauses_and_logs_out_from_its_phone(system: System) -> None:
    assert api(system, "POST", "/api/agents/102/logout")[0] == 200
    assert "102" not in members(system)
    try:
        dial(system, "102", "*41")
        member = wait_for(lambda: members(system).get("102"), 10, "102 a member of the reception queue")
        assert (member.penalty, member.dynamic, member.paused) == (1, True, False)
        status, agent = api(system, "GET", "/api/agents")
        assert status == 200
        row = next(a for a in agent["agents"] if a["id"] == "102")
        assert row["logged_in"] and row["queues"] == [{"queue": QUEUE, "penalty": 1}]

        dial(system, "102", "*432")  # digit 2: lunch
        member = members(system)["102"]
        assert member.paused and member.reason == "lunch"
        with system.db() as db:
            assert db.execute("SELECT pause_reason FROM agent_logins WHERE agent_id = '102'").fetchone()[0] == "lunch"
        wait_for(lambda: api(system, "GET", "/api/agents")[1]["agents"][1]["state_reason"] == "lunch", 10,
                 "the live state: not ready, lunch")
        dial(system, "102", "*44")
        assert not members(system)["102"].paused

        dial(system, "102", "*439")  # no reason has digit 9: refused, nothing changes
        assert not members(system)["102"].paused
        assert "no pause reason has phone digit '9'" in system.serve_log.read_text()

        dial(system, "102", "*42")
        assert "102" not in members(system)
        with system.db() as db:
            assert db.execute("SELECT 1 FROM agent_logins WHERE agent_id = '102'").fetchone() is None
            # feature codes are not conversations: none of them is in the call history
            assert db.execute("SELECT count(*) FROM calls WHERE dialled LIKE '*%'").fetchone()[0] == 0
    finally:
        assert api(system, "POST", "/api/agents/102/login")[0] == 200
    assert "102" in members(system)


def _queued_call(system: System, work: Path, talk: SippAgent, *others: SippAgent) -> dict:
    scenario = work / "caller.xml"
    # the agent hangs up
    scenario.write_text(keypress_scenario(TO_QUEUE, work, callee_hangs_up=True), encoding="utf-8")
    before = time.time()
    result = system.sipp("-sf", str(scenario), "-s", "5145550100")
    assert result.returncode == 0, f"caller:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    answered = talk.wait(30)
    assert answered.returncode == 0, f"agent {talk.agent_id}:\n{answered.stdout[-2000:]}"

    def written() -> dict | None:
        with system.db() as db:
            row = db.execute("SELECT linkedid, agent, queue, disposition FROM calls WHERE started_at >= ? "
                             "AND dialled = '5145550100' ORDER BY started_at DESC", [
                                 datetime.fromtimestamp(before, UTC).isoformat()[:19]]).fetchone()
        return dict(row) if row else None

    return wait_for(written, 20, "the queued call in the store")


def test_a_caller_queued_while_101_is_paused_is_answered_by_102(system: System) -> None:
    work = Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix="paused-"))
    status, body = api(system, "POST", "/api/agents/101/pause", {"reason": "break"})
    assert status == 200 and body["paused"] and body["pause_reason"] == "break", body
    assert members(system)["101"].paused
    first, second = (SippAgent(system, a, AGENT_SECRETS[a], work) for a in ("101", "102"))
    try:
        first.start(answers("101", talk_ms=3000))
        second.start(answers("102", talk_ms=3000))
        call = _queued_call(system, work, second)
        assert (call["queue"], call["agent"], call["disposition"]) == (QUEUE, "102", "answered")
        assert first.process is not None and first.process.poll() is None  # 101 was never rung
        with system.db() as db:
            kinds = db.execute("SELECT detail FROM call_events WHERE linkedid = ? AND kind = 'agent_ringing'",
                               [call["linkedid"]]).fetchall()
        assert [json.loads(k[0])["agent"] for k in kinds] == ["102"]
    finally:
        first.stop()
        second.stop()
        assert api(system, "POST", "/api/agents/101/unpause")[0] == 200
    assert not members(system)["101"].paused


def test_a_queue_call_gives_ready_ringing_on_call_wrap_up_ready(system: System) -> None:
    work = Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix="timeline-"))
    phone = SippAgent(system, "101", AGENT_SECRETS["101"], work)
    try:
        phone.start(answers("101", ring_ms=1500, talk_ms=3000))  # 101 hangs up after 3 s
        since = datetime.now(UTC).isoformat()[:23]
        call = _queued_call(system, work, phone)
        assert call["agent"] == "101"
        linkedid = call["linkedid"]

        def settled() -> list[dict] | None:
            rows = states(system, "101", since)
            mine = [i for i, r in enumerate(rows) if r["linkedid"] == linkedid]
            if not mine or mine[-1] + 1 >= len(rows):
                return None  # the wrap-up (5 s, the queue's wrapuptime) has not ended yet
            return rows[mine[0] - 1: mine[-1] + 2]

        rows = wait_for(settled, 20, "101's states through the call and its wrap-up")
    finally:
        phone.stop()
    assert [r["state"] for r in rows] == ["ready", "ringing", "on_call", "wrap_up", "ready"], rows
    assert all(r["queue"] == QUEUE for r in rows[1:4])
    seconds = [(parse_iso(r["ended_at"]) - parse_iso(r["started_at"])).total_seconds() for r in rows[1:4]]
    ringing, talking, wrap_up = seconds
    assert 1.2 <= ringing <= 2.5, seconds  # the phone rang 1.5 s before answering
    assert 2.5 <= talking <= 4.5, seconds  # then talked 3 s
    assert wrap_up == pytest.approx(5.0, abs=0.01), seconds  # app_queue's wrapuptime, to the millisecond
    for before, after in itertools.pairwise(rows):
        assert before["ended_at"] == after["started_at"]  # the timeline tiles: no gap, no overlap

    status, body = api(system, "GET", f"/api/agents/101/states?from={since}Z")
    assert status == 200 and linkedid in {s["linkedid"] for s in body["states"]}
    status, body = api(system, "GET", f"/api/agents/stats?agent=101&from={since}Z")
    assert status == 200
    (stats,) = body["agents"]
    assert stats["calls"] == 1 and stats["seconds"]["on_call"] == pytest.approx(talking, abs=0.2)
    assert stats["seconds"]["wrap_up"] == pytest.approx(5.0, abs=0.2) and 0 < stats["occupancy"] <= 1


def test_logged_in_agents_are_members_again_after_asterisk_restarts(system: System) -> None:
    assert api(system, "POST", "/api/agents/102/pause", {"reason": "training"})[0] == 200
    try:
        before = members(system)
        assert set(before) == {"101", "102"}
        restarted = system.sandbox("restart")
        assert restarted.returncode == 0, restarted.stderr

        def back() -> dict[str, Member] | None:
            try:
                found = members(system)
            except Exception:  # Asterisk is still starting
                return None
            return found if set(found) == {"101", "102"} else None

        after = wait_for(back, 60, "101 and 102 members of the reception queue again")
        assert {a: (m.penalty, m.dynamic) for a, m in after.items()} == {"101": (0, True), "102": (1, True)}
        assert after["102"].paused and after["102"].reason == "training" and not after["101"].paused
        assert "agents reconciled with Asterisk: 101 added to 1000-accueil" in system.serve_log.read_text()
    finally:
        assert api(system, "POST", "/api/agents/102/unpause")[0] == 200
