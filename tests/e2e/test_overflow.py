"""Overflow and callback by real calls: sipp callers into the real Asterisk, sipp agents that REGISTER,
the overflow route reading the queue's settings from the store, the callback originated through the
dialer manager user, and the call history as the web API serves it."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import connect
from store.clock import parse_iso
from store.queues import Queue, get_queue, save_queue
from tests.ami.replay import load_stream, replay, stored_row
from tests.support import wait_for

from .agents import SippAgent, answers, busy, rings_without_answer, start_uas
from .conftest import ADMIN_PASSWORD, AGENT_SECRETS, BIN, System
from .desk_stream import INFOPAGES, agent_login, follow
from .sipp import keypress_scenario

pytestmark = pytest.mark.asterisk

QUEUE = "1000-accueil"
TO_QUEUE = [1.5, "1", 2.0, "1"]  # French, then the reception queue (ivr/examples/demo.yaml)
FIXTURES = Path(__file__).parents[1] / "ami" / "fixtures" / "streams"  # tests/ami/fixtures/README.md


@pytest.fixture
def queue(system: System) -> Iterator[callable]:
    """set(**settings): the reception queue's settings for this test; put back as they were after it."""
    db = connect(system.values["store"])
    before = get_queue(db, QUEUE)

    def set_(**settings: object) -> None:
        save_queue(db, dataclasses.replace(Queue(QUEUE, "1000"), **settings))

    try:
        yield set_
    finally:
        if before is None:
            db.execute("DELETE FROM queues WHERE name = ?", [QUEUE])
        else:
            save_queue(db, before)
        db.close()


def _admin(system: System) -> str:
    return system.login("admin", ADMIN_PASSWORD)


def _linkedids(system: System, token: str, caller: str = "") -> set[str]:
    """The calls in the history (those from `caller` only, when given: several callers at once)."""
    _, _, body = system.request("GET", "/api/calls?limit=500", token=token)
    return {c["linkedid"] for c in json.loads(body)["calls"] if (c["caller_number"] or "").endswith(caller)}


def _detail(system: System, token: str, linkedid: str) -> dict:
    status, _, body = system.request("GET", f"/api/calls/{linkedid}", token=token)
    assert status == 200, body
    return json.loads(body)


def _call(system: System, actions: list, number: str, *, work: Path, callee_hangs_up: bool = False) -> dict:
    """One caller through the demo menu into the queue; the call as GET /api/calls/{id} gives it."""
    token = _admin(system)
    before = _linkedids(system, token)
    scenario = work / f"caller-{number}.xml"
    scenario.write_text(keypress_scenario(actions, work, number=number, callee_hangs_up=callee_hangs_up),
                        encoding="utf-8")
    total = sum(a for a in actions if isinstance(a, int | float)) + 60
    result = system.sipp("-sf", str(scenario), "-s", "5145550100", timeout=total)
    assert result.returncode == 0, f"sipp:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    new = wait_for(lambda: _linkedids(system, token, number) - before, 20, "the call in the history")
    assert len(new) == 1, new
    return _detail(system, token, new.pop())


def _listening(port: int) -> None:
    """Wait until a sipp phone holds its port (on a busy machine it may start after Asterisk's INVITE
    has given up)."""
    def bound() -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return True
            return False

    wait_for(bound, 10, f"a sipp phone listening on {port}")


def _overflows(call: dict) -> list[dict]:
    return [e["detail"] for e in call["timeline"] if e["kind"] == "overflow"]


@pytest.fixture
def work(system: System) -> Path:
    return Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix="overflow-"))


def _capture(system: System, out: Path) -> subprocess.Popen[bytes]:
    """The listener's AMI stream recorded into `out` (logged in once this returns) until killed."""
    ami = subprocess.Popen([str(BIN / "permanence"), "ami", "capture", str(out), "--seconds", "120"],
                           env=system.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return ami


def _stop(ami: subprocess.Popen[bytes]) -> None:
    ami.kill()
    ami.wait(10)


def _replayed_as_written(system: System, capture: Path, conversation: str, fixture: str) -> None:
    """The callback conversation's stream replayed gives the row the live listener wrote; with
    CAPTURE_AMI_FIXTURES=1 it is kept as the screen pop tests' fixture (tests/ami/fixtures/streams)."""
    with system.db() as db:
        written = stored_row(db, conversation)
    assert replay(load_stream(capture))[conversation] == written
    if os.environ.get("CAPTURE_AMI_FIXTURES") == "1":
        (FIXTURES / f"{fixture}.jsonl").write_text(capture.read_text(encoding="utf-8"), encoding="utf-8")
        (FIXTURES / f"{fixture}.expected.json").write_text(json.dumps(written, indent=2) + "\n", encoding="utf-8")


def test_no_agent_logged_in_overflows_to_the_queue_it_names_then_to_a_message(system, queue, work):
    # Nobody is registered: the reception queue refuses the caller (JOINEMPTY) and sends them to the
    # team leaders' queue, empty too, whose own overflow (the default) is a message.
    queue(overflow_action="queue", overflow_target="team-leaders")
    c = _call(system, [*TO_QUEUE, 14.0], "5145552001", work=work)
    assert _overflows(c) == [
        {"queue": QUEUE, "reason": "JOINEMPTY", "action": "queue", "target": "team-leaders"},
        {"queue": "team-leaders", "reason": "JOINEMPTY", "action": "voicemail"}]
    assert c["disposition"] == "voicemail"
    messages = Path(system.values["recordings"]) / "1000" / "messages"
    assert any(m.stat().st_mtime > time.time() - 60 for m in messages.glob("*.wav")), "no message recorded"


def test_a_caller_who_waits_past_the_max_wait_overflows(system, queue, work):
    # Agent 101 is logged in but never picks up: the caller waits in the queue until its max wait.
    queue(max_wait_s=6, overflow_action="oncall")
    agent = SippAgent(system, "101", AGENT_SECRETS["101"], work)
    agent.start(rings_without_answer("101"))
    _listening(agent.port)
    try:
        c = _call(system, [*TO_QUEUE, 14.0], "5145552002", work=work)
        rung = agent.wait(30)
        assert rung.returncode == 0, f"agent 101:\n{rung.stdout[-2000:]}"
    finally:
        agent.stop()
    assert _overflows(c) == [{"queue": QUEUE, "reason": "TIMEOUT", "action": "oncall"}]
    assert c["queue"] == QUEUE and c["agent"] is None
    assert 5.0 <= c["wait_s"] <= 9.0, c["wait_s"]  # the max wait, not the caller's whole stay
    assert c["disposition"] == "voicemail"  # nobody takes the on-call hand-off here (no phone answers): a message
    kinds = [e["kind"] for e in c["timeline"]]
    assert kinds.index("queue_joined") < kinds.index("agent_ringing") < kinds.index("overflow")


def _reload(system: System) -> None:
    status, _, body = system.request("POST", "/api/admin/asterisk/reload", token=_admin(system))
    report = json.loads(body)
    assert status == 200 and report["ok"], report


def test_a_caller_arriving_at_a_full_queue_overflows(system, queue, work):
    # One caller at most (maxlen, in Asterisk at the reload); agent 101 is logged in but paused, so
    # the first caller waits and the second finds the queue full and is hung up on.
    queue(max_callers=1, overflow_action="hangup")
    agent = SippAgent(system, "101", AGENT_SECRETS["101"], work)
    agent.start(rings_without_answer("101"))  # never rung: paused
    _listening(agent.port)
    first: dict = {}
    try:
        _reload(system)
        assert "max 1" in system.sandbox("rx", f"queue show {QUEUE}").stdout
        paused = system.sandbox("rx", f"queue pause member PJSIP/101 queue {QUEUE} reason test")
        assert paused.returncode == 0, paused.stdout + paused.stderr
        waiting = threading.Thread(target=lambda: first.update(_call(system, [*TO_QUEUE, 16.0], "5145552004",
                                                                      work=work)))
        waiting.start()
        time.sleep(8.0)  # the first caller is in the queue by now
        second = _call(system, TO_QUEUE, "5145552005", work=work, callee_hangs_up=True)
        waiting.join(90)
    finally:
        agent.stop()
        system.sandbox("rx", f"queue unpause member PJSIP/101 queue {QUEUE}")
        queue(max_callers=0)  # the fixture puts the row back; Asterisk needs the reload too
        _reload(system)
    assert _overflows(second) == [{"queue": QUEUE, "reason": "FULL", "action": "hangup"}]
    assert second["disposition"] == "failed"  # the service could not take the call
    assert _overflows(first) == [] and first["disposition"] == "abandoned_queue"
    assert first["caller_number"] != second["caller_number"]


def test_an_accepted_callback_calls_the_agent_then_the_caller_in_one_recorded_conversation(system, queue, work):
    # Agent 101 is logged in but paused: the caller waits, hears the offer after 4 s and presses 1.
    queue(callback_offer=True, callback_after_s=4, callback_key="1")
    system.cli("contacts", "infopages", "1000", "--set", "-", stdin=json.dumps(INFOPAGES))
    desks = {agent_id: follow(system, agent_login(system, agent_id)) for agent_id in ("101", "102")}
    agent = SippAgent(system, "101", AGENT_SECRETS["101"], work)
    agent.start(answers("101", ring_ms=500, talk_ms=12000))  # ~4 s of it before the caller answers
    _listening(agent.port)
    callee: subprocess.Popen[str] | None = None
    ami: subprocess.Popen[bytes] | None = None
    capture = work / "callback.jsonl"
    try:
        paused = system.sandbox("rx", f"queue pause member PJSIP/101 queue {QUEUE} reason test")
        assert paused.returncode == 0, paused.stdout + paused.stderr
        callee = start_uas(work, int(system.values["callback_port"]),
                           answers("callee", ring_ms=1000, talk_ms=30000), "callee")
        _listening(int(system.values["callback_port"]))
        original = _call(system, [*TO_QUEUE, 9.0, "1"], "5145552003", work=work, callee_hangs_up=True)
        assert _overflows(original) == [{"queue": QUEUE, "reason": "CALLBACK", "action": "callback",
                                         "target": QUEUE}]
        assert original["disposition"] == "voicemail"  # the caller left their number to be called back
        with system.db() as db:
            request = dict(db.execute("SELECT * FROM callback_requests WHERE linkedid = ?",
                                      [original["linkedid"]]).fetchone())
        assert (request["number"], request["queue"], request["status"]) == ("+15145552003", QUEUE, "pending")
        # Their place: when they joined the queue (the route's clock and Asterisk's agree within a second).
        joined = parse_iso(request["queued_at"]) - parse_iso(original["queued_at"])
        assert abs(joined.total_seconds()) < 1.5, (request["queued_at"], original["queued_at"])

        # The agent comes back: the back end calls them, then the caller.
        ami = _capture(system, capture)
        unpaused = system.sandbox("rx", f"queue unpause member PJSIP/101 queue {QUEUE}")
        assert unpaused.returncode == 0, unpaused.stdout + unpaused.stderr
        token = _admin(system)
        conversation = f"{original['linkedid']}-cb1"

        def connected() -> dict | None:
            detail = _detail(system, token, original["linkedid"])
            outcomes = [e["detail"].get("outcome") for e in detail["timeline"] if e["kind"] == "callback_outcome"]
            return detail if outcomes else None

        detail = wait_for(connected, 60, "the callback's outcome on the original call")
        talked = agent.wait(30)
        assert talked.returncode == 0, f"agent 101:\n{talked.stdout[-2000:]}"
        out, err = callee.communicate(timeout=30)
        assert callee.returncode == 0, f"callee:\n{out[-2000:]}\n{err[-2000:]}"
        wait_for(lambda: "ended" in desks["101"].kinds(), 20, "the end of the callback on 101's desk")
    finally:
        agent.stop()
        if callee is not None and callee.poll() is None:
            callee.kill()
            callee.communicate(timeout=10)
        if ami is not None:
            _stop(ami)
        system.sandbox("rx", f"queue unpause member PJSIP/101 queue {QUEUE}")

    steps = [(e["kind"], e["detail"].get("agent"), e["detail"].get("outcome")) for e in detail["timeline"]
             if e["kind"].startswith("callback_")]
    assert steps == [("callback_requested", None, None), ("callback_attempt", "101", None),
                     ("callback_outcome", "101", "connected")]
    # Agent 101's desk: the pop as soon as it answered, before the caller did, with whom it calls back and
    # what the caller went through on the call they asked from; then the caller's answer, then the end.
    # Agent 102's desk hears nothing of it.
    assert desks["101"].kinds() == ["pop", "callback", "ended"], desks["101"].events
    assert desks["102"].events == [] and desks["102"].status == 200
    (_, pop), (_, answered), (_, ended) = desks["101"].events
    assert (pop["linkedid"], pop["agent"], pop["queue"]) == (conversation, "101", QUEUE)
    assert pop["caller"]["number"] == "+15145552003"
    assert (pop["client"]["code"], pop["client"]["name"]) == ("1000", "Plomberie Démo")
    assert pop["client"]["infopages"] == INFOPAGES["sections"]
    assert pop["ivr_path"] == original["ivr_path"] and [s["digit"] for s in pop["ivr_path"] if s["digit"]] == [
        "1", "1"]  # French, then the queue: the original call's
    callback = pop["callback"]
    assert (callback["of"], callback["attempt"], callback["number"], callback["caller"]) == (
        original["linkedid"], 1, "+15145552003", "dialling")
    assert callback["requested_at"] == request["requested_at"] and callback["queued_at"] == request["queued_at"]
    assert callback["of_started_at"] == original["started_at"] and callback["waited_s"] == original["wait_s"]
    assert (answered["linkedid"], answered["caller"], answered["status"]) == (conversation, "answered", "ANSWER")
    assert parse_iso(pop["at"]) < parse_iso(answered["at"])  # popped before the caller was reached
    assert desks["101"].received[0] < desks["101"].received[1]
    assert (ended["linkedid"], ended["caller"]) == (conversation, "answered") and int(ended["talk_s"]) > 3
    # One conversation: the agent's leg and the caller's share the callback's linkedid; recorded.
    call = wait_for(lambda: _detail(system, token, conversation) if conversation in _linkedids(system, token)
                    else None, 20, "the callback conversation in the history")
    assert (call["client_code"], call["agent"], call["disposition"]) == ("1000", "101", "answered")
    assert call["talk_s"] and call["talk_s"] > 3.0
    assert [e["detail"] for e in call["timeline"] if e["kind"] == "callback_of"] == [
        {"request": str(request["id"]), "call": original["linkedid"], "queue": QUEUE, "agent": "101"}]
    statuses = [e["detail"].get("status") for e in call["timeline"] if e["kind"] == "callback"]
    assert statuses == ["AGENT", "ANSWER"]
    dialled = [e["detail"] for e in call["timeline"] if e["kind"] == "dial"]
    assert any("+15145552003" in d.get("dialstring", "") for d in dialled), dialled
    [rec] = call["recordings"]
    files = list((Path(system.values["recordings"]) / "1000").rglob(f"{conversation}.wav"))
    assert len(files) == 1, files
    with wave.open(str(files[0])) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(rec["duration_s"], abs=0.01)
    assert rec["duration_s"] > 3.0
    with system.db() as db:
        status = db.execute("SELECT status, attempts FROM callback_requests WHERE id = ?",
                            [request["id"]]).fetchone()
        rows = db.execute("SELECT count(*) FROM calls WHERE linkedid LIKE ?",
                          [original["linkedid"] + "-cb%"]).fetchone()[0]
    assert tuple(status) == ("connected", 1)
    assert rows == 1
    _replayed_as_written(system, capture, conversation, "callback_connected")

    # The agent's wrap-up from the desk lands on the conversation, and the original call shows it.
    alice = agent_login(system, "101")
    status, _, body = system.request("POST", f"/api/calls/{conversation}/wrapup", token=alice,
                                     body={"code": "information_given", "notes": "Rappelée : devis envoyé"})
    assert status == 200, body
    assert _detail(system, token, conversation)["wrapup"]["notes"] == "Rappelée : devis envoyé"
    [told] = _detail(system, token, original["linkedid"])["callbacks"]
    assert (told["call"], told["agent"], told["outcome"]) == (conversation, "101", "connected")
    assert (told["wrapup"]["code"], told["wrapup"]["notes"]) == ("information_given", "Rappelée : devis envoyé")
    assert system.request("POST", f"/api/calls/{conversation}/wrapup", token=agent_login(system, "102"),
                          body={"code": "complaint"})[0] == 404  # not 102's


def test_a_callback_that_finds_the_caller_busy_is_kept_for_a_later_attempt(system, queue, work):
    # The offer accepted as above; when agent 101 calls back, the caller's phone answers busy.
    queue(callback_offer=True, callback_after_s=4, callback_key="1")
    desks = {agent_id: follow(system, agent_login(system, agent_id)) for agent_id in ("101", "102")}
    agent = SippAgent(system, "101", AGENT_SECRETS["101"], work)
    agent.start(answers("101", ring_ms=500, talk_ms=30000))
    _listening(agent.port)
    callee: subprocess.Popen[str] | None = None
    ami: subprocess.Popen[bytes] | None = None
    capture = work / "callback-busy.jsonl"
    request_id = None
    try:
        paused = system.sandbox("rx", f"queue pause member PJSIP/101 queue {QUEUE} reason test")
        assert paused.returncode == 0, paused.stdout + paused.stderr
        callee = start_uas(work, int(system.values["callback_port"]), busy(), "callee-busy")
        _listening(int(system.values["callback_port"]))
        original = _call(system, [*TO_QUEUE, 9.0, "1"], "5145552006", work=work, callee_hangs_up=True)
        with system.db() as db:
            request_id = db.execute("SELECT id FROM callback_requests WHERE linkedid = ?",
                                    [original["linkedid"]]).fetchone()[0]
        ami = _capture(system, capture)
        system.sandbox("rx", f"queue unpause member PJSIP/101 queue {QUEUE}")
        token = _admin(system)

        def outcome() -> dict | None:
            detail = _detail(system, token, original["linkedid"])
            found = [e for e in detail["timeline"] if e["kind"] == "callback_outcome"]
            return found[0]["detail"] if found else None

        told = wait_for(outcome, 60, "the callback's outcome")
        rung = agent.wait(30)  # Asterisk hung the agent up once the caller's phone said busy
        assert rung.returncode == 0, f"agent 101:\n{rung.stdout[-2000:]}"
        out, err = callee.communicate(timeout=30)
        assert callee.returncode == 0, f"callee:\n{out[-2000:]}\n{err[-2000:]}"
        wait_for(lambda: "ended" in desks["101"].kinds(), 20, "the end of the callback on 101's desk")
        with system.db() as db:
            request = dict(db.execute("SELECT status, attempts, next_attempt_at, updated_at FROM callback_requests "
                                      "WHERE id = ?", [request_id]).fetchone())
    finally:
        agent.stop()
        if callee is not None and callee.poll() is None:
            callee.kill()
            callee.communicate(timeout=10)
        if ami is not None:
            _stop(ami)
        system.sandbox("rx", f"queue unpause member PJSIP/101 queue {QUEUE}")
        if request_id is not None:  # no later attempt during the other tests
            with system.db() as db:
                db.execute("UPDATE callback_requests SET status = 'cancelled' WHERE id = ?", [request_id])
    assert (told["outcome"], told["agent"]) == ("busy", "101")
    # Tried again later (retry_after_s: 120 s by default), not given up after one busy line.
    assert (request["status"], request["attempts"]) == ("pending", 1)
    spaced = parse_iso(request["next_attempt_at"]) - parse_iso(request["updated_at"])
    assert spaced.total_seconds() == pytest.approx(120, abs=1)
    conversation = _detail(system, token, told["call"])
    assert conversation["disposition"] == "failed"  # the caller was not reached
    assert [e["detail"].get("status") for e in conversation["timeline"] if e["kind"] == "callback"] == [
        "AGENT", "BUSY"]
    # The desk popped the callback, then said the caller was not reached (busy), then the end.
    assert desks["101"].kinds() == ["pop", "callback", "ended"], desks["101"].events
    assert desks["102"].events == []
    (_, pop), (_, dialled), (_, ended) = desks["101"].events
    assert pop["linkedid"] == told["call"] and pop["callback"]["of"] == original["linkedid"]
    assert pop["caller"]["number"] == "+15145552006" and pop["callback"]["attempt"] == 1
    assert (dialled["caller"], dialled["status"]) == ("not_reached", "BUSY")
    assert (ended["caller"], ended["talk_s"]) == ("not_reached", "")
    _replayed_as_written(system, capture, told["call"], "callback_busy")
