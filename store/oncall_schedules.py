"""A client's named on-call schedules ("technique", "medical", one per site…): each has its own rotation,
overrides and calendar feed (store/oncall.py). Every client has `default` (made with the client, never
removed): what the IVR, the queues' overflow and the dispatch protocols reach when they name none.

A schedule that a live menu, a queue's overflow or a dispatch protocol step names cannot be removed; the
refusal says who names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from .clients import ClientConflict, ClientError, ClientNotFound, get_client
from .clock import now_iso

DEFAULT = "default"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
MAX_LABEL = 128


class ScheduleError(ClientError):
    """A schedule was refused; `field` names what was wrong."""


class ScheduleNotFound(ScheduleError, ClientNotFound):
    """No such client, or no such schedule for it."""


class ScheduleInUse(ScheduleError, ClientConflict):
    """The schedule exists already, is `default`, or something still names it."""


@dataclass(frozen=True)
class Schedule:
    client_code: str
    name: str
    label: str
    created_at: str


def check_name(name: object, field: str = "schedule") -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise ScheduleError(f"{field}: a schedule name is a-z, 0-9 and -, starting with a letter or digit, "
                            f"32 at most, got {name!r}", field)
    return name


def _label(label: object) -> str:
    text = label.strip() if isinstance(label, str) else None
    if text is None or len(text) > MAX_LABEL or any(ord(c) < 32 for c in text):
        raise ScheduleError(f"label: text of at most {MAX_LABEL} characters, no control characters", "label")
    return text


def _client(db: sqlite_utils.Database, client_code: str) -> None:
    if get_client(db, client_code) is None:
        raise ScheduleNotFound(f"client: no client {client_code}", "client")


def list_schedules(db: sqlite_utils.Database, client_code: str) -> list[Schedule]:
    """The client's schedules, `default` first, then by name."""
    return [Schedule(r["client_code"], r["name"], r["label"], r["created_at"]) for r in db.query(
        "SELECT * FROM oncall_schedules WHERE client_code = ? ORDER BY name != ?, name", [client_code, DEFAULT])]


def get_schedule(db: sqlite_utils.Database, client_code: str, name: str) -> Schedule | None:
    rows = list(db.query("SELECT * FROM oncall_schedules WHERE client_code = ? AND name = ?", [client_code, name]))
    return Schedule(rows[0]["client_code"], rows[0]["name"], rows[0]["label"], rows[0]["created_at"]) if rows \
        else None


def require(db: sqlite_utils.Database, client_code: str, name: object, field: str = "schedule") -> Schedule:
    """The schedule, or a refusal naming `field` (an unknown client or schedule is not found)."""
    check_name(name, field)
    assert isinstance(name, str)
    _client(db, client_code)
    found = get_schedule(db, client_code, name)
    if found is None:
        raise ScheduleNotFound(f"{field}: client {client_code} has no on-call schedule {name!r}", field)
    return found


def add_schedule(db: sqlite_utils.Database, client_code: str, name: object, label: object = "") -> Schedule:
    _client(db, client_code)
    check_name(name, "name")
    assert isinstance(name, str)
    text = _label(label)
    if get_schedule(db, client_code, name) is not None:
        raise ScheduleInUse(f"name: client {client_code} has an on-call schedule {name!r} already", "name")
    created = now_iso()
    db.execute("INSERT INTO oncall_schedules (client_code, name, label, created_at) VALUES (?, ?, ?, ?)",
               [client_code, name, text, created])
    return Schedule(client_code, name, text, created)


def relabel_schedule(db: sqlite_utils.Database, client_code: str, name: str, label: object) -> Schedule:
    found = require(db, client_code, name, "name")
    text = _label(label)
    db.execute("UPDATE oncall_schedules SET label = ? WHERE client_code = ? AND name = ?", [text, client_code, name])
    return Schedule(client_code, name, text, found.created_at)


def users(db: sqlite_utils.Database, client_code: str, name: str) -> list[str]:
    """What names the schedule: the client's live menus, the queues overflowing to it, the protocol's steps."""
    found = [f"menu {r[0]}" for r in db.execute(
        "SELECT a.name FROM active_menus a JOIN menus m ON m.name = a.name AND m.version = a.version "
        "WHERE m.client_code = ? AND EXISTS (SELECT 1 FROM json_each(m.oncall_schedules) s WHERE s.value = ?) "
        "ORDER BY a.name", [client_code, name])]
    found += [f"queue {r[0]} (overflow)" for r in db.execute(
        "SELECT name FROM queues WHERE client_code = ? AND overflow_action = 'oncall' AND overflow_schedule = ? "
        "ORDER BY name", [client_code, name])]
    found += [f"the dispatch protocol (step {r[0] + 1})" for r in db.execute(
        "SELECT CAST(s.key AS INTEGER) FROM dispatch_protocols p, json_each(p.steps) s WHERE p.client_code = ? "
        "AND json_extract(s.value, '$.schedule') = ? ORDER BY CAST(s.key AS INTEGER)", [client_code, name])]
    return found


def remove_schedule(db: sqlite_utils.Database, client_code: str, name: str) -> None:
    """Remove the schedule with its rotation, overrides and feed; refused for `default` and while named."""
    require(db, client_code, name, "name")
    if name == DEFAULT:
        raise ScheduleInUse(f"name: the {DEFAULT} schedule cannot be removed (it is what names none reach)", "name")
    named_by = users(db, client_code, name)
    if named_by:
        raise ScheduleInUse(f"name: on-call schedule {name!r} of client {client_code} is still named by "
                            f"{', '.join(named_by)}; change them first", "name")
    db.execute("DELETE FROM oncall_schedules WHERE client_code = ? AND name = ?", [client_code, name])
