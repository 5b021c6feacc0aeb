"""The top callers of a period: the callers with the most calls counted, ties to the most recent caller.

Counts per caller do not add up across slots into a top, and a busy month has tens of thousands of
callers; reading every call of the period is what made the statistics slow. Each call keeps the start
of its caller's call to the same client K calls earlier (K = 5 and 2: migration 23, store/schema_stats.py),
so the callers with more than K calls of any kind in [from, to) are those with a call there whose K-th
earlier call is there too: a few rows of index calls_repeatK. Their calls counted are then read by
caller (index calls_client_caller). If at least `top` of them have more than K calls counted, the top
is among them — every other caller has at most K — and is exact; otherwise K = 2 is tried, then the
period's calls are read whole, as with a queue or across clients.
"""

from __future__ import annotations

import json

import sqlite_utils

from .stats_sums import Where

REPEATS = (5, 2)
MAX_CANDIDATES = 2000  # beyond that, reading the period whole is about as quick
_ORDER = "ORDER BY calls DESC, last_call_at DESC, c.caller_number"
_COLUMNS = ("SELECT c.caller_number, count(*) AS calls, coalesce(sum(c.disposition = 'answered'), 0) AS answered, "
            "max(c.started_at) AS last_call_at")


def top_callers(db: sqlite_utils.Database, where: Where, client: str | None, start: str, end: str,
                top: int) -> list[dict]:
    base, args = f"{where.calls} AND c.started_at >= ? AND c.started_at < ?", [*where.calls_args, start, end]
    if client is not None:
        for k in REPEATS:
            found = _among_repeaters(db, base, args, client, start, end, k, top)
            if found is not None:
                return found
    return list(db.query(
        f"{_COLUMNS} FROM calls c WHERE {base} AND coalesce(c.caller_number, '') != '' "
        f"GROUP BY c.caller_number {_ORDER} LIMIT ?", [*args, top]))


def _among_repeaters(db: sqlite_utils.Database, base: str, args: list, client: str, start: str, end: str,
                     k: int, top: int) -> list[dict] | None:
    """The top among the callers with more than k calls in the period, or None if fewer than `top` have."""
    callers = [r[0] for r in db.execute(
        f"SELECT DISTINCT c.caller_number FROM calls c INDEXED BY calls_repeat{k} "  # noqa: S608
        f"WHERE c.client_code = ? AND c.stats_repeat{k} >= ? AND c.stats_repeat{k} < ? AND c.started_at < ? "
        "AND c.caller_number != '' LIMIT ?", [client, start, end, end, MAX_CANDIDATES + 1])]
    if len(callers) < top or len(callers) > MAX_CANDIDATES:
        return None
    rows = list(db.query(
        f"{_COLUMNS} FROM calls c INDEXED BY calls_client_caller WHERE {base} "  # noqa: S608
        "AND c.caller_number IN (SELECT value FROM json_each(?)) "
        f"GROUP BY c.caller_number HAVING count(*) > ? {_ORDER} LIMIT ?", [*args, json.dumps(callers), k, top]))
    return rows if len(rows) == top else None
