"""Caller records per client: found by number on each call, created on the first one."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class Caller:
    client_code: str
    number: str
    name: str | None
    notes: str
    first_call_at: str
    last_call_at: str
    last_linkedid: str | None
    calls_count: int


def touch_caller(db: sqlite_utils.Database, client_code: str, number: str, name: str | None,
                 linkedid: str | None, at: str) -> tuple[Caller | None, Caller]:
    """Record this call on the caller's record; returns (the record before, the record now)."""
    before = get_caller(db, client_code, number)
    if before is None:
        db.execute(
            "INSERT INTO callers (client_code, number, name, first_call_at, last_call_at, last_linkedid) "
            "VALUES (?, ?, ?, ?, ?, ?)", [client_code, number, name, at, at, linkedid])
    else:
        db.execute(
            "UPDATE callers SET last_call_at = ?, last_linkedid = ?, calls_count = calls_count + 1, "
            "name = coalesce(name, ?) WHERE client_code = ? AND number = ?",
            [at, linkedid, name, client_code, number])
    after = get_caller(db, client_code, number)
    assert after is not None
    return before, after


def get_caller(db: sqlite_utils.Database, client_code: str, number: str) -> Caller | None:
    rows = list(db.query("SELECT * FROM callers WHERE client_code = ? AND number = ?", [client_code, number]))
    return Caller(**rows[0]) if rows else None


def set_caller(db: sqlite_utils.Database, client_code: str, number: str, *, name: str | None = None,
               notes: str | None = None) -> None:
    if db.execute("UPDATE callers SET name = coalesce(?, name), notes = coalesce(?, notes) "
                  "WHERE client_code = ? AND number = ?", [name, notes, client_code, number]).rowcount != 1:
        raise ValueError(f"client {client_code} has no caller {number}")
