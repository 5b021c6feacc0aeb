"""Zero loss: `permanence serve` killed with -9 in the middle of calls loses none of them. Asterisk keeps
its own record (CEL, etc/asterisk/cel_sqlite3_custom.conf); the restarted back end rebuilds from it the
calls it missed and completes the call still in progress (ami/reconcile.py)."""

from __future__ import annotations

import json
import time
import wave
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from ami.cel import by_call, read_rows
from store.clock import parse_iso
from tests.support import wait_for

from .conftest import ADMIN_PASSWORD, System
from .sipp import keypress_scenario

pytestmark = pytest.mark.asterisk

GREETING_DID = "5145550300"  # client 3000: greeting, Wait(1), the system hangs up after ~7 s


def _scenario(system: System, number: str) -> Path:
    work = system.sandbox_dir.parent / f"zero-loss-{number}"
    work.mkdir(exist_ok=True)
    path = work / "scenario.xml"
    # the caller waits for the system to hang up (after the greeting; or, with the back end down, after
    # the "technical difficulties" announcement, never answered: sipp then fails, as it should)
    path.write_text(keypress_scenario([], work, number=number, name="Zero Loss", callee_hangs_up=True),
                    encoding="utf-8")
    return path


def _call(pool: ThreadPoolExecutor, system: System, number: str) -> Future:
    return pool.submit(system.sipp, "-sf", str(_scenario(system, number)), "-s", GREETING_DID, timeout=45)


def _stored(system: System, caller: str) -> dict | None:
    """The call from this caller as the web API serves it (with `recovered`), once it is written."""
    conn = system.db()
    try:
        row = conn.execute("SELECT linkedid FROM calls WHERE caller_number = ?", [caller]).fetchone()
    finally:
        conn.close()
    if row is None:
        return None
    token = system.login("admin", ADMIN_PASSWORD)
    status, _, body = system.request("GET", f"/api/calls/{row['linkedid']}", token=token)
    assert status == 200, body
    return json.loads(body)


def _wait_stored(system: System, caller: str, what: str) -> dict:
    return wait_for(lambda: _stored(system, caller), 25, what)


def _cel_times(system: System, linkedid: str) -> dict[str, float]:
    group = by_call(read_rows(system.values["cel_db"], 1)[1])[linkedid]
    kinds = {r.kind: r.time for r in group if r.kind in ("CHAN_START", "ANSWER")}
    return {**kinds, "HANGUP": max(r.time for r in group if r.kind == "HANGUP"),
            "LINKEDID_END": next(r.time for r in group if r.kind == "LINKEDID_END")}


def _assert_times_match_cel(system: System, call: dict) -> None:
    cel = _cel_times(system, call["linkedid"])
    assert abs(parse_iso(call["started_at"]).timestamp() - cel["CHAN_START"]) < 0.1
    if call["answered_at"] is not None:
        assert abs(parse_iso(call["answered_at"]).timestamp() - cel["ANSWER"]) < 0.1
    assert abs(parse_iso(call["ended_at"]).timestamp() - cel["HANGUP"]) < 0.1
    assert cel["LINKEDID_END"] >= cel["HANGUP"]


def _assert_recording_measured(system: System, call: dict) -> float:
    (rec,) = call["recordings"]
    (path,) = (Path(system.values["recordings"]) / "3000").rglob(f"{call['linkedid']}.wav")
    with wave.open(str(path)) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(rec["duration_s"], abs=0.01)
    assert path.stat().st_size == rec["size_bytes"] and rec["format"] == "wav"
    return rec["duration_s"]


def _same_call(call: dict) -> tuple:
    return (call["client_code"], call["did"], call["dialled"], call["disposition"], call["hangup_cause"],
            call["hangup_side"], call["queue"], call["agent"], call["transfers"])


def test_calls_during_a_kill_9_are_recovered_from_cel(system: System) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        # an undisturbed call first: what the recovered one must look like
        assert _call(pool, system, "5145558001").result().returncode == 0
        reference = _wait_stored(system, "5145558001", "the undisturbed call")
        assert reference["recovered"] is False and reference["disposition"] == "answered"

        during = _call(pool, system, "5145558002")
        time.sleep(3.0)  # answered, greeting playing
        system.kill_serve()
        time.sleep(0.5)
        down = _call(pool, system, "5145558003")  # starts and ends while the back end is down
        assert during.result().returncode == 0, "the call in progress did not end normally"
        down.result()  # refused after the announcement: the back end was not there to route it
        assert _stored(system, "5145558002") is None  # nobody wrote it: the back end was dead
    system.start_serve()

    recovered = _wait_stored(system, "5145558002", "the call cut by kill -9, recovered from CEL")
    assert recovered["recovered"] is True
    assert _same_call(recovered) == _same_call(reference)
    assert recovered["client_code"] == "3000" and recovered["did"] == "+15145550300"
    assert recovered["duration_s"] == pytest.approx(reference["duration_s"], abs=0.5)
    _assert_times_match_cel(system, recovered)
    assert _assert_recording_measured(system, recovered) == pytest.approx(
        _assert_recording_measured(system, reference), abs=0.5)

    missed = _wait_stored(system, "5145558003", "the call made while the back end was down")
    assert missed["recovered"] is True
    # no back end to route it: the dialplan's fallback, announced in early media and refused
    assert (missed["disposition"], missed["client_code"], missed["dialled"], missed["answered_at"],
            missed["hangup_cause"], missed["recordings"]) == ("failed", None, GREETING_DID, None, 41, [])
    _assert_times_match_cel(system, missed)


def test_a_call_in_progress_across_a_restart_is_completed(system: System) -> None:
    log_start = len(system.serve_log.read_text())
    with ThreadPoolExecutor(max_workers=1) as pool:
        call = _call(pool, system, "5145558004")
        time.sleep(1.0)  # routed to client 3000, answered
        system.restart_serve()  # kill -9, then a new back end that never saw the call start
        assert _stored(system, "5145558004") is None
        assert call.result().returncode == 0
    done = _wait_stored(system, "5145558004", "the call that spanned the restart")
    assert "1 in progress adopted" in system.serve_log.read_text()[log_start:]
    assert done["recovered"] is True  # its start came from CEL, its end from AMI
    assert (done["client_code"], done["did"], done["disposition"], done["hangup_cause"]) == \
        ("3000", "+15145550300", "answered", 16)
    assert 5.0 <= done["duration_s"] <= 10.0
    _assert_times_match_cel(system, done)
    _assert_recording_measured(system, done)


def test_zz_asterisk_restarted_mid_call_the_row_is_complete_and_the_listener_comes_back(system: System) -> None:
    """Runs last in this module: it restarts the session's Asterisk."""
    with ThreadPoolExecutor(1) as pool:
        call = _call(pool, system, "5145553001")
        time.sleep(3.0)  # the greeting is playing
        restarted = system.sandbox("restart")
        assert restarted.returncode == 0, restarted.stderr
        call.result(timeout=60)  # sipp ends one way or another: the call was cut
    cut = _wait_stored(system, "5145553001", "the call cut by the Asterisk restart")
    assert cut["client_code"] == "3000" and cut["ended_at"] and cut["answered_at"]
    assert 2.0 < (parse_iso(cut["ended_at"]) - parse_iso(cut["started_at"])).total_seconds() < 30.0
    assert cut["recordings"], "the part recorded before the restart is kept"

    def healthy() -> bool:
        return system.request("GET", "/healthz")[0] == 200

    wait_for(healthy, 60, "the AMI listener logged in again after the restart")
    with ThreadPoolExecutor(1) as pool:
        after = _call(pool, system, "5145553002")
        assert after.result(timeout=60).returncode == 0
    again = _wait_stored(system, "5145553002", "a call after the restart")
    assert again["disposition"] == "answered" and again["recovered"] is False
