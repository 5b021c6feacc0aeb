"""Replaying a captured AMI event stream through the call tracker: the rows it makes, comparable with
what the live listener wrote. Shared by the replay tests and the end-to-end capture test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ami.calls import CallTracker

# The call row's fields the replay must reproduce exactly (times included: they come from the
# events' own Timestamp, not from when they were read).
FIELDS = ("linkedid", "client_code", "did", "dialled", "caller_number", "caller_name", "started_at",
          "answered_at", "ended_at", "disposition", "hangup_cause")


def load_stream(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def replay(events: list[dict[str, str]]) -> dict[str, dict]:
    """linkedid → the row fields (and the recording file, if any) of every call the stream finishes."""
    tracker = CallTracker()
    rows: dict[str, dict] = {}
    received = datetime(2000, 1, 1, tzinfo=UTC)  # never used when events carry their Timestamp
    for event in events:
        for finished in tracker.feed(event, received):
            s = finished.state
            rows[s.linkedid] = {
                "linkedid": s.linkedid, "client_code": s.client_code, "did": s.did, "dialled": s.dialled,
                "caller_number": s.caller_number, "caller_name": s.caller_name, "started_at": s.started_at,
                "answered_at": s.answered_at, "ended_at": finished.ended_at, "disposition": s.disposition,
                "hangup_cause": s.hangup_cause,
                "recording": f"{s.recording_file}.wav" if s.recording_file and s.client_code else None,
            }
    return rows
