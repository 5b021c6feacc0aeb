"""The listeners' bookmarks in Asterisk's durable records: one position per source (e.g. 'cel')."""

from __future__ import annotations

import sqlite_utils

from .clock import now_iso


def get_position(db: sqlite_utils.Database, source: str) -> str | None:
    row = db.execute("SELECT position FROM listener_state WHERE source = ?", [source]).fetchone()
    return None if row is None else str(row[0])


def set_position(db: sqlite_utils.Database, source: str, position: str) -> None:
    db.execute(
        "INSERT INTO listener_state (source, position, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (source) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
        [source, position, now_iso()],
    )

