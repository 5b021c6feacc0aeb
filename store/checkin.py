"""The check-in line's data: each client's phone PIN (hashed), failure count, lock-out, attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from .clients import get_client
from .clock import iso

OUTCOMES = ("ok", "bad_pin", "unknown_client", "locked", "no_input")


@dataclass(frozen=True)
class CheckinState:
    client_code: str
    pin_hash: str | None
    failures: int
    locked_until: str | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > iso(now)


def set_pin(db: sqlite_utils.Database, client_code: str, pin_hash: str) -> None:
    if get_client(db, client_code) is None:
        raise ValueError(f"no client {client_code}")
    db.execute("UPDATE clients SET checkin_pin_hash = ?, checkin_failures = 0, checkin_locked_until = NULL "
               "WHERE code = ?", [pin_hash, client_code])


def checkin_state(db: sqlite_utils.Database, client_code: str) -> CheckinState | None:
    row = db.execute("SELECT checkin_pin_hash, checkin_failures, checkin_locked_until FROM clients WHERE code = ?",
                     [client_code]).fetchone()
    return CheckinState(client_code, row[0], row[1], row[2]) if row else None


def record_attempt(db: sqlite_utils.Database, *, linkedid: str | None, caller: str | None,
                   client_code: str | None, outcome: str, now: datetime, lock_after: int,
                   lock_for: timedelta) -> CheckinState | None:
    """Log the attempt; a wrong PIN counts towards the lock-out, a right one clears the count."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown check-in outcome {outcome!r}")
    db.execute("INSERT INTO checkin_attempts (at, linkedid, caller, client_code, outcome) VALUES (?, ?, ?, ?, ?)",
               [iso(now), linkedid, caller, client_code, outcome])
    if client_code is None:
        return None
    if outcome == "ok":
        db.execute("UPDATE clients SET checkin_failures = 0, checkin_locked_until = NULL WHERE code = ?",
                   [client_code])
    elif outcome == "bad_pin":
        db.execute("UPDATE clients SET checkin_failures = checkin_failures + 1 WHERE code = ?", [client_code])
        db.execute("UPDATE clients SET checkin_locked_until = ?, checkin_failures = 0 "
                   "WHERE code = ? AND checkin_failures >= ?", [iso(now + lock_for), client_code, lock_after])
    return checkin_state(db, client_code)


def attempts(db: sqlite_utils.Database, client_code: str | None = None, limit: int = 100) -> list[dict]:
    where, args = ("WHERE client_code = ?", [client_code]) if client_code else ("", [])
    return list(db.query(f"SELECT * FROM checkin_attempts {where} ORDER BY id DESC LIMIT ?",  # noqa: S608
                         [*args, limit]))
