"""Recordings retention: each client keeps its recordings for a number of days (or for ever)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from .clients import get_client
from .clock import iso


def set_retention(db: sqlite_utils.Database, client_code: str, days: int | None) -> None:
    if get_client(db, client_code) is None:
        raise ValueError(f"no client {client_code}")
    if days is not None and days < 1:
        raise ValueError("retention is at least one day")
    db.execute("UPDATE clients SET recordings_retention_days = ? WHERE code = ?", [days, client_code])


def retention(db: sqlite_utils.Database, client_code: str) -> int | None:
    row = db.execute("SELECT recordings_retention_days FROM clients WHERE code = ?", [client_code]).fetchone()
    return row[0] if row else None


def expired_recordings(db: sqlite_utils.Database, now: datetime, client_code: str | None = None) -> list[dict]:
    """Recordings older than their client's retention and not purged yet, oldest first."""
    rows = db.query(
        "SELECT r.id, r.linkedid, r.client_code, r.path, r.size_bytes, r.created_at, c.recordings_retention_days "
        "AS days FROM recordings r JOIN clients c ON c.code = r.client_code "
        "WHERE r.purged_at IS NULL AND c.recordings_retention_days IS NOT NULL "
        "AND (? IS NULL OR r.client_code = ?) ORDER BY r.created_at",
        [client_code, client_code])
    return [dict(r) for r in rows if r["created_at"] < iso(now - timedelta(days=r["days"]))]


def mark_purged(db: sqlite_utils.Database, recording_ids: list[int], at: str) -> None:
    for rid in recording_ids:
        db.execute("UPDATE recordings SET purged_at = ? WHERE id = ? AND purged_at IS NULL", [at, rid])
