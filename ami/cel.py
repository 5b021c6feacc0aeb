"""Asterisk's own durable record, read back: the CEL rows cel_sqlite3_custom writes to SQLite
(etc/asterisk/cel_sqlite3_custom.conf), turned into the AMI-shaped events CallTracker reads, so that a
call rebuilt from CEL is the call the AMI listener would have written.

What Asterisk 22 writes (see tests/ami/fixtures/): `eventtype` is the event's name, or for
CELGenUserEvent the user's name (eventenum is then USER_DEFINED, userdeftype the name); eventtime is
`eventtime(float)`, seconds since the epoch; eventextra is JSON: {"extra":"<CELGenUserEvent's data>"}
for user events, {"hangupcause":16,"hangupsource":…,"dialstatus":…} for HANGUP.

The file is Asterisk's and is written while we read: we open it read-only, read in short pages (each
page holds a shared lock that makes Asterisk's insert wait, up to its busy_timeout) and retry briefly
when Asterisk holds the lock.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .calls import LINKEDID_END, UP

log = logging.getLogger(__name__)

TABLE = "cel"
ROWID = "AcctId"  # cel_sqlite3_custom's INTEGER PRIMARY KEY: the rowid, in insertion order
COLUMNS = ("eventtype", "eventenum", "eventtime", "uniqueid", "linkedid", "cidname", "cidnum", "exten",
           "context", "channame", "appname", "appdata", "userdeftype", "eventextra", "peer")
PAGE = 1000  # rows per read: short locks, Asterisk's inserts never wait long
BUSY_ATTEMPTS = 6


class CelError(RuntimeError):
    """The CEL database cannot be read (missing, locked for too long, not the expected columns)."""


@dataclass(frozen=True)
class CelRow:
    rowid: int
    eventtype: str
    eventenum: str
    eventtime: str
    uniqueid: str
    linkedid: str
    cidname: str = ""
    cidnum: str = ""
    exten: str = ""
    context: str = ""
    channame: str = ""
    appname: str = ""
    appdata: str = ""
    userdeftype: str = ""
    eventextra: str = ""
    peer: str = ""

    @property
    def kind(self) -> str:
        """The CEL event type; USER_DEFINED for CELGenUserEvent whatever its name."""
        if self.eventenum:
            return self.eventenum
        return "USER_DEFINED" if self.userdeftype else self.eventtype

    @property
    def time(self) -> float:
        return float(self.eventtime)


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise CelError(f"CEL database {path} not found (is cel_sqlite3_custom loaded, [asterisk] cel_db right?)")
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=0.5, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    return conn


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def _query(conn: sqlite3.Connection, sql: str, args: Iterable[object] = ()) -> list[tuple]:
    """One statement, retried while Asterisk holds the lock (a few seconds at most)."""
    for attempt in range(BUSY_ATTEMPTS):
        try:
            return conn.execute(sql, list(args)).fetchall()
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise CelError(f"CEL database: {exc}") from exc
            if attempt == BUSY_ATTEMPTS - 1:
                raise CelError(f"CEL database still busy after {BUSY_ATTEMPTS} attempts: {exc}") from exc
            time.sleep(0.05 * 2 ** attempt)
    raise AssertionError("unreachable")


def read_rows(path: str | Path, start: int, *, page: int = PAGE) -> tuple[int, list[CelRow]]:
    """(the highest rowid, the rows from rowid `start` on, oldest first). Blocking: call in a thread."""
    conn = _connect(Path(path))
    try:
        top = int(_query(conn, f"SELECT coalesce(max({ROWID}), 0) FROM {TABLE}")[0][0])  # noqa: S608 - constants
        select = f"SELECT {ROWID}, {', '.join(COLUMNS)} FROM {TABLE} WHERE {ROWID} >= ? AND {ROWID} <= ? " \
                 f"ORDER BY {ROWID} LIMIT ?"  # noqa: S608 - constants
        rows: list[CelRow] = []
        cursor = start
        while cursor <= top:
            chunk = _query(conn, select, (cursor, top, page))
            if not chunk:
                break
            rows.extend(CelRow(int(r[0]), *("" if v is None else str(v) for v in r[1:])) for r in chunk)
            cursor = rows[-1].rowid + 1
        return top, rows
    finally:
        conn.close()


def by_call(rows: Iterable[CelRow]) -> dict[str, list[CelRow]]:
    """Rows grouped by linkedid, calls in order of their first row, rows in order."""
    groups: dict[str, list[CelRow]] = {}
    for row in rows:
        if row.linkedid:
            groups.setdefault(row.linkedid, []).append(row)
    return groups


def parse_extra(text: str) -> dict[str, object]:
    """eventextra: JSON in Asterisk 22; anything else is kept whole under 'extra'."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"extra": text}
    return value if isinstance(value, dict) else {"extra": text}


def user_fields(data: str) -> dict[str, str]:
    """CELGenUserEvent's data 'Key: value,Key: value' as UserEvent's headers (AMI splits it the same)."""
    fields: dict[str, str] = {}
    for part in data.split(","):
        key, sep, value = part.partition(":")
        if sep and key.strip():
            fields[key.strip()] = value.strip()
    return fields


def to_events(row: CelRow) -> list[dict[str, str]]:
    """The AMI events equivalent to one CEL row, for CallTracker (none for rows it has no use for)."""
    base = {"Linkedid": row.linkedid, "Uniqueid": row.uniqueid, "Channel": row.channame,
            "Context": row.context, "Exten": row.exten, "Timestamp": row.eventtime}
    kind = row.kind
    if kind == "CHAN_START":
        return [{"Event": "Newchannel", **base, "CallerIDNum": row.cidnum, "CallerIDName": row.cidname}]
    if kind == "ANSWER":
        return [{"Event": "Newstate", **base, "ChannelState": UP, "ChannelStateDesc": "Up"}]
    if kind == "USER_DEFINED":
        extra = parse_extra(row.eventextra).get("extra", "")
        name = row.userdeftype or row.eventtype
        return [{"Event": "UserEvent", **user_fields(str(extra)), **base, "UserEvent": name}]
    if kind == "HANGUP":
        extra = parse_extra(row.eventextra)
        cause, source = extra.get("hangupcause"), extra.get("hangupsource")
        return [{"Event": "Hangup", **base, "Cause": "" if cause is None else str(cause),
                 "HangupSource": str(source or "")}]
    if kind in ("BLINDTRANSFER", "ATTENDEDTRANSFER"):
        extra = parse_extra(row.eventextra)
        name = "BlindTransfer" if kind == "BLINDTRANSFER" else "AttendedTransfer"
        return [{"Event": name, **base, "Result": "Success", "TransfererChannel": row.channame,
                 "Extension": str(extra.get("extension", ""))}]
    if kind == "BRIDGE_ENTER":
        events = [{"Event": "BridgeEnter", **base, "Peer": row.peer}]
        if row.appname == "Queue":  # the caller meets an agent: what AMI says with AgentConnect
            events.append({"Event": "AgentConnect", **base, "Peer": row.peer})
        return events
    if kind == "BRIDGE_EXIT":
        return [{"Event": "BridgeLeave", **base, "Peer": row.peer}]
    if kind == "LINKEDID_END":
        return [{"Event": LINKEDID_END, **base}]
    return []
