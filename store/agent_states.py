"""Agents' state timelines (written by the AMI listener) and the occupancy figures read from them.

One row per state an agent was in, from started_at to ended_at; the current state's row is open
(ended_at NULL). A new state closes the open row at the moment the new one starts, so an agent's
rows tile its time without gaps or overlaps. The formulas are in web/STATS.md ("Agents").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from .clock import iso

STATES = ("logged_out", "ready", "ringing", "on_call", "wrap_up", "not_ready")
HANDLING = ("on_call", "wrap_up")  # time spent on calls
AVAILABLE = ("ready", "ringing", "on_call", "wrap_up")  # logged in and not paused


@dataclass(frozen=True)
class StateChange:
    agent_id: str
    state: str
    at: str
    reason: str | None = None
    linkedid: str | None = None
    queue: str | None = None


def record(db: sqlite_utils.Database, change: StateChange) -> None:
    """Close the agent's open row at `change.at` and open the new state's. A change older than the open
    row (events replayed out of order) is kept as a zero-length row rather than rewriting history."""
    if change.state not in STATES:
        raise ValueError(f"agent {change.agent_id}: unknown state {change.state!r}")
    db.execute("UPDATE agent_states SET ended_at = max(started_at, ?) WHERE agent_id = ? AND ended_at IS NULL",
               [change.at, change.agent_id])
    db.execute("INSERT INTO agent_states (agent_id, state, reason, linkedid, queue, started_at) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               [change.agent_id, change.state, change.reason, change.linkedid, change.queue, change.at])


def timeline(db: sqlite_utils.Database, agent_id: str, start: datetime, end: datetime) -> list[dict]:
    """The agent's rows that overlap [start, end), oldest first (the open one with ended_at null)."""
    return list(db.query(
        "SELECT state, reason, linkedid, queue, started_at, ended_at FROM agent_states WHERE agent_id = ? "
        "AND started_at < ? AND (ended_at IS NULL OR ended_at > ?) ORDER BY started_at, id",
        [agent_id, iso(end), iso(start)]))


def occupancy(db: sqlite_utils.Database, start: datetime, end: datetime, now: datetime,
              agent_id: str | None = None) -> list[dict]:
    """Per agent: seconds in each state within [start, end) (an open row counts up to `now`), not-ready
    seconds per reason, calls answered, and the ratios of web/STATS.md."""
    lo, hi, upto = iso(start), iso(end), iso(min(now, end))
    where, args = "", [upto, hi, lo, hi, lo]
    if agent_id is not None:
        where, args = " AND agent_id = ?", [*args, agent_id]
    rows = db.query(
        # The part of each row inside the period: from max(start, started) to min(end, ended or now).
        "SELECT agent_id, state, reason, sum(max(0, (julianday(min(coalesce(ended_at, ?), ?)) "
        "- julianday(max(started_at, ?))) * 86400.0)) AS seconds, "
        "count(DISTINCT CASE WHEN state = 'on_call' AND linkedid IS NOT NULL THEN linkedid END) AS calls "
        "FROM agent_states WHERE started_at < ? AND (ended_at IS NULL OR ended_at > ?)" + where
        + " GROUP BY agent_id, state, reason ORDER BY agent_id", args)
    agents: dict[str, dict] = {}
    for row in rows:
        entry = agents.setdefault(row["agent_id"], {
            "agent_id": row["agent_id"], "seconds": dict.fromkeys(STATES, 0.0), "not_ready_reasons": {},
            "calls": 0})
        entry["seconds"][row["state"]] += row["seconds"]
        entry["calls"] += row["calls"]
        if row["state"] == "not_ready":
            key = row["reason"] or ""
            entry["not_ready_reasons"][key] = entry["not_ready_reasons"].get(key, 0.0) + row["seconds"]
    return [_ratios(entry) for entry in agents.values()]


def _ratios(entry: dict) -> dict:
    s = entry["seconds"]
    logged_in = sum(v for k, v in s.items() if k != "logged_out")
    available = sum(s[k] for k in AVAILABLE)
    handling = sum(s[k] for k in HANDLING)
    entry["seconds"] = {k: round(v, 1) for k, v in s.items()}
    entry["not_ready_reasons"] = {k: round(v, 1) for k, v in sorted(entry["not_ready_reasons"].items())}
    entry["logged_in_s"] = round(logged_in, 1)
    entry["occupancy"] = round(handling / available, 4) if available > 0 else None
    entry["utilisation"] = round(handling / logged_in, 4) if logged_in > 0 else None
    entry["aht_s"] = round(handling / entry["calls"], 1) if entry["calls"] else None
    return entry
