"""Who a bearer token is and which recording a scope may fetch, kept in memory between changes.

Every request for a recording (a player seeking asks for many ranges) needs both; each is a point
read, but on the event loop's connection, which every commit of the writer (the recordings' audit
among them) makes re-read its pages. Here the answers are kept while the store's access generation
stands: triggers move it whenever a token, a user, a recording, a call's client or start, or a
client's history window changes or goes, from any process (migration 17), and it is read on every
lookup — so a logout, a password change, a removed user, a revoked token, a purge or a shorter
window applies to the very next request. Time is the one other thing that changes an answer: a
token is kept until it expires, a client's recording until its call leaves the client's window.
Misses are not kept (an unknown token is read again each time, as before), and either map is
emptied when it grows past MAX_ENTRIES.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

from . import users
from .calls import get_recording
from .clock import iso, parse_iso
from .scope import Scope
from .users import User
from .visibility import window_days

MAX_ENTRIES = 10_000


class AccessCache:
    def __init__(self, db: sqlite_utils.Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._generation: int | None = None
        self._tokens: dict[str, tuple[User, str, float]] = {}  # token hash → user, expires_at, as epoch
        self._recordings: dict[tuple[Scope, int], tuple[dict, float]] = {}  # → row, visible until (epoch)
        self.reads = 0  # lookups that went to the tables (tests count them)

    def _fresh(self) -> None:
        generation = self._db.conn.execute("SELECT n FROM access_generation").fetchone()[0]
        if generation != self._generation:
            self._tokens.clear()
            self._recordings.clear()
            self._generation = generation

    def token_for(self, token_hash: str) -> tuple[User, str] | None:
        """As users.token_for at this moment: the user of a live token and when it expires."""
        self._fresh()
        now = self._clock()
        kept = self._tokens.get(token_hash)
        if kept is not None and now < kept[2]:
            return kept[0], kept[1]
        self.reads += 1
        found = users.token_for(self._db, token_hash, iso(_moment(now)))
        if found is not None:
            if len(self._tokens) >= MAX_ENTRIES:
                self._tokens.clear()
            self._tokens[token_hash] = (found[0], found[1], parse_iso(found[1]).timestamp())
        return found

    def recording(self, scope: Scope, recording_id: int) -> dict | None:
        """As calls.get_recording at this moment (an agent's lookups are not kept: which calls reached
        them is not under the generation)."""
        if scope.agent_id is not None:
            self.reads += 1
            return get_recording(self._db, scope, recording_id)
        self._fresh()
        now = self._clock()
        kept = self._recordings.get((scope, recording_id))
        if kept is not None and now < kept[1]:
            return kept[0]
        self.reads += 1
        row = get_recording(self._db, scope, recording_id, _moment(now))
        if row is not None:
            days = window_days(self._db, scope)
            # The call leaves the window when now - days > its start; unlimited scopes never lose it.
            until = float("inf") if days is None else parse_iso(row["started_at"]).timestamp() + days * 86_400
            if len(self._recordings) >= MAX_ENTRIES:
                self._recordings.clear()
            self._recordings[(scope, recording_id)] = (row, until)
        return row


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
