"""Opening the SQLite file: pragmas and forward migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from .schema import MIGRATIONS

BUSY_TIMEOUT_MS = 5000


class StoreError(RuntimeError):
    """The store file cannot be used (newer schema, unreadable, …)."""


def connect(path: str | Path) -> sqlite_utils.Database:
    """A connection with the project's pragmas. Each is used by one thread only; the check is off so
    that the thread that shuts the store down may close the readers' connections."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return sqlite_utils.Database(conn)


def schema_version(db: sqlite_utils.Database) -> int:
    if not db["schema_version"].exists():
        return 0
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(path: str | Path) -> int:
    """Create or upgrade the schema; returns the version reached."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = connect(path)
    try:
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(f"{path}: cannot switch to WAL journal (got {mode})")
        # Off while migrating (SQLite's way to rebuild a table others reference); checked before commit.
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = schema_version(db)
            if current > len(MIGRATIONS):
                raise StoreError(
                    f"{path}: schema version {current} is newer than this program "
                    f"({len(MIGRATIONS)}); upgrade permanence"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                for statement in _statements(MIGRATIONS[version - 1]):
                    db.execute(statement)
                db.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreError(f"{path}: migration left {len(broken)} broken reference(s), first {broken[0]}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(MIGRATIONS)
    finally:
        db.close()


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit on its own)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
