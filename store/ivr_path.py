"""The IVR path of each call: every node, digit and outcome, in order, keyed by linkedid."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class IvrStep:
    at: str
    menu: str
    node: str
    kind: str
    digit: str | None
    outcome: str


def add_steps(db: sqlite_utils.Database, linkedid: str, steps: Iterable[IvrStep]) -> None:
    """Append steps after those the call has (a call may run several IVR sessions)."""
    seq = db.execute("SELECT coalesce(max(seq), 0) FROM ivr_steps WHERE linkedid = ?", [linkedid]).fetchone()[0]
    for step in steps:
        seq += 1
        db.execute("INSERT INTO ivr_steps (linkedid, seq, at, menu, node, kind, digit, outcome) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [linkedid, seq, step.at, step.menu, step.node, step.kind, step.digit, step.outcome])


def ivr_path(db: sqlite_utils.Database, linkedid: str) -> list[dict]:
    return list(db.query("SELECT seq, at, menu, node, kind, digit, outcome FROM ivr_steps "
                         "WHERE linkedid = ? ORDER BY seq", [linkedid]))
