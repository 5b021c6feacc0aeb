"""What a scope may see of a client: whether the client is visible at all, and how far back.

A client user sees its own client only, and only the last `clients.history_days` days of it (60 by
default); an unlimited scope (admins, supervisors) sees every client and all of its history; an agent
sees no client, only the calls that reached them (store.calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from .clock import iso
from .scope import Scope

DEFAULT_SERVICE_LEVEL_S = 20  # the schema's default; used for calls without a client


@dataclass(frozen=True)
class ClientView:
    """The settings of a client that reading its history and statistics needs."""

    code: str
    name: str
    timezone: str
    history_days: int
    service_level_s: int


def visible_client(db: sqlite_utils.Database, scope: Scope, code: str) -> ClientView | None:
    """The client if this scope may see it; None when it does not exist or is someone else's."""
    where, params = scope.where("code")
    rows = list(db.query(
        f"SELECT code, name, timezone, history_days, service_level_s FROM clients "  # noqa: S608 - fixed fragments
        f"WHERE code = ? AND {where}", [code, *params]))
    return ClientView(**rows[0]) if rows else None


def window_days(db: sqlite_utils.Database, scope: Scope) -> int | None:
    """How many days back this scope may read: None when unlimited, 0 for a client that no longer exists."""
    if scope.admin or scope.agent_id is not None:
        return None  # an agent's calls are their own work, read without a client's window
    row = db.execute("SELECT history_days FROM clients WHERE code = ?", [scope.client_code or ""]).fetchone()
    return 0 if row is None else int(row[0])


def window_start(db: sqlite_utils.Database, scope: Scope, now: datetime | None = None) -> str | None:
    """The oldest `started_at` this scope may read (ISO, UTC), or None when it is unlimited."""
    days = window_days(db, scope)
    if days is None:
        return None
    return iso((now or datetime.now(UTC)) - timedelta(days=days))
