"""The ami-ingest baseline (bench.ami_ingest): a plain asyncio reader that splits blocks on \\r\\n\\r\\n
and lines on ': ', groups events by linkedid, builds the row when the last channel of a linkedid hangs
up (measuring its WAV inline) and, after each read, executemany()s the rows it has into a SQLite file
of the project's schema and pragmas, in one transaction."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from ivr import variables as v
from recordings import measure
from store import connect
from store.clock import iso, now_iso, parse_iso

from .ami_run import STALL_S, START_TIMEOUT, AmiServer, IngestRun, finish_run, prepare_db, read_rows, wait_sent
from .ami_stream import Stream, StreamFiles

_CALL_SQL = ("INSERT INTO calls (linkedid, client_code, did, dialled, caller_number, caller_name, started_at, "
             "answered_at, ended_at, duration_s, disposition, hangup_cause, recovered) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)")
_RECORDING_SQL = ("INSERT INTO recordings (linkedid, client_code, path, size_bytes, duration_s, format, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)")


def _when(event: dict[str, str]) -> str:
    return iso(datetime.fromtimestamp(float(event["Timestamp"]), UTC))


def _value(event: dict[str, str], key: str) -> str | None:
    value = event.get(key)
    return None if value in (None, "", "<unknown>") else value


def baseline_rows(linkedid: str, events: list[dict[str, str]], ended: dict[str, str],
                  recordings: Path) -> tuple[tuple, tuple | None]:
    """The call row (and its recording row) from a linkedid's events, once its last channel hung up."""
    first = events[0]
    answered = status = client = did = recording = menu = action = agent = cause = None
    closed = False
    for e in events:
        name = e.get("Event")
        if name == "Newstate" and e.get("ChannelState") == "6" and answered is None:
            answered = _when(e)
        elif name == "UserEvent" and e.get("UserEvent") == v.CALL_EVENT:
            status, client, did = _value(e, "Status"), _value(e, "Client"), _value(e, "DID")
            recording, menu = _value(e, "Recording"), _value(e, "Menu")
        elif name == "UserEvent" and e.get("UserEvent") == v.IVR_EVENT:
            action = _value(e, "Action")
            closed = closed or e.get("Closed") == "1"
        elif name == "AgentConnect" and agent is None:
            agent = e
        elif name == "Hangup" and (e.get("Uniqueid") == linkedid or cause is None):
            cause = int(e["Cause"]) if e.get("Cause", "").isdigit() else None
    if status in (v.DNIS_UNKNOWN, v.DNIS_INVALID):
        disposition = "unknown_did"
    elif action == "fallback" or answered is None:
        disposition = "failed"
    elif agent is not None:
        disposition = "answered"
    elif action in ("voicemail", "oncall"):
        disposition = "voicemail"
    elif closed:
        disposition = "closed_hours"
    elif action == "queue":
        disposition = "abandoned_queue"
    elif menu and action is None:
        disposition = "abandoned_ivr"
    else:
        disposition = "answered"
    started, ended_at = _when(first), _when(ended)
    duration = round((parse_iso(ended_at) - parse_iso(started)).total_seconds(), 3)
    call = (linkedid, client, did, _value(first, "Exten"), _value(first, "CallerIDNum"),
            _value(first, "CallerIDName"), started, answered, ended_at, duration, disposition, cause)
    rec = None
    if recording and client:
        path = f"{recording}.wav"
        info = measure(recordings.joinpath(*path.split("/")))
        rec = (linkedid, client, path, info.size_bytes, info.duration_s, info.format, now_iso())
    return call, rec


async def run_baseline(stream: Stream, files: StreamFiles, rate: float, work: Path, recordings: Path) -> IngestRun:
    run = IngestRun("baseline", rate, stream.events, stream.calls)
    db_path = work / f"baseline-{rate:g}-{time.monotonic_ns()}.sqlite3"
    await asyncio.to_thread(prepare_db, db_path, {r["client_code"] for r in stream.expected.values()
                                                 if r["client_code"]})
    db = connect(db_path)
    conn = db.conn
    server = AmiServer(files, rate, work / "baseline.stamps")
    committed: dict[str, float] = {}
    writer: asyncio.StreamWriter | None = None
    try:
        await server.start()
        assert server.sent is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        await reader.readline()  # the banner
        writer.write(b"Action: Login\r\nUsername: bench\r\nSecret: bench\r\nActionID: 1\r\n\r\n")
        groups: dict[str, list[dict[str, str]]] = {}
        channels: dict[str, set[str]] = {}
        buffer = b""
        while len(committed) < stream.calls:
            try:
                data = await asyncio.wait_for(reader.read(1 << 16),
                                              STALL_S if server.sent.done() else START_TIMEOUT)
            except TimeoutError:
                break
            if not data:
                break
            *blocks, buffer = (buffer + data).split(b"\r\n\r\n")
            calls, recs = [], []
            for block in blocks:
                event = dict(line.split(": ", 1) for line in block.decode("utf-8").split("\r\n") if ": " in line)
                linkedid = event.get("Linkedid")
                if not linkedid:
                    continue
                name = event.get("Event")
                if name == "Newchannel":
                    groups.setdefault(linkedid, []).append(event)
                    channels.setdefault(linkedid, set()).add(event.get("Uniqueid", ""))
                    continue
                group = groups.get(linkedid)
                if group is None:
                    continue
                group.append(event)
                if name == "Hangup":
                    live = channels[linkedid]
                    live.discard(event.get("Uniqueid", ""))
                    if not live:
                        del groups[linkedid], channels[linkedid]
                        call, rec = baseline_rows(linkedid, group, event, recordings)
                        calls.append(call)
                        if rec is not None:
                            recs.append(rec)
            if calls:
                conn.execute("BEGIN")
                conn.executemany(_CALL_SQL, calls)
                conn.executemany(_RECORDING_SQL, recs)
                conn.execute("COMMIT")
                now = time.monotonic()
                for call in calls:
                    committed[call[0]] = now
        await wait_sent(server)
    finally:
        if writer is not None:
            writer.close()
        db.close()
        sent = await server.stop()
    return finish_run(run, stream, sent, committed, await asyncio.to_thread(read_rows, db_path))
