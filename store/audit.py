"""Who fetched which recording, when, from where, how many bytes, with what answer (recording_access)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

from .clock import iso, now_iso
from .scope import Scope


@dataclass(frozen=True)
class Access:
    """One request for a recording, as the web app answered it."""

    recording_id: int
    login: str
    address: str | None
    bytes: int  # body bytes sent in full (0 for 304, 404, 410, 416, HEAD or an interrupted transfer)
    status: int
    at: str | None = None  # ISO UTC; now when not given


@dataclass(frozen=True)
class AccessFilter:
    recording_id: int | None = None
    login: str | None = None
    client_code: str | None = None
    at_from: str | None = None  # ISO UTC, inclusive
    at_to: str | None = None  # ISO UTC, exclusive


_INSERT_ACCESS = ("INSERT INTO recording_access (recording_id, login, at, address, bytes, status) "
                  "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM recordings WHERE id = ?)")


def record_access(db: sqlite_utils.Database, access: Access) -> None:
    """Append the row. A request for a recording id that does not exist leaves none (there is nothing
    to reference); a refused request for someone else's recording does: it is what an audit is for."""
    record_accesses(db, [access])


def record_accesses(db: sqlite_utils.Database, accesses: list[Access], at: str | None = None) -> None:
    """Append the rows, in order, as record_access does each (one statement for a busy moment's many);
    a row without its own time gets `at`, or now."""
    now = at or now_iso()
    db.conn.executemany(_INSERT_ACCESS, [
        (a.recording_id, a.login, a.at or now, a.address, a.bytes, a.status, a.recording_id) for a in accesses])


def record_answered(db: sqlite_utils.Database, answered: list[tuple[Access, float]]) -> None:
    """record_accesses of rows each with the moment it was answered (seconds since the epoch)."""
    db.conn.executemany(_INSERT_ACCESS, [
        (a.recording_id, a.login, iso(datetime.fromtimestamp(at, UTC)), a.address, a.bytes, a.status, a.recording_id)
        for a, at in answered])


def list_access(db: sqlite_utils.Database, scope: Scope, limit: int = 50, before_id: int | None = None,
                filters: AccessFilter | None = None) -> list[dict]:
    """Newest first (by id: rows are appended in time order); `before_id` is the last id already seen."""
    f = filters or AccessFilter()
    where, args = scope.where("r.client_code")
    parts = [where]
    args = list(args)
    for condition, value in (("a.recording_id = ?", f.recording_id), ("a.login = ?", f.login),
                             ("r.client_code = ?", f.client_code), ("a.at >= ?", f.at_from),
                             ("a.at < ?", f.at_to), ("a.id < ?", before_id)):
        if value is not None:
            parts.append(condition)
            args.append(value)
    args.append(limit)
    return list(db.query(
        "SELECT a.id, a.recording_id, r.linkedid, r.client_code, a.login, a.at, a.address, a.bytes, a.status "  # noqa: S608
        f"FROM recording_access a JOIN recordings r ON r.id = a.recording_id WHERE {' AND '.join(parts)} "
        "ORDER BY a.id DESC LIMIT ?", args))
