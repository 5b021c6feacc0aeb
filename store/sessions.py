"""Browser sessions (SQL only). The web app keeps the session id in a cookie; the store keeps its hash.

A session's `expires_at` is its idle deadline, pushed forward while it is used; `created_at` bounds
its whole life (the caller passes the oldest start still allowed).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from .clock import now_iso
from .users import User


@dataclass(frozen=True)
class SessionRow:
    user: User
    session_hash: str
    csrf_token: str
    created_at: str
    expires_at: str


def add_session(db: sqlite_utils.Database, session_hash: str, login: str, csrf_token: str, expires_at: str,
                address: str | None) -> None:
    now = now_iso()
    db.execute("DELETE FROM sessions WHERE expires_at < ?", [now])  # the table never grows with dead rows
    db.execute("INSERT INTO sessions (session_hash, login, csrf_token, created_at, expires_at, address) "
               "VALUES (?, ?, ?, ?, ?, ?)", [session_hash, login, csrf_token, now, expires_at, address])


def get_session(db: sqlite_utils.Database, session_hash: str, now: str, started_after: str) -> SessionRow | None:
    """The live session with this hash: not idle past its deadline, not older than `started_after`."""
    rows = list(db.query(
        "SELECT u.login, u.role, u.client_code, u.password_hash, u.agent_id, s.csrf_token, s.created_at, s.expires_at "
        "FROM sessions s JOIN users u ON u.login = s.login "
        "WHERE s.session_hash = ? AND s.expires_at > ? AND s.created_at > ?",
        [session_hash, now, started_after]))
    if not rows:
        return None
    r = rows[0]
    return SessionRow(User(r["login"], r["role"], r["client_code"], r["password_hash"], r["agent_id"]), session_hash,
                      r["csrf_token"], r["created_at"], r["expires_at"])


def touch_session(db: sqlite_utils.Database, session_hash: str, expires_at: str) -> None:
    """Push the idle deadline forward (never back: a late write must not shorten a newer one)."""
    db.execute("UPDATE sessions SET expires_at = ? WHERE session_hash = ? AND expires_at < ?",
               [expires_at, session_hash, expires_at])


def delete_session(db: sqlite_utils.Database, session_hash: str) -> None:
    db.execute("DELETE FROM sessions WHERE session_hash = ?", [session_hash])


def sessions_of(db: sqlite_utils.Database, login: str) -> int:
    return db.execute("SELECT count(*) FROM sessions WHERE login = ?", [login]).fetchone()[0]
