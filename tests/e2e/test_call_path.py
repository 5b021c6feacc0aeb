"""One real call through the real Asterisk, into the store, out through the web API."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest

from tests.support import wait_for

from .conftest import ADMIN_PASSWORD, DEMO_PASSWORD, OTHER_PASSWORD, System

pytestmark = pytest.mark.asterisk

def _calls(system: System, token: str) -> list[dict]:
    status, _, body = system.request("GET", "/api/calls", token=token)
    assert status == 200, body
    return json.loads(body)["calls"]


def _new_call(system: System, token: str, before: set[str], what: str) -> dict:
    def fresh() -> dict | None:
        calls = [c for c in _calls(system, token) if c["linkedid"] not in before]
        return calls[0] if calls else None

    return wait_for(fresh, 20, what)


def test_a_call_to_a_client_did_is_recorded_and_served(system: System) -> None:
    token = system.login("greeting", DEMO_PASSWORD)
    before = {c["linkedid"] for c in _calls(system, token)}

    # The carrier delivers the DID without its country code; the greeting lasts ~5 s, we hang up at 4.
    result = system.sipp("-sn", "uac", "-s", "5145550300", "-d", "4000")
    assert result.returncode == 0, f"sipp call failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"

    call = _new_call(system, token, before, "the call in GET /api/calls")
    assert call["client_code"] == "3000"
    assert call["did"] == "+15145550300"
    assert call["dialled"] == "5145550300"
    assert call["disposition"] == "answered"
    assert call["answered_at"] and call["ended_at"] and call["started_at"] <= call["answered_at"] <= call["ended_at"]
    assert 3.0 <= call["duration_s"] <= 10.0
    assert len(call["recordings"]) == 1
    rec = call["recordings"][0]
    assert rec["format"] == "wav" and rec["duration_s"] > 2.0

    # The recording row points at a real WAV in the shared recordings directory (one folder per client).
    files = list((Path(system.values["recordings"]) / "3000").rglob(f"{call['linkedid']}.wav"))
    assert len(files) == 1, files
    with wave.open(str(files[0])) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(rec["duration_s"], abs=0.01)
    assert files[0].stat().st_size == rec["size_bytes"]

    status, _, body = system.request("GET", f"/api/calls/{call['linkedid']}", token=token)
    assert status == 200 and json.loads(body)["linkedid"] == call["linkedid"]

    # The recording downloads whole, and in part with a Range request.
    status, headers, audio = system.request("GET", f"/api/recordings/{rec['id']}", token=token)
    assert status == 200
    assert headers["Content-Type"] == "audio/wav"
    assert audio == files[0].read_bytes()
    status, headers, part = system.request("GET", f"/api/recordings/{rec['id']}", token=token,
                                           headers={"Range": "bytes=0-99"})
    assert status == 206
    assert part == audio[:100]
    assert headers["Content-Range"] == f"bytes 0-99/{len(audio)}"

    # Another client sees neither the call nor its recording: 404, not 403.
    other = system.login("other", OTHER_PASSWORD)
    assert call["linkedid"] not in {c["linkedid"] for c in _calls(system, other)}
    assert system.request("GET", f"/api/calls/{call['linkedid']}", token=other)[0] == 404
    assert system.request("GET", f"/api/recordings/{rec['id']}", token=other)[0] == 404
    # An admin sees it.
    admin = system.login("admin", ADMIN_PASSWORD)
    assert system.request("GET", f"/api/calls/{call['linkedid']}", token=admin)[0] == 200


def test_an_unknown_did_is_refused_cleanly_and_logged(system: System) -> None:
    admin = system.login("admin", ADMIN_PASSWORD)
    before = {c["linkedid"] for c in _calls(system, admin)}

    scenario = Path(__file__).parent / "scenarios" / "unknown_did.xml"
    result = system.sipp("-sf", str(scenario), "-s", "5145550999")
    # The scenario only completes if Asterisk answers the INVITE with 404 (unallocated number).
    assert result.returncode == 0, f"sipp:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"

    call = _new_call(system, admin, before, "the unknown-DID call in the history")
    assert call["disposition"] == "unknown_did"
    assert call["client_code"] is None
    assert call["did"] == "+15145550999"
    assert call["answered_at"] is None  # announced in early media, never answered
    assert call["recordings"] == []
    # No client sees it.
    for login in ("demo", "greeting"):
        token = system.login(login, DEMO_PASSWORD)
        assert system.request("GET", f"/api/calls/{call['linkedid']}", token=token)[0] == 404
    assert "unknown DID +15145550999" in system.serve_log.read_text()


def test_wrong_password_is_401(system: System) -> None:
    status, _, body = system.request("POST", "/api/login", body={"login": "demo", "password": "wrong"})
    assert status == 401
    assert json.loads(body) == {"error": "invalid login or password"}
    status, headers, _ = system.request("GET", "/api/calls")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
