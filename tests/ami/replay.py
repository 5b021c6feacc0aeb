"""Replaying a captured AMI event stream through the call tracker: the rows it makes, comparable with
what the live listener wrote. Shared by the replay tests and the end-to-end capture test."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ami.calls import CallTracker, call_record

# The call row's fields the replay must reproduce exactly (times included: they come from the
# events' own Timestamp, not from when they were read), and the timeline.
FIELDS = ("linkedid", "client_code", "did", "dialled", "caller_number", "caller_name", "started_at",
          "answered_at", "ended_at", "duration_s", "disposition", "hangup_cause", "queue", "agent", "queued_at",
          "wait_s", "talk_s", "hangup_side", "transfers")


def load_stream(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def replay(events: list[dict[str, str]]) -> dict[str, dict]:
    """linkedid → the row fields, the recording file (if any) and the timeline of every call the
    stream finishes, built by the listener's own call_record."""
    tracker = CallTracker()
    rows: dict[str, dict] = {}
    received = datetime(2000, 1, 1, tzinfo=UTC)  # never used when events carry their Timestamp
    for event in events:
        for finished in tracker.feed(event, received):
            record = call_record(finished)
            s = finished.state
            row = {name: getattr(record, name) for name in FIELDS}
            row["recording"] = f"{s.recording_file}.wav" if s.recording_file and s.client_code else None
            row["timeline"] = [[e.at, e.kind, e.channel, e.detail] for e in record.events]
            rows[s.linkedid] = row
    return rows


def stored_row(db: sqlite3.Connection, linkedid: str) -> dict:
    """The same fields as the live listener wrote them in the store (what a fixture's .expected.json holds)."""
    call = dict(db.execute(f"SELECT {', '.join(FIELDS)} FROM calls WHERE linkedid = ?",
                           [linkedid]).fetchone())
    rec = db.execute("SELECT path FROM recordings WHERE linkedid = ?", [linkedid]).fetchone()
    events = db.execute("SELECT at, kind, channel, detail FROM call_events WHERE linkedid = ? ORDER BY at, id",
                        [linkedid]).fetchall()
    call["recording"] = rec[0] if rec else None
    call["timeline"] = [[e["at"], e["kind"], e["channel"], json.loads(e["detail"])] for e in events]
    return call
