"""The AMI ingest bench (bench.ami_ingest) with tiny counts: the synthetic stream is the fixtures' calls,
made distinct; both sides lose nothing and write the rows the fixtures expect. Speed is not asserted:
only that there are positive numbers."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bench import ami_ingest as ai
from bench.report import ami_json, ami_table
from store.clock import parse_iso
from tests.ami.replay import replay

TINY = ai.IngestConfig(calls=60, concurrency=10, rates={1000: 0.3, 5000: 0.3}, rounds=1)


def _events(stream: ai.Stream) -> list[dict[str, str]]:
    """The stream's bytes back into events, split as the bench's baseline does."""
    blocks = stream.data.split(b"\r\n\r\n")
    assert blocks[-1] == b""
    return [dict(line.split(": ", 1) for line in block.decode().split("\r\n")) for block in blocks[:-1]]


def test_the_stream_is_the_fixture_calls_made_distinct_and_interleaved() -> None:
    templates = ai.load_templates()
    stream = ai.build(templates, 100, 10)
    events = _events(stream)

    assert stream.calls == 100 and len(set(stream.expected)) == 100
    assert stream.events == len(events) == 20 * sum(len(t.formats) for t in templates)
    assert 9 <= stream.max_concurrent <= 12 and 5 <= stream.mean_concurrent <= 12
    assert "content" not in events[0]
    # the call tracker, fed the synthetic stream, finds exactly the expected rows
    rows = {linkedid: {key: row[key] for key in ai.ROW_FIELDS} for linkedid, row in replay(events).items()}
    assert rows == stream.expected
    # each finisher is the Hangup of its call, in stream order
    for index, linkedid in zip(stream.finishers, stream.finisher_ids, strict=True):
        assert events[index]["Event"] == "Hangup" and events[index]["Linkedid"] == linkedid
    # channels and recordings are each call's own; every call ended well in the past
    channels = {e["Linkedid"]: e["Channel"] for e in events if e.get("Event") == "Newchannel"}
    assert len(set(channels.values())) == 100
    assert len(set(stream.recordings())) == len(stream.recordings()) == 80
    assert max(float(e["Timestamp"]) for e in events) <= time.time() - ai.PAST_S


def test_the_expected_rows_are_the_fixtures_rows_shifted() -> None:
    templates = ai.load_templates()
    stream = ai.build(templates, 10, 5, first=1000)
    rows = list(stream.expected.values())
    for n, row in enumerate(rows):
        fixture = json.loads((ai.STREAMS / f"{ai.SCENARIOS[n % 5]}.expected.json").read_text(encoding="utf-8"))
        shift = parse_iso(row["started_at"]) - parse_iso(fixture["started_at"])
        assert shift % timedelta(milliseconds=1) == timedelta(0)  # whole ms: the times shift exactly
        assert row["linkedid"].endswith(f".{1000 + n}")
        for key in ("client_code", "did", "dialled", "caller_number", "caller_name", "disposition",
                    "hangup_cause"):
            assert row[key] == fixture[key], key
        for key in ("answered_at", "ended_at"):
            assert (row[key] is None) == (fixture[key] is None)
            if row[key] is not None:
                assert parse_iso(row[key]) - parse_iso(fixture[key]) == shift
        if fixture["recording"] is None:
            assert row["recording"] is None
        else:
            assert row["recording"].startswith(fixture["client_code"] + "/")
            assert row["recording"].endswith(f"/{row['linkedid']}.wav")


async def test_both_sides_write_every_call_as_the_fixtures_say(tmp_path: Path) -> None:
    templates = ai.load_templates()
    stream = ai.build(templates, 25, 5)
    files = stream.write(tmp_path, "tiny")
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    ai.write_wavs(recordings, stream.recordings())

    found = {}
    for side, runner in ai.RUNNERS.items():
        work = tmp_path / side
        work.mkdir()
        done = await runner(stream, files, 0.0, work, recordings)
        assert done.problems == [], side
        assert (done.lost, done.wrong, done.rows) == (0, 0, 25), side
        assert done.rate_achieved > 0 and len(done.lags_ms) == 25 and done.p99 > 0
        [db] = work.glob(f"{side}-*.sqlite3")
        found[side] = ai.read_rows(db)

    assert found["figure"] == found["baseline"]
    rows = found["figure"]
    assert Counter(row["disposition"] for row in rows.values()) == Counter(
        {"answered": 5, "unknown_did": 5, "abandoned_queue": 5, "abandoned_ivr": 5, "voicemail": 5})
    for name in ai.SCENARIOS:  # a call of each scenario against the fixture's own expected row
        fixture = json.loads((ai.STREAMS / f"{name}.expected.json").read_text(encoding="utf-8"))
        linkedid = next(lid for lid, want in stream.expected.items() if want["disposition"] == fixture["disposition"])
        row = rows[linkedid]
        assert {k: row[k] for k in ("client_code", "did", "dialled", "caller_number", "caller_name", "disposition",
                                    "hangup_cause")} == {k: fixture[k] for k in ("client_code", "did", "dialled",
                                                                                 "caller_number", "caller_name",
                                                                                 "disposition", "hangup_cause")}
        assert (row["recording"] is None) == (fixture["recording"] is None)
        if row["recording"] is not None:
            assert row["recording_s"] == ai.WAV_S


async def test_tiny_section_completes_with_nothing_lost() -> None:
    report = await ai.run(TINY)

    assert report.problems == []
    assert report.ok
    assert [(r.side, r.rate) for r in report.runs] == [
        ("figure", 0.0), ("baseline", 0.0), ("figure", 1000.0), ("baseline", 1000.0),
        ("figure", 5000.0), ("baseline", 5000.0)]
    for run in report.runs:
        assert (run.lost, run.wrong) == (0, 0), (run.side, run.rate)
        assert run.rows == run.calls > 0
        assert run.rate_achieved > 0 and run.p99 > 0
    assert report.lost("figure") == report.lost("baseline") == 0
    assert report.best("figure") > 0 and report.best("baseline") > 0
    assert report.ratio > 0
    assert report.p99("figure", 5000) > 0 and report.p99("baseline", 1000) > 0

    text = ami_table(report)
    assert "failures: none" in text
    assert ">= 0.50" in text and ">= 40000" in text and "< 100" in text
    data = ami_json(report)
    json.dumps(data)
    assert data["ok"] is True and data["ratio"] > 0
    assert data["lost"] == {"figure": 0, "baseline": 0}


def test_a_missing_or_wrong_row_is_a_problem() -> None:
    stream = ai.build(ai.load_templates(), 10, 5)
    rows = {lid: {**want, "recording_s": ai.WAV_S} for lid, want in stream.expected.items()}
    assert ai.check_rows("figure", stream, rows) == (10, 0, [])
    first, second = list(rows)[:2]
    del rows[first]
    rows[second]["disposition"] = "failed"
    present, wrong, problems = ai.check_rows("figure", stream, rows)
    assert (present, wrong) == (9, 1)
    assert any("1 of 10 calls lost" in p for p in problems) and any("not as expected" in p for p in problems)
