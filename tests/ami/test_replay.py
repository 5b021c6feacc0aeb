"""Captured AMI streams of real calls (tests/ami/fixtures/streams, see its README) replayed through
the call tracker give exactly the rows the live listener wrote for those calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .replay import load_stream, replay

STREAMS = sorted((Path(__file__).parent / "fixtures" / "streams").glob("*.jsonl"))


def test_there_are_fixtures_for_the_main_scenarios():
    names = {p.stem for p in STREAMS}
    assert {"answered", "unknown_did", "abandoned_queue", "abandoned_ivr", "voicemail"} <= names


@pytest.mark.parametrize("stream", STREAMS, ids=lambda p: p.stem)
def test_replay_gives_the_rows_the_live_listener_wrote(stream: Path):
    expected = json.loads(stream.with_suffix(".expected.json").read_text(encoding="utf-8"))
    rows = replay(load_stream(stream))
    assert rows[expected["linkedid"]] == expected


@pytest.mark.parametrize("stream", STREAMS, ids=lambda p: p.stem)
def test_replay_survives_the_stream_delivered_twice(stream: Path):
    """A reconnect may deliver events again: the finished rows do not change."""
    expected = json.loads(stream.with_suffix(".expected.json").read_text(encoding="utf-8"))
    events = load_stream(stream)
    assert replay(events + events)[expected["linkedid"]] == expected
