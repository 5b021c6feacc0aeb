"""The agent's desk against the real Asterisk: a caller reaches agent 101 and 101's stream pops the call
with the caller's earlier call and its wrap-up, 102's stream does not; a supervisor listens from their
softphone and Asterisk spies on 101's channel; what an agent may and may not touch."""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.support import wait_for

from .agents import SippAgent, agent_account, answers, blind_transfers
from .conftest import ADMIN_PASSWORD, AGENT_SECRETS, BIN, DEMO_PASSWORD, OTHER_PASSWORD, System
from .desk_stream import INFOPAGES, LOGINS, PASSWORD, follow
from .sipp import keypress_scenario

pytestmark = pytest.mark.asterisk

NUMBER = "5145557001"  # the caller of both calls
QUEUE = [1.5, "1", 2.0, "1"]  # French, then the reception queue (ivr/examples/demo.yaml)


@pytest.fixture(scope="module")
def desk(system: System) -> Iterator[System]:
    for agent, login in LOGINS.items():
        agent_account(system, login, agent, PASSWORD)  # tests/e2e/test_script.py and test_overflow.py too
    system.cli("users", "add", "sophie", "--role", "supervisor", "--agent", "109", "--password-stdin",
               stdin=PASSWORD + "\n")
    system.cli("contacts", "infopages", "1000", "--set", "-", stdin=json.dumps(INFOPAGES))
    yield system


def _call(system: System, work: Path, talk_ms: int,
          number: str = NUMBER) -> tuple[subprocess.CompletedProcess[str], SippAgent]:
    """A caller through the IVR into the queue; agent 101 answers and hangs up after talk_ms."""
    scenario = work / "caller.xml"
    scenario.write_text(keypress_scenario(QUEUE, work, number=number, callee_hangs_up=True), encoding="utf-8")
    phone = SippAgent(system, "101", AGENT_SECRETS["101"], work)
    phone.start(answers("101", talk_ms=talk_ms))
    return system.sipp("-sf", str(scenario), "-s", "5145550100", timeout=90), phone


def _wait_call(system: System, token: str, linkedid: str) -> dict:
    def written() -> dict | None:
        status, _, body = system.request("GET", f"/api/calls/{linkedid}", token=token)
        return json.loads(body) if status == 200 and json.loads(body)["ended_at"] else None

    return wait_for(written, 30, f"call {linkedid} in the history")


def test_the_pop_reaches_the_answering_agent_only_and_a_supervisor_listens(desk: System) -> None:
    system = desk
    work = Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix="desk-"))
    alice, bruno = system.login("alice101", PASSWORD), system.login("bruno102", PASSWORD)
    sophie = system.login("sophie", PASSWORD)

    # A first call from the number: agent 101 answers, then notes what it was about.
    first_stream = follow(system, alice)
    result, phone = _call(system, work, talk_ms=3000)
    try:
        assert result.returncode == 0, f"caller:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        assert phone.wait(30).returncode == 0
    finally:
        phone.stop()
    pop = wait_for(lambda: next((d for k, d in first_stream.events if k == "pop"), None), 10, "the first pop")
    first = pop["linkedid"]
    status, _, body = system.request("POST", f"/api/calls/{first}/wrapup", token=alice,
                                     body={"code": "message_taken", "notes": "Fuite sous l'évier"})
    assert status == 200, body
    assert _wait_call(system, alice, first)["wrapup"]["notes"] == "Fuite sous l'évier"

    # The second call: 101's stream pops it with the first call and its wrap-up; 102's does not.
    streams = {"101": follow(system, alice), "102": follow(system, bruno)}
    capture = work / "ami.jsonl"
    ami = subprocess.Popen([str(BIN / "permanence"), "ami", "capture", str(capture), "--seconds", "45"],
                           env=system.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    supervisor = SippAgent(system, "109", AGENT_SECRETS["109"], work)
    outcome: dict[str, object] = {}
    try:
        time.sleep(1.0)  # the capture logged in
        supervisor.start(answers("109", ring_ms=300, talk_ms=60000))
        caller = threading.Thread(target=lambda: outcome.update(call=_call(system, work, talk_ms=15000)))
        caller.start()
        pop = wait_for(lambda: next((d for k, d in streams["101"].events if k == "pop"), None), 30,
                       "the pop on agent 101's stream")
        assert pop["agent"] == "101" and pop["linkedid"] != first
        # On the agent's screen within a second of Asterisk connecting the call (its AgentConnect's time).
        at = datetime.fromisoformat(pop["at"].replace("Z", "+00:00")).timestamp()
        latency = streams["101"].received[streams["101"].kinds().index("pop")] - at
        assert 0 <= latency < 1.0, latency
        assert pop["caller"]["number"] == "+1" + NUMBER and pop["caller"]["known"] is True
        assert pop["caller"]["calls_count"] >= 2
        earlier = pop["earlier_calls"][0]
        assert earlier["linkedid"] == first and earlier["agent"] == "101" and earlier["disposition"] == "answered"
        assert earlier["wrapup_code"] == "message_taken" and earlier["wrapup_notes"] == "Fuite sous l'évier"
        assert pop["client"]["code"] == "1000" and pop["client"]["name"] == "Plomberie Démo"
        assert pop["client"]["language"] == "fr"
        assert pop["client"]["infopages"] == INFOPAGES["sections"]
        assert pop["queue"] == "1000-accueil"
        assert [s["digit"] for s in pop["ivr_path"] if s["digit"]] == ["1", "1"]  # French, then the queue

        # The supervisor listens: their softphone (109) rings into ChanSpy on 101's channel.
        for bad, code in (({"agent": "101", "mode": "shout"}, 400), ({"agent": "102", "mode": "listen"}, 409)):
            assert system.request("POST", "/api/supervise", token=sophie, body=bad)[0] == code
        assert system.request("POST", "/api/supervise", token=alice, body={"agent": "101", "mode": "listen"})[0] == 404
        status, _, body = system.request("POST", "/api/supervise", token=sophie,
                                         body={"agent": "101", "mode": "listen"})
        assert status == 202, body
        spied = json.loads(body)
        assert spied["phone"] == "109" and spied["channel"].startswith("PJSIP/101-")

        def spy_started() -> dict | None:
            for line in capture.read_text().splitlines():
                event = json.loads(line)
                if event.get("Event") == "ChanSpyStart":
                    return event
            return None

        event = wait_for(spy_started, 15, "ChanSpyStart from Asterisk")
        assert event["SpyeeChannel"] == spied["channel"]
        assert event["SpyerChannel"].startswith("PJSIP/109-")
        # The supervisor's channel runs ChanSpy on exactly that channel, quiet, leaving with it (qE).
        channels = system.sandbox("rx", "core show channels concise").stdout.splitlines()
        spyer = next(line.split("!") for line in channels if line.startswith(event["SpyerChannel"] + "!"))
        assert spyer[5:7] == ["ChanSpy", f"{spied['channel']},qE"]
        caller.join(90)
        call, phone = outcome["call"]  # type: ignore[misc]
        try:
            assert call.returncode == 0, f"caller:\n{call.stdout[-2000:]}"
            assert phone.wait(30).returncode == 0
        finally:
            phone.stop()
        # ChanSpy's E: the spy leaves with the agent's call; the supervisor's phone is hung up on.
        assert supervisor.wait(30).returncode == 0
    finally:
        supervisor.stop()
        ami.kill()
        ami.wait(10)

    wait_for(lambda: "ended" in streams["101"].kinds(), 20, "the end of the call on 101's stream")
    assert streams["102"].events == [] and streams["102"].status == 200  # kept alive, never told of 101's call
    second = pop["linkedid"]

    # Who may touch the second call: 101 reads it; 102, a client of another client, nobody else.
    assert _wait_call(system, alice, second)["agent"] == "101"
    assert system.request("GET", f"/api/calls/{second}", token=bruno)[0] == 404
    listed = json.loads(system.request("GET", "/api/calls", token=alice)[2])["calls"]
    assert {first, second} <= {c["linkedid"] for c in listed}
    assert {c["agent"] for c in listed} == {"101"}  # the calls 101 answered, none of anyone else's
    # 102 may have calls of its own from other tests on this system (transfers reach it), never 101's.
    theirs = {c["linkedid"] for c in json.loads(system.request("GET", "/api/calls", token=bruno)[2])["calls"]}
    assert not {first, second} & theirs
    other = system.login("other", OTHER_PASSWORD)
    for token in (bruno, other, system.login("demo", DEMO_PASSWORD), system.login("admin", ADMIN_PASSWORD), sophie):
        status, _, _ = system.request("POST", f"/api/calls/{second}/wrapup", token=token,
                                      body={"code": "complaint", "notes": "not theirs"})
        assert status == 404
    assert system.request("GET", "/api/agent/events", token=sophie)[0] == 404
    status, _, body = system.request("POST", f"/api/calls/{second}/wrapup", token=alice, body={"code": "bogus"})
    assert status == 400 and json.loads(body)["field"] == "code"
    assert _wait_call(system, alice, second)["wrapup"] is None  # nothing written by the refusals


def test_a_call_transferred_to_another_agent_pops_on_their_screen(desk: System) -> None:
    """101 answers from the queue and transfers blind to 102 (a SIP REFER): 102 is not a member of the
    queue, the pop follows the bridge; 102 may then wrap the call up."""
    system = desk
    work = Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix="desk-transfer-"))
    alice, bruno = system.login("alice101", PASSWORD), system.login("bruno102", PASSWORD)
    streams = {"101": follow(system, alice), "102": follow(system, bruno)}
    phones = [SippAgent(system, agent, AGENT_SECRETS[agent], work) for agent in ("101", "102")]
    scenario = work / "caller.xml"
    scenario.write_text(keypress_scenario(QUEUE, work, number="5145557002", callee_hangs_up=True), encoding="utf-8")
    try:
        phones[0].start(blind_transfers("101", "102", talk_ms=2000))
        phones[1].start(answers("102", talk_ms=4000))
        result = system.sipp("-sf", str(scenario), "-s", "5145550100", timeout=90)
        assert result.returncode == 0, f"caller:\n{result.stdout[-2000:]}"
        for phone in phones:
            assert phone.wait(30).returncode == 0, phone.agent_id
    finally:
        for phone in phones:
            phone.stop()
    for agent in ("101", "102"):
        wait_for(lambda a=agent: "ended" in streams[a].kinds(), 20, f"the end of the call on {agent}'s stream")
    [first] = [d for k, d in streams["101"].events if k == "pop"]
    [second] = [d for k, d in streams["102"].events if k == "pop"]
    linkedid = first["linkedid"]
    assert second["linkedid"] == linkedid and second["agent"] == "102"
    assert second["client"]["code"] == "1000" and second["caller"]["number"] == "+15145557002"
    status, _, body = system.request("POST", f"/api/calls/{linkedid}/wrapup", token=bruno,
                                     body={"code": "transferred", "notes": "Pris par Bruno"})
    assert status == 200, body
    call = _wait_call(system, bruno, linkedid)
    assert call["agent"] == "101" and call["transfers"] == 1 and call["wrapup"]["agent_id"] == "102"


@pytest.mark.parametrize(("mode", "options"), [("whisper", "qwE"), ("barge", "qBE")])
def test_whisper_and_barge_spy_with_their_options(desk: System, mode: str, options: str) -> None:
    system = desk
    work = Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix=f"desk-{mode}-"))
    alice, sophie = system.login("alice101", PASSWORD), system.login("sophie", PASSWORD)
    stream = follow(system, alice)
    supervisor = SippAgent(system, "109", AGENT_SECRETS["109"], work)
    outcome: dict[str, object] = {}
    try:
        supervisor.start(answers("109", ring_ms=300, talk_ms=60000))
        caller = threading.Thread(target=lambda: outcome.update(call=_call(system, work, 12000, "5145557003")))
        caller.start()
        wait_for(lambda: "pop" in stream.kinds(), 30, "the pop on agent 101's stream")
        status, _, body = system.request("POST", "/api/supervise", token=sophie, body={"agent": "101", "mode": mode})
        assert status == 202, body
        channel = json.loads(body)["channel"]

        def spying() -> list[str] | None:
            for line in system.sandbox("rx", "core show channels concise").stdout.splitlines():
                fields = line.split("!")
                if fields[0].startswith("PJSIP/109-") and fields[5] == "ChanSpy":
                    return fields
            return None

        assert wait_for(spying, 15, f"phone 109 in ChanSpy ({mode})")[6] == f"{channel},{options}"
        caller.join(90)
        call, phone = outcome["call"]  # type: ignore[misc]
        try:
            assert call.returncode == 0, f"caller:\n{call.stdout[-2000:]}"
            assert phone.wait(30).returncode == 0
        finally:
            phone.stop()
        assert supervisor.wait(30).returncode == 0  # hung up on with the agent's call (E)
    finally:
        supervisor.stop()
