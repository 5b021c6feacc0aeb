"""Calls (one per Asterisk linkedid) and their recordings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime

import sqlite_utils

from . import callbacks
from .call_filter import CallFilter
from .clock import now_iso
from .desk import get_wrapup
from .ivr_path import ivr_path
from .scope import Scope
from .visibility import window_start

DISPOSITIONS = (
    "answered", "abandoned_ivr", "abandoned_queue", "voicemail", "closed_hours", "unknown_did",
    "failed", "in_progress",
)


@dataclass(frozen=True)
class RecordingRecord:
    path: str  # relative to the recordings directory
    size_bytes: int
    duration_s: float
    format: str


@dataclass(frozen=True)
class CallEvent:
    """One line of a call's timeline: what happened, when, on which channel."""
    at: str
    kind: str
    channel: str | None = None
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallRecord:
    linkedid: str
    started_at: str
    disposition: str
    client_code: str | None = None
    did: str | None = None
    dialled: str | None = None
    caller_number: str | None = None
    caller_name: str | None = None
    answered_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    hangup_cause: int | None = None
    queue: str | None = None
    agent: str | None = None
    queued_at: str | None = None
    wait_s: float | None = None  # from joining the queue to an agent answering, or to leaving unanswered
    talk_s: float | None = None  # from an agent answering to the end of the conversation
    hangup_side: str | None = None  # caller, agent or system: who ended the call
    transfers: int = 0
    recovered: bool = False
    recordings: tuple[RecordingRecord, ...] = field(default=())
    events: tuple[CallEvent, ...] = field(default=())


HANGUP_SIDES = ("caller", "agent", "system")
_COLUMNS = (*(f.name for f in fields(CallRecord) if f.name not in ("recordings", "recovered", "events")),
            "recovered")
# Built once: the listener writes one call per finished call, thousands a minute at peak.
_UPSERT_CALL = (
    f"INSERT INTO calls ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) "  # noqa: S608 - the dataclass's names
    f"ON CONFLICT (linkedid) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _COLUMNS if c != 'linkedid')}"
)


def save_call(db: sqlite_utils.Database, call: CallRecord) -> None:
    """Write or rewrite a call and its recordings (idempotent on linkedid and path)."""
    if call.disposition not in DISPOSITIONS:
        raise ValueError(f"call {call.linkedid}: unknown disposition {call.disposition!r}")
    if call.hangup_side is not None and call.hangup_side not in HANGUP_SIDES:
        raise ValueError(f"call {call.linkedid}: unknown hang-up side {call.hangup_side!r}")
    db.execute(_UPSERT_CALL, [getattr(call, c) for c in _COLUMNS[:-1]] + [int(call.recovered)])
    if call.recordings and call.client_code is None:
        raise ValueError(f"call {call.linkedid}: a recording needs a client")
    for rec in call.recordings:
        db.execute(
            "INSERT INTO recordings (linkedid, client_code, path, size_bytes, duration_s, format, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET "
            "size_bytes = excluded.size_bytes, duration_s = excluded.duration_s",
            [call.linkedid, call.client_code, rec.path, rec.size_bytes, rec.duration_s, rec.format, now_iso()],
        )
    if call.events:
        # The timeline is rewritten whole: a call rebuilt later (CEL) replaces what was followed live.
        db.execute("DELETE FROM call_events WHERE linkedid = ?", [call.linkedid])
        db.conn.executemany(
            "INSERT INTO call_events (linkedid, at, kind, channel, detail) VALUES (?, ?, ?, ?, ?)",
            [(call.linkedid, e.at, e.kind, e.channel, json.dumps(e.detail, ensure_ascii=False, sort_keys=True))
             for e in call.events])



def known_linkedids(db: sqlite_utils.Database, linkedids: list[str]) -> set[str]:
    """Which of these calls the store already has (the CEL reconciliation skips them)."""
    found: set[str] = set()
    for start in range(0, len(linkedids), 500):
        chunk = linkedids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update(r[0] for r in db.execute(
            f"SELECT linkedid FROM calls WHERE linkedid IN ({marks})", chunk))  # noqa: S608 - placeholders only
    return found

_CALL_COLUMNS = (
    "linkedid, client_code, did, dialled, caller_number, caller_name, started_at, answered_at, "
    "ended_at, duration_s, disposition, hangup_cause, queue, agent, queued_at, wait_s, talk_s, "
    "hangup_side, transfers, recovered"
)
# What a call row of the history carries, in order (the CSV export's columns, before recording_ids).
CALL_FIELDS = tuple(c.strip() for c in _CALL_COLUMNS.split(","))


def _visible(db: sqlite_utils.Database, scope: Scope, now: datetime | None) -> tuple[str, list]:
    """The scope's condition on `calls`, its window included (a client sees its last N days only); an
    agent's, the calls they answered or that popped on their screen (handled, or being handled)."""
    if scope.agent_id is not None:
        return ("(calls.agent = ? OR calls.linkedid IN (SELECT linkedid FROM screen_pops WHERE agent_id = ?))",
                [scope.agent_id, scope.agent_id])
    where, params = scope.where("calls.client_code")
    since = window_start(db, scope, now)
    if since is None:
        return where, list(params)
    return f"{where} AND calls.started_at >= ?", [*params, since]


def _history(db: sqlite_utils.Database, scope: Scope, limit: int, before: tuple[str, str] | None,
             filters: CallFilter | None, now: datetime | None, columns: str = _CALL_COLUMNS) -> tuple[str, list]:
    """The one query of the history page, for list_calls, list_call_tuples and export_page alike."""
    where, args = _visible(db, scope, now)
    narrow, narrow_args = (filters or CallFilter()).where()
    sql = f"SELECT {columns} FROM calls WHERE {where} AND {narrow}"  # noqa: S608 - fixed fragments
    args += narrow_args
    if before is not None:
        sql += " AND (started_at, linkedid) < (?, ?)"
        args += list(before)
    sql += " ORDER BY started_at DESC, linkedid DESC LIMIT ?"
    args.append(limit)
    return sql, args


def list_calls(db: sqlite_utils.Database, scope: Scope, limit: int = 50,
               before: tuple[str, str] | None = None, filters: CallFilter | None = None,
               now: datetime | None = None) -> list[dict]:
    """Calls newest first; `before` is the (started_at, linkedid) of the last row already seen."""
    calls = [_call_row(r) for r in db.query(*_history(db, scope, limit, before, filters, now))]
    _attach_recordings(db, calls)
    return calls


def list_call_tuples(db: sqlite_utils.Database, scope: Scope, limit: int,
                     before: tuple[str, str] | None = None, filters: CallFilter | None = None,
                     now: datetime | None = None) -> list[tuple]:
    """The rows of list_calls as tuples in CALL_FIELDS order (`recovered` as 0/1), each followed by the
    ids of the call's recordings: a bulk export's page, without a dict per row."""
    rows = db.conn.execute(*_history(db, scope, limit, before, filters, now)).fetchall()
    if not rows:
        return []
    ids: dict[str, list[int]] = {r[0]: [] for r in rows}
    marks = ", ".join("?" for _ in ids)
    for linkedid, rec_id in db.conn.execute(
            f"SELECT linkedid, id FROM recordings WHERE linkedid IN ({marks}) ORDER BY id", list(ids)):  # noqa: S608
        ids[linkedid].append(rec_id)
    return [(*r, tuple(ids[r[0]])) for r in rows]


_EXPORT_COLUMNS = ", ".join((
    *(f"calls.{c}" for c in CALL_FIELDS if c != "recovered"),
    "CASE calls.recovered WHEN 0 THEN 'false' ELSE 'true' END",
    "(SELECT group_concat(id, ' ') FROM (SELECT id FROM recordings r WHERE r.linkedid = calls.linkedid "
    "ORDER BY id))",
))


def export_page(db: sqlite_utils.Database, scope: Scope, limit: int, before: tuple[str, str] | None = None,
                filters: CallFilter | None = None, now: datetime | None = None) -> list[tuple]:
    """A page of the CSV export, shaped by SQLite so that a long export spends little Python per row:
    CALL_FIELDS in order (`recovered` as 'true'/'false'), then the call's recording ids space-separated
    (None without any)."""
    return db.conn.execute(*_history(db, scope, limit, before, filters, now, _EXPORT_COLUMNS)).fetchall()


def get_call(db: sqlite_utils.Database, scope: Scope, linkedid: str,
             now: datetime | None = None) -> dict | None:
    """One call with its recordings, IVR path, timeline, wrap-up and callback conversations; None if missing,
    foreign or out of the window."""
    where, params = _visible(db, scope, now)
    rows = list(db.query(
        f"SELECT {_CALL_COLUMNS} FROM calls WHERE linkedid = ? AND {where}",  # noqa: S608
        [linkedid, *params]))
    if not rows:
        return None
    calls = [_call_row(rows[0])]
    _attach_recordings(db, calls)
    calls[0]["ivr_path"] = ivr_path(db, linkedid)
    calls[0]["timeline"] = timeline(db, linkedid)
    calls[0]["wrapup"] = get_wrapup(db, linkedid)
    # The conversations of its callbacks, each with the wrap-up its agent wrote on the desk.
    calls[0]["callbacks"] = [{**c, "wrapup": get_wrapup(db, c["call"])}
                             for c in callbacks.conversations(db, linkedid)]
    return calls[0]


def timeline(db: sqlite_utils.Database, linkedid: str) -> list[dict]:
    """A call's events in order, its callback steps among them (scope is checked by the caller: get_call)."""
    events = [{"at": r["at"], "kind": r["kind"], "channel": r["channel"], "detail": json.loads(r["detail"])}
              for r in db.query("SELECT at, kind, channel, detail FROM call_events WHERE linkedid = ? "
                                "ORDER BY at, id", [linkedid])]
    steps = callbacks.timeline(db, linkedid)
    return sorted(events + steps, key=lambda e: e["at"]) if steps else events


_RECORDING_FIELDS = ("id", "linkedid", "client_code", "path", "size_bytes", "duration_s", "format", "created_at",
                     "purged_at", "started_at")


def get_recording(db: sqlite_utils.Database, scope: Scope, recording_id: int,
                  now: datetime | None = None) -> dict | None:
    """A recording with its call's start, if the scope may see that call (window included)."""
    where, params = _visible(db, scope, now)
    own, own_params = scope.where("r.client_code")  # the recording's own client too, not only its call's
    cursor = db.conn.execute(  # the plain cursor: this runs for every request of a recording, ranges included
        f"SELECT r.id, r.linkedid, r.client_code, r.path, r.size_bytes, r.duration_s, r.format, "  # noqa: S608
        f"r.created_at, r.purged_at, calls.started_at FROM recordings r "
        f"JOIN calls ON calls.linkedid = r.linkedid WHERE r.id = ? AND {own} AND {where}",
        [recording_id, *own_params, *params])
    row = cursor.fetchone()
    return None if row is None else dict(zip(_RECORDING_FIELDS, row, strict=True))


def _call_row(row: dict) -> dict:
    row = dict(row)
    row["recovered"] = bool(row["recovered"])
    return row


def _attach_recordings(db: sqlite_utils.Database, calls: list[dict]) -> None:
    if not calls:
        return
    ids = [c["linkedid"] for c in calls]
    by_call: dict[str, list[dict]] = {i: [] for i in ids}
    marks = ", ".join("?" for _ in ids)
    for rec in db.query(
        f"SELECT id, linkedid, size_bytes, duration_s, format, purged_at FROM recordings "  # noqa: S608
        f"WHERE linkedid IN ({marks}) ORDER BY id", ids):
        by_call[rec.pop("linkedid")].append(rec)
    for call in calls:
        call["recordings"] = by_call[call["linkedid"]]
