"""Totals over the whole call history for the metrics: read at every scrape, so one GROUP BY and nothing
that grows with a client's window or filters (those are the statistics' job)."""

from __future__ import annotations

import sqlite_utils

from .calls import DISPOSITIONS
from .messages import STATUSES


def calls_by_disposition(db: sqlite_utils.Database) -> dict[str, int]:
    """Every disposition, those without calls at 0 (a series that vanishes is not a zero)."""
    counts = dict.fromkeys(DISPOSITIONS, 0)
    for disposition, n in db.execute("SELECT disposition, count(*) FROM calls GROUP BY disposition"):
        counts[disposition] = n
    return counts


def messages_by_status(db: sqlite_utils.Database) -> dict[str, int]:
    """Messages by dispatch status, every status (0 included); `alerted` the failed ones not yet taken in hand."""
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in db.execute("SELECT status, count(*) FROM messages GROUP BY status"):
        counts[status] = n
    row = db.execute("SELECT count(*) FROM messages WHERE status = 'failed' AND acknowledged_at IS NULL").fetchone()
    return {**counts, "alerted": int(row[0])}
