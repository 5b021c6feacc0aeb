"""The wallboard's row per queue in GET /api/live's snapshot: the live counts (callers waiting, agents
by state) joined with the queue's day so far (store.queue_day).

The day's figures come from the store, which the AMI listener writes as calls end: they are read at
most every `refresh_s` seconds, once for every viewer (QueueDays), never per connected browser.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils
from aiohttp import web

from store import Store
from store.queue_day import queue_days, quiet_day

log = logging.getLogger(__name__)

REFRESH_S = 5.0
AGENT_STATES = ("ready", "ringing", "on_call", "wrap_up", "not_ready")


class QueueDays:
    """The day's figures per queue, shared by every stream of the app: stale after `refresh_s`, then
    read again by whichever stream asks first while the others wait for that one read."""

    def __init__(self, store: Store, refresh_s: float = REFRESH_S,
                 compute: Callable[[sqlite_utils.Database, datetime], dict[str, dict]] = queue_days) -> None:
        self.refresh_s = refresh_s
        self.version = 0  # moves when the figures change, so that the streams send a new snapshot
        self.figures: dict[str, dict] = {}
        self._store, self._compute = store, compute
        self._read_at: float | None = None
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._read_at is not None and asyncio.get_running_loop().time() - self._read_at < self.refresh_s

    async def current(self) -> tuple[int, dict[str, dict]]:
        """(version, figures by queue name), read from the store if they are older than refresh_s."""
        if not self._fresh():
            async with self._lock:
                if not self._fresh():
                    await self._read()
        return self.version, self.figures

    async def _read(self) -> None:
        try:
            figures = await self._store.read(lambda db: self._compute(db, datetime.now(UTC)))
        except Exception:  # the live part of the board goes on; the last figures stay until a read works
            log.exception("wallboard: the queues' day figures could not be read")
            figures = self.figures
        self._read_at = asyncio.get_running_loop().time()
        if figures != self.figures:
            self.figures = figures
            self.version += 1


DAYS = web.AppKey("queue_days", QueueDays)  # the app's one QueueDays, shared by its live streams


def board(snapshot: dict, days: dict[str, dict], now: datetime) -> list[dict]:
    """One row per queue, by name: every queue with a definition or calls today, callers waiting or
    agents. A queue the last read of the day's figures did not list has no definition and had no call
    by then: its day is empty (a call since shows at the next read)."""
    names = set(days) | set(snapshot["queues"]) | {q for agent in snapshot["agents"] for q in agent["queues"]}
    rows = []
    for name in sorted(names):
        waiting = snapshot["queues"].get(name, [])
        members = [agent for agent in snapshot["agents"] if name in agent["queues"]]
        agents = {"logged_in": len(members)}
        agents.update({state: sum(a["state"] == state for a in members) for state in AGENT_STATES})
        day = days.get(name) or quiet_day(name, now)
        rows.append({
            "queue": name,
            "label": day["label"],
            "waiting": len(waiting),
            # callers are listed oldest first: the first one's wait is the longest
            "oldest_queued_at": waiting[0]["queued_at"] if waiting else None,
            "agents": agents,
            "today": day,
        })
    return rows


_N = {"type": "integer"}
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "a fraction, 4 decimals; null "
                                                                               "when the denominator is 0"}
_SECONDS = {"type": ["number", "null"], "description": "seconds, 1 decimal; null without data"}
DAY_SCHEMA: dict = {"type": "object", "description": "the queue's day so far (formulas of web/STATS.md, per "
                    "queue; the service level against the queue's own threshold)", "properties": {
    "queue": {"type": "string"}, "label": {"type": "string"}, "client_code": {"type": ["string", "null"]},
    "timezone": {"type": "string", "description": "the client's; UTC for a shared queue"},
    "since": {"type": "string", "format": "date-time", "description": "midnight in that zone"},
    "service_level_s": {**_N, "description": "the queue's threshold T"},
    "service_level_target": {"type": "number", "description": "the service level under which the queue is flagged"},
    **{k: _N for k in ("offered", "answered", "abandoned", "queued", "answered_within_sl")},
    "abandon_rate": _RATE, "service_level": _RATE,
    **{k: _SECONDS for k in ("wait_avg_s", "wait_max_s", "asa_s", "aht_s")},
}}
BOARD_SCHEMA: dict = {"type": "array", "description": "one row per queue, by name", "items": {
    "type": "object", "properties": {
        "queue": {"type": "string"}, "label": {"type": "string"},
        "waiting": {**_N, "description": "callers waiting now"},
        "oldest_queued_at": {"type": ["string", "null"], "format": "date-time",
                             "description": "when the longest-waiting caller joined; null with nobody waiting"},
        "agents": {"type": "object", "description": "members of the queue logged in, and how many in each state",
                   "properties": {k: _N for k in ("logged_in", *AGENT_STATES)}},
        "today": DAY_SCHEMA,
    }}}
