"""Real calls of the main scenarios, with the AMI stream recorded during each: the stream replayed
through the tracker gives exactly the row the live listener wrote. With CAPTURE_AMI_FIXTURES=1 the
streams and rows are also written to tests/ami/fixtures/streams (the replay unit tests' fixtures)."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path

import pytest

from ami.capture import capture
from tests.ami.replay import FIELDS, load_stream, replay
from tests.support import wait_for

from .conftest import System
from .sipp import keypress_scenario

pytestmark = pytest.mark.asterisk

FIXTURES = Path(__file__).parents[1] / "ami" / "fixtures" / "streams"
UNKNOWN = Path(__file__).parent / "scenarios" / "unknown_did.xml"

SCENARIOS = {
    # name: (DID, keys and pauses or a scenario file, whether Asterisk hangs up, expected disposition)
    "answered": ("5145550300", [], True, "answered"),  # the system hangs up after the greeting
    "unknown_did": ("5145550999", UNKNOWN, False, "unknown_did"),
    "abandoned_queue": ("5145550100", [1.5, "1", 2.0, "1", 3.0], False, "abandoned_queue"),
    "abandoned_ivr": ("5145550100", [1.5, "1", 2.0], False, "abandoned_ivr"),
    "voicemail": ("5145550100", [1.5, "1", 2.0, "9", 6.0], False, "voicemail"),
}


def _row(system: System, linkedid: str) -> dict:
    with system.db() as db:
        call = dict(db.execute(f"SELECT {', '.join(FIELDS)} FROM calls WHERE linkedid = ?",
                               [linkedid]).fetchone())
        rec = db.execute("SELECT path FROM recordings WHERE linkedid = ?", [linkedid]).fetchone()
    call["recording"] = rec[0] if rec else None
    return call


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_live_row_and_the_replayed_stream_agree(system: System, name: str) -> None:
    did, actions, hangs_up, disposition = SCENARIOS[name]
    work = Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix=f"stream-{name}-"))
    stream = work / "stream.jsonl"
    if isinstance(actions, Path):
        args = ["-sf", str(actions), "-s", did]
        seconds = 12.0
    else:
        scenario = work / "scenario.xml"
        scenario.write_text(keypress_scenario(actions, work, callee_hangs_up=hangs_up), encoding="utf-8")
        args = ["-sf", str(scenario), "-s", did]
        seconds = sum(a for a in actions if isinstance(a, float)) + 12.0
    v = system.values

    async def record_while_calling() -> None:
        task = asyncio.create_task(capture("127.0.0.1", v["ami_port"], "permanence", v["ami_secret"], stream,
                                           seconds))
        await asyncio.sleep(1.0)  # logged in before the call starts
        result = await asyncio.to_thread(system.sipp, *args)
        assert result.returncode == 0, f"sipp:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        await task

    asyncio.run(record_while_calling())
    rows = replay(load_stream(stream))
    assert len(rows) == 1, f"expected one call in the stream, got {list(rows)}"
    (linkedid, replayed), = rows.items()

    def written() -> dict | None:
        with system.db() as db:
            found = db.execute("SELECT 1 FROM calls WHERE linkedid = ?", [linkedid]).fetchone()
        return _row(system, linkedid) if found else None

    live = wait_for(written, 20, f"the {name} call in the store")
    assert live["disposition"] == disposition
    if name == "answered" or name in ("abandoned_queue", "voicemail"):
        assert live["recording"] is not None
    assert replayed == live
    if os.environ.get("CAPTURE_AMI_FIXTURES") == "1":
        FIXTURES.mkdir(parents=True, exist_ok=True)
        (FIXTURES / f"{name}.jsonl").write_text(stream.read_text(encoding="utf-8"), encoding="utf-8")
        (FIXTURES / f"{name}.expected.json").write_text(json.dumps(live, indent=2) + "\n", encoding="utf-8")
