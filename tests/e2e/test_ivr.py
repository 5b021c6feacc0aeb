"""Every branch of the demo menu, by real calls: sipp presses RFC 2833 keys into the real Asterisk,
the FastAGI ivr route runs the menu from the store, and the call history keeps where the call went."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support import wait_for

from .conftest import ADMIN_PASSWORD, DEMO_PIN, System
from .sipp import keypress_scenario

pytestmark = pytest.mark.asterisk


def call(system: System, actions: list, *, number: str = "5145551234", name: str = "Test Caller",
         callee_hangs_up: bool = False) -> dict:
    """Call the demo DID, press keys, hang up; the call as the history has it (with its IVR path)."""
    admin = system.login("admin", ADMIN_PASSWORD)
    _, _, body = system.request("GET", "/api/calls?limit=500", token=admin)
    before = {c["linkedid"] for c in json.loads(body)["calls"]}
    work = system.sandbox_dir.parent / f"call-{len(before)}"
    work.mkdir()
    scenario = work / "scenario.xml"
    scenario.write_text(keypress_scenario(actions, work, number=number, name=name,
                                               callee_hangs_up=callee_hangs_up), encoding="utf-8")
    total = sum(a for a in actions if isinstance(a, int | float)) + 60
    result = system.sipp("-sf", str(scenario), "-s", "5145550100", timeout=total)
    assert result.returncode == 0, f"sipp:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"

    def fresh() -> dict | None:
        _, _, page = system.request("GET", "/api/calls?limit=500", token=admin)
        new = [c for c in json.loads(page)["calls"] if c["linkedid"] not in before]
        return new[0] if new else None

    listed = wait_for(fresh, 20, "the call in the history")
    _, _, detail = system.request("GET", f"/api/calls/{listed['linkedid']}", token=admin)
    return json.loads(detail)


def steps(call_: dict) -> list[tuple[str, str | None, str]]:
    return [(s["node"], s["digit"], s["outcome"]) for s in call_["ivr_path"]]


def outcomes(call_: dict, node: str) -> list[str]:
    return [outcome for n, _, outcome in steps(call_) if n == node]


def test_french_then_reception_queue(system: System) -> None:
    c = call(system, [1.5, "1", 2.0, "1", 3.0], number="5145551001")
    assert steps(c)[0][:2] == ("language", "1")
    assert outcomes(c, "hours") == ["open"]
    assert [d for n, d, _ in steps(c) if n == "main"] == ["1"]
    assert steps(c)[-1][0] == "reception"
    # Nobody is logged in to the queue: the caller overflows (JOINEMPTY) to the queue's default, a message.
    assert [e["detail"] for e in c["timeline"] if e["kind"] == "overflow"] == [
        {"queue": "1000-accueil", "reason": "JOINEMPTY", "action": "voicemail"}]
    assert c["disposition"] == "voicemail"
    assert len(c["recordings"]) == 1


def test_english_repeat_then_message(system: System) -> None:
    c = call(system, [1.5, "2", 2.0, "*", 2.0, "9", 6.0], number="5145551002")
    assert steps(c)[0][:2] == ("language", "2")
    assert [d for n, d, _ in steps(c) if n == "main"] == ["*", "9"]
    assert steps(c)[-1][0] == "voicemail"
    assert c["disposition"] == "voicemail"
    messages = list((Path(system.values["recordings"]) / "1000" / "messages").glob("*.wav"))
    assert messages, "the message was not recorded"


def test_invalid_digit_is_retried(system: System) -> None:
    c = call(system, [1.5, "1", 2.0, "7", 3.0, "1", 3.0], number="5145551003")
    main = [(d, o) for n, d, o in steps(c) if n == "main"]
    assert main[0][0] == "7" and "invalid" in main[0][1]
    assert main[-1][0] == "1"
    assert steps(c)[-1][0] == "reception"


def test_silence_times_out_twice_then_reaches_reception(system: System) -> None:
    c = call(system, [1.5, "1", 45.0], number="5145551004")
    main = [o for n, _, o in steps(c) if n == "main"]
    assert sum("timeout" in o for o in main) == 2, main
    assert steps(c)[-1][0] == "reception"


def test_no_key_at_the_language_prompt_takes_the_default(system: System) -> None:
    c = call(system, [12.0, "1", 3.0], number="5145551005")
    assert steps(c)[0][0] == "language" and steps(c)[0][1] is None
    assert steps(c)[-1][0] == "reception"


def test_checkin_with_the_right_pin_reaches_the_team_leaders(system: System) -> None:
    c = call(system, [1.5, "1", 2.0, "2", 1.5, "1000#", 1.5, DEMO_PIN + "#", 5.0], number="5145551006")
    assert steps(c)[-1][0] == "checkin"
    with system.db() as db:
        rows = db.execute("SELECT outcome, client_code, caller FROM checkin_attempts WHERE linkedid = ?",
                          [c["linkedid"]]).fetchall()
    assert [tuple(r) for r in rows] == [("ok", "1000", "+15145551006")]
    assert c["disposition"] == "voicemail"  # for the team leaders, none logged in: a message


def test_checkin_locks_after_repeated_wrong_pins(system: System) -> None:
    # checkin_lock_after = 2 in the test configuration: the second wrong PIN locks the client; the
    # caller hears so and the system hangs up.
    first = call(system, [1.5, "1", 2.0, "2", 1.5, "1000#", 1.5, "9999#", 5.0, "1000#", 1.5, "8888#"],
                 number="5145551007", callee_hangs_up=True)
    # Locked: even the right PIN does not get through, and the system hangs up.
    second = call(system, [1.5, "1", 2.0, "2", 1.5, "1000#", 1.5, DEMO_PIN + "#"], number="5145551007",
                  callee_hangs_up=True)
    with system.db() as db:
        rows = db.execute("SELECT linkedid, outcome FROM checkin_attempts WHERE linkedid IN (?, ?) ORDER BY id",
                          [first["linkedid"], second["linkedid"]]).fetchall()
        locked = db.execute("SELECT checkin_locked_until FROM clients WHERE code = '1000'").fetchone()[0]
        db.execute("UPDATE clients SET checkin_locked_until = NULL, checkin_failures = 0 WHERE code = '1000'")
    assert [(r[0] == first["linkedid"], r[1]) for r in rows] == [(True, "bad_pin"), (True, "bad_pin"),
                                                                 (False, "locked")]
    assert locked is not None
    assert second["disposition"] == "answered"  # handled: told it is locked, never queued
    assert steps(second)[-1][0] == "checkin"


def test_closed_hours_then_message_and_a_change_applies_to_the_next_call(system: System) -> None:
    today = datetime.now(ZoneInfo("America/Toronto")).date().isoformat()
    out = system.apply_menu(hours="mon-sun: 24h", holidays=f'["{today}"]')
    assert "v" in out
    try:
        c = call(system, [1.5, "1", 12.0], number="5145551008")
        assert outcomes(c, "hours") == ["closed"]
        assert [n for n, _, _ in steps(c)][-2:] == ["closed", "voicemail"]
        assert c["disposition"] == "voicemail"
    finally:
        system.cli("ivr", "rollback", "demo")
    c = call(system, [1.5, "1", 2.0, "1", 2.0], number="5145551008")
    assert outcomes(c, "hours") == ["open"]


def test_a_broken_menu_is_refused_and_the_live_one_keeps_working(system: System) -> None:
    broken = system.sandbox_dir.parent / "broken.yaml"
    text = (Path(__file__).parents[2] / "ivr" / "examples" / "demo.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace('"1": reception', '"1": recepton'), encoding="utf-8")
    import subprocess

    from .conftest import BIN

    result = subprocess.run([str(BIN / "permanence"), "ivr", "apply", str(broken)], env=system.env, text=True,
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 2
    assert str(broken) in result.stderr and "'main'" in result.stderr and "choices" in result.stderr
    assert "recepton" in result.stderr
    c = call(system, [1.5, "1", 2.0, "1", 2.0], number="5145551009")
    assert steps(c)[-1][0] == "reception"


def test_a_known_caller_is_recognised_on_the_second_call(system: System) -> None:
    call(system, [1.5, "1", 2.0, "1", 1.0], number="5145551010", name="Marie Tremblay")
    call(system, [1.5, "1", 2.0, "1", 1.0], number="5145551010")
    with system.db() as db:
        row = db.execute("SELECT name, calls_count FROM callers WHERE client_code = '1000' AND number = ?",
                         ["+15145551010"]).fetchone()
    assert tuple(row) == ("Marie Tremblay", 2)
